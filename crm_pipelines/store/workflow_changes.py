"""What the cadence workflows read (W3), narrowed to what one evaluation needs.

An evaluation looks at the Leads and Contacts modified since the workflow cursor and at the
prospects they are linked to, and at no other record: so only those rows are read, with only the
columns the evaluation uses (the records' id, SystemModstamp and deleted flag; the prospects' ids,
type, deleted flag and the fields the tenant's criteria name). A run that evaluates nothing (the
first one, or with S4 off) only needs the latest SystemModstamp, which the database computes.

The rows come in the order and with the dtypes of the tenant's whole tables read through the IO
manager (key order, typed by the table's columns), so the changes are the same as on whole tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from sqlalchemy import ColumnElement, Table, func, or_, select

from crm_pipelines.store.bulk import read_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import crm_tables, prospects

CHANGED_TYPES = ("Lead", "Contact")
"""The CRM objects whose changes the workflows act on, as changed_records takes them."""

RECORD_COLUMNS = ("id", "system_modstamp", "is_deleted")
"""What an evaluation reads of a changed Lead or Contact."""


def latest_modstamp(db: Database, tenant_id: str) -> pd.Timestamp | None:
    """The latest SystemModstamp among the tenant's Leads and Contacts, deleted ones included
    (the next workflow cursor); None when none has one."""
    with db.engine.connect() as conn:
        stamps = [conn.execute(select(func.max(table.c.system_modstamp)).where(table.c.tenant_id == tenant_id)).scalar()
                  for table in _tables()]
    known = [pd.Timestamp(stamp).tz_convert("UTC") for stamp in stamps if stamp is not None]
    return max(known) if known else None


def read_changed_people(db: Database, tenant_id: str, since: datetime | None,
                        prospect_columns: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(Leads, Contacts, prospects) for changed_records: the Leads and Contacts modified at or
    after `since` (all before the first evaluation) with RECORD_COLUMNS, in key order, and the
    prospects linked to one of them, with the prospects table's columns among `prospect_columns`,
    in key order."""
    wanted = set(prospect_columns)
    names = [c.name for c in prospects.columns if c.name in wanted]
    with db.engine.connect() as conn:
        leads, contacts = (read_frame(conn, table, _changed(table, tenant_id, since), order_by=["id"],
                                      columns=list(RECORD_COLUMNS)) for table in _tables())
        linked = or_(*[prospects.c.crm_id.in_(select(table.c.id).where(_changed(table, tenant_id, since)))
                       for table in _tables()])
        people = read_frame(conn, prospects, (prospects.c.tenant_id == tenant_id) & linked,
                            order_by=["prospect_id"], columns=names)
    return leads, contacts, people


def _changed(table: Table, tenant_id: str, since: datetime | None) -> ColumnElement[bool]:
    where = table.c.tenant_id == tenant_id
    return where if since is None else where & (table.c.system_modstamp >= since)


def _tables() -> list[Table]:
    return [crm_tables[name] for name in CHANGED_TYPES]
