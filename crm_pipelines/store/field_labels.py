"""The labels the CRM's describe gives mapped custom fields (E7), read as F4.9 compares them."""

from __future__ import annotations

import pandas as pd

from crm_pipelines.store.bulk import read_frame
from crm_pipelines.store.database import Database
from crm_pipelines.store.tables import crm_field_labels


def read_crm_labels(db: Database, tenant_id: str) -> pd.DataFrame:
    """crm_object, crm_field, label: the tenant's field labels as last read from describe."""
    with db.engine.connect() as conn:
        rows = read_frame(conn, crm_field_labels, crm_field_labels.c.tenant_id == tenant_id,
                          order_by=["tenant_id", "sobject", "field"])
    return pd.DataFrame({"crm_object": rows["sobject"], "crm_field": rows["field"], "label": rows["label"]})
