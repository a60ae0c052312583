"""sObject Collections (P8): up to 200 records in one collection, each with its own result; up to
five collections in one Composite call (1,000 records), which Salesforce counts as one API call.

Upserts go by App_External_Id__c, so a call repeated after a crash or a timeout updates the
records it created the first time instead of creating them again; updates go by record id.
allOrNone is off, in each collection and in the composite: one record's validation error must
not hold back the others, nor one collection's refusal the collections applied beside it.
"""

from __future__ import annotations

from typing import Any

from crm_pipelines.core.crm_objects import APP_EXTERNAL_ID
from crm_pipelines.crm.errors import CrmApiError, PartlyRefused
from crm_pipelines.crm.salesforce.client import SalesforceClient

MAX_COLLECTION = 200
# The Composite resource: at most 5 of its subrequests may be sObject Collections.
COLLECTIONS_PER_CALL = 5
MAX_COMPOSITE_RECORDS = MAX_COLLECTION * COLLECTIONS_PER_CALL


def send_collections(client: SalesforceClient, operation: str, sobject: str,
                     records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One call for 1 to 1,000 records: a collection for up to 200, else a composite of up to five
    collections. The CRM's per-record results ({id, success, errors, created}), in order. When it
    refuses a collection of a composite and applies the others, PartlyRefused carries the results
    of those, None for the refused collection's records."""
    if not 0 < len(records) <= MAX_COMPOSITE_RECORDS:
        raise ValueError(f"one call writes 1 to {MAX_COMPOSITE_RECORDS} records, not {len(records)}")
    if len(records) <= MAX_COLLECTION:
        return send_collection(client, operation, sobject, records)
    chunks = [records[at:at + MAX_COLLECTION] for at in range(0, len(records), MAX_COLLECTION)]
    path, method = _collection_path(client, operation, sobject)
    body = {"allOrNone": False, "compositeRequest": [
        {"method": method, "url": path, "referenceId": f"collection{n}", "body": _collection_body(sobject, chunk)}
        for n, chunk in enumerate(chunks)]}
    answer = client.request("POST", f"{client.api_base}/composite", json_body=body,
                            what=f"composite {operation} {len(records)} {sobject} records")
    answers = answer.get("compositeResponse") if isinstance(answer, dict) else None
    if not isinstance(answers, list) or len(answers) != len(chunks):
        raise _unexpected(client, operation, sobject, f"expected {len(chunks)} subresponses")
    results: list = []
    refused: CrmApiError | None = None
    for chunk, sub in zip(chunks, answers, strict=True):
        status, sub_body = int(sub.get("httpStatusCode") or 0), sub.get("body")
        if status < 300 and isinstance(sub_body, list) and len(sub_body) == len(chunk):
            results.extend(sub_body)
            continue
        error = sub_body[0] if isinstance(sub_body, list) and sub_body and isinstance(sub_body[0], dict) else {}
        refused = refused or CrmApiError(client.tenant_id, status, str(error.get("errorCode") or "UNEXPECTED_RESPONSE"),
                                         str(error.get("message") or "no per-record results"),
                                         f"POST composite {operation} {sobject}")
        results.extend([None] * len(chunk))
    if refused is not None:
        raise PartlyRefused(refused, results)
    return results


def send_collection(client: SalesforceClient, operation: str, sobject: str,
                    records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One collection call; the CRM's per-record results ({id, success, errors, created}), in order."""
    if not 0 < len(records) <= MAX_COLLECTION:
        raise ValueError(f"a collection holds 1 to {MAX_COLLECTION} records, not {len(records)}")
    path, method = _collection_path(client, operation, sobject)
    results = client.request(method, path, json_body=_collection_body(sobject, records),
                             what=f"{operation} {len(records)} {sobject} records")
    if not isinstance(results, list) or len(results) != len(records):
        raise _unexpected(client, operation, sobject, f"expected {len(records)} results, got {type(results).__name__}")
    return results


def _collection_path(client: SalesforceClient, operation: str, sobject: str) -> tuple[str, str]:
    if operation == "upsert":
        return f"{client.api_base}/composite/sobjects/{sobject}/{APP_EXTERNAL_ID}", "PATCH"
    if operation == "update":
        return f"{client.api_base}/composite/sobjects", "PATCH"
    raise ValueError(f"unknown collection operation {operation!r}")


def _collection_body(sobject: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    # Each record says its sObject: Salesforce's wire format for a collection.
    return {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **record} for record in records]}


def _unexpected(client: SalesforceClient, operation: str, sobject: str, what: str) -> CrmApiError:
    return CrmApiError(client.tenant_id, 200, "UNEXPECTED_RESPONSE", what, f"PATCH {operation} {sobject}")
