"""What a push plan reads to decide which of its items are due (core.outbound.due_items): the
ledger rows of those items and the three-way base of the records the ledger says were sent.

Only these rows, each read by its key: the base holds every linked pair (a million at a large org)
and the ledger one per record ever pushed, while a plan needs the few its items name. An empty
plan reads nothing; the base is read in key chunks of the sent records, never whole.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, func, select

from crm_pipelines.store.bulk import read_frame, typed_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.field_sync_base import read_base
from crm_pipelines.store.tables import crm_push_results

_ITEM_KEYS = ["sobject", "external_id"]
# App ids per base query: well under every backend's limit of bound parameters.
IDS_PER_QUERY = 2000


def ledger_of_items(db: Database, tenant_id: str, items: pd.DataFrame) -> pd.DataFrame:
    """The tenant's ledger rows (as push_ledger.read_ledger) of the CRM records `items` name, read
    by their keys (the ledger's primary key) in chunks, never the rest of the ledger; unless the
    ledger holds no more rows of that sObject than twice the keys asked (none at a first push),
    then those rows are read in one statement and picked here."""
    keys = items[_ITEM_KEYS].dropna().astype(str).drop_duplicates() if len(items) else None
    frames = []
    if keys is not None and len(keys):
        with db.engine.connect() as conn:
            held = dict(conn.execute(select(crm_push_results.c.sobject, func.count()).where(
                crm_push_results.c.tenant_id == tenant_id, crm_push_results.c.sobject.in_(sorted(set(keys["sobject"]))))
                .group_by(crm_push_results.c.sobject)).all())
            for sobject, records in keys.groupby("sobject", sort=True):
                ids = sorted(records["external_id"])
                of_sobject = and_(crm_push_results.c.tenant_id == tenant_id, crm_push_results.c.sobject == str(sobject))
                if held.get(sobject, 0) <= 2 * len(ids):
                    if held.get(sobject, 0):
                        every = read_frame(conn, crm_push_results, of_sobject, order_by=_ITEM_KEYS)
                        frames.append(every.loc[every["external_id"].isin(ids)].reset_index(drop=True))
                    continue
                for start in range(0, len(ids), IDS_PER_QUERY):
                    where = and_(of_sobject, crm_push_results.c.external_id.in_(ids[start:start + IDS_PER_QUERY]))
                    frames.append(read_frame(conn, crm_push_results, where, order_by=_ITEM_KEYS))
    if not frames:
        frames.append(typed_frame(pd.DataFrame(columns=[c.name for c in crm_push_results.columns]), crm_push_results))
    ledger = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return ledger.drop(columns=["tenant_id"])


def base_of_sent(db: Database, tenant_id: str, ledger: pd.DataFrame) -> pd.DataFrame:
    """The base rows (as field_sync_base.read_base, all objects) of the records the ledger rows
    sent or failed: the only ones due_items compares against (a pending record is sent whole)."""
    sent = ledger.loc[ledger["state"] != "pending", ["app_object", "app_id", "crm_id"]].dropna()
    frames = []
    for app_object, records in sent.groupby("app_object", sort=True):
        ids = sorted(records["app_id"].astype(str).unique())
        for start in range(0, len(ids), IDS_PER_QUERY):
            frames.append(read_base(db, tenant_id, str(app_object), app_ids=ids[start:start + IDS_PER_QUERY]))
    if not frames:
        return read_base(db, tenant_id, app_ids=[])
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
