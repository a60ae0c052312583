"""sObject Collections (P8): up to 200 records in one call, each with its own result.

Upserts go by App_External_Id__c, so a call repeated after a crash or a timeout updates the
records it created the first time instead of creating them again; updates go by record id.
allOrNone is off: one record's validation error must not hold back the other 199.
"""

from __future__ import annotations

from typing import Any

from crm_pipelines.crm.salesforce.client import SalesforceClient
from crm_pipelines.crm.errors import CrmApiError
from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID

MAX_COLLECTION = 200


def send_collection(client: SalesforceClient, operation: str, sobject: str,
                    records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One composite call; the CRM's per-record results ({id, success, errors, created}), in order."""
    if not 0 < len(records) <= MAX_COLLECTION:
        raise ValueError(f"a collection holds 1 to {MAX_COLLECTION} records, not {len(records)}")
    # Each record says its sObject: Salesforce's wire format for a collection.
    body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **record} for record in records]}
    if operation == "upsert":
        path = f"{client.api_base}/composite/sobjects/{sobject}/{APP_EXTERNAL_ID}"
    elif operation == "update":
        path = f"{client.api_base}/composite/sobjects"
    else:
        raise ValueError(f"unknown collection operation {operation!r}")
    results = client.request("PATCH", path, json_body=body, what=f"{operation} {len(records)} {sobject} records")
    if not isinstance(results, list) or len(results) != len(records):
        raise CrmApiError(client.tenant_id, 200, "UNEXPECTED_RESPONSE",
                          f"expected {len(records)} results, got {type(results).__name__}",
                          f"PATCH {operation} {sobject}")
    return results
