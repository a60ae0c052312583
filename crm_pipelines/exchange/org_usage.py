"""The org's own daily usage, read once at the start of a run and shared by the run's assets (S1).

The first CRM call of a run (extraction or push) reads it (Salesforce: /limits); the run's later
assets take the usage the run recorded instead of calling again, and every answer's limit headers
keep it current. The CRM's adapter then holds back any call that would take the org below the tenant's reserve.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from crm_pipelines.crm.port import CrmPort
from crm_pipelines.store.crm_records import org_usage_read_by_run, record_org_usage
from crm_pipelines.store.database import Database


def read_org_usage_at_start(crm: CrmPort, db: Database, tenant_id: str, run_id: str | None,
                            now: Callable[[], datetime]) -> None:
    """Give `crm` the org's usage: as this run last saw it, or from the CRM (may raise NotNow)."""
    known = org_usage_read_by_run(db, tenant_id, run_id) if run_id else None
    if known is not None:
        crm.assume_org_usage(known)
        return
    usage = crm.read_org_usage()
    if usage is not None:
        record_org_usage(db, tenant_id, usage, now(), run_id)


def keep_org_usage(crm: CrmPort, db: Database, tenant_id: str, run_id: str | None,
                   now: Callable[[], datetime]) -> None:
    """Record the org's usage as the CRM last reported it, for the run's next assets and the UI."""
    if crm.org_usage is not None:
        record_org_usage(db, tenant_id, crm.org_usage, now(), run_id)
