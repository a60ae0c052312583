"""`/query`, `/queryAll` and queryMore (`/query/<locator>-<offset>`).

A query selects its rows once; the rows beyond the first page stay on the server as a cursor and
`nextRecordsUrl` points at the next slice. queryAll's next pages use `/query/` too, as Salesforce's
do.
"""

from __future__ import annotations

import orjson

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.page_prefetch import PageKey
from crm_pipelines.sim.query import select_rows
from crm_pipelines.sim.query_cursors import QueryCursor, batch_size_from_header
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.soql import SoqlError, parse
from crm_pipelines.sim.wire import ApiError, records_json

QUERY_OPTIONS_HEADER = "Sforce-Query-Options"


def _page_bytes(org: OrgState, cursor: QueryCursor, offset: int, batch_size: int,
                base_path: str) -> bytes:
    schema = sobject(cursor.sobject)
    frame = org.tables[schema.name].frame()
    stop = min(offset + batch_size, cursor.total_size)
    records = records_json(schema, frame, cursor.positions[offset:stop], cursor.fields, base_path)
    body: dict[str, object] = {"totalSize": cursor.total_size, "done": stop >= cursor.total_size}
    if stop < cursor.total_size:
        body["nextRecordsUrl"] = f"{base_path}/query/{cursor.locator}-{stop}"
    body["records"] = records
    return orjson.dumps(body)


def _prefetch(org: OrgState, cursor: QueryCursor, key: PageKey, version: int) -> bytes | None:
    if org.tables[cursor.sobject].version != version:
        return None
    return _page_bytes(org, cursor, key.offset, key.batch_size, key.base_path)


def _page(call: ApiCall, cursor: QueryCursor, offset: int, batch_size: int) -> ApiReply:
    org = call.org
    table = org.tables[cursor.sobject]
    key = PageKey(cursor.locator, offset, batch_size, call.base_path)
    content = org.page_prefetch.take(key, table.version) if cursor.locator else None
    if content is None:
        content = _page_bytes(org, cursor, offset, batch_size, call.base_path)
    following = offset + batch_size
    if cursor.locator and following < cursor.total_size:
        next_key = PageKey(cursor.locator, following, batch_size, call.base_path)
        version = table.version
        org.page_prefetch.schedule(next_key, version,
                                   lambda: _prefetch(org, cursor, next_key, version))
    return ApiReply(raw=content)


def run_query(call: ApiCall, include_deleted: bool) -> ApiReply:
    text = call.params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        query = parse(text)
    except SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    table = call.org.tables[query.sobject]
    frame = table.frame()
    positions = select_rows(query, frame, include_deleted=include_deleted, present=table.present())
    if query.count_only:
        return ApiReply(body={"totalSize": int(len(positions)), "done": True, "records": []})
    batch_size = batch_size_from_header(call.headers.get(QUERY_OPTIONS_HEADER))
    if len(positions) > batch_size:
        cursor = call.org.cursors.open(query.sobject, query.fields, positions, batch_size)
    else:
        cursor = QueryCursor("", query.sobject, query.fields, positions, batch_size)
    return _page(call, cursor, 0, batch_size)


def query(call: ApiCall) -> ApiReply:
    return run_query(call, include_deleted=False)


def query_all(call: ApiCall) -> ApiReply:
    return run_query(call, include_deleted=True)


def query_more(call: ApiCall) -> ApiReply:
    locator, _, offset_text = call.path_args[0].rpartition("-")
    cursor = call.org.cursors.find(locator) if locator else None
    if cursor is None or not offset_text.isdigit() or int(offset_text) > cursor.total_size:
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    header = call.headers.get(QUERY_OPTIONS_HEADER)
    batch_size = batch_size_from_header(header) if header else cursor.batch_size
    return _page(call, cursor, int(offset_text), batch_size)
