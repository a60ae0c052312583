"""`/query`, `/queryAll` and queryMore (`/query/<locator>-<offset>`).

A query selects its rows once; the rows beyond the first page stay on the server as a cursor and
`nextRecordsUrl` points at the next slice. queryAll's next pages use `/query/` too, as Salesforce's
do.
"""

from __future__ import annotations

import orjson

from crm_pipelines.sim.api_call import ApiCall, ApiReply
from crm_pipelines.sim.query import select_rows
from crm_pipelines.sim.query_cursors import QueryCursor, batch_size_from_header
from crm_pipelines.sim.schema import sobject
from crm_pipelines.sim.soql import SoqlError, parse
from crm_pipelines.sim.wire import ApiError, records_json

QUERY_OPTIONS_HEADER = "Sforce-Query-Options"


def _page(call: ApiCall, cursor: QueryCursor, offset: int, batch_size: int) -> ApiReply:
    schema = sobject(cursor.sobject)
    frame = call.org.tables[schema.name].frame()
    stop = min(offset + batch_size, cursor.total_size)
    records = records_json(schema, frame, cursor.positions[offset:stop], cursor.fields, call.base_path)
    body: dict[str, object] = {"totalSize": cursor.total_size, "done": stop >= cursor.total_size}
    if stop < cursor.total_size:
        body["nextRecordsUrl"] = f"{call.base_path}/query/{cursor.locator}-{stop}"
    body["records"] = records
    return ApiReply(raw=orjson.dumps(body))


def run_query(call: ApiCall, include_deleted: bool) -> ApiReply:
    text = call.params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        query = parse(text)
    except SoqlError as exc:
        raise ApiError(400, exc.error_code, exc.message) from None
    frame = call.org.tables[query.sobject].frame()
    positions = select_rows(query, frame, include_deleted=include_deleted)
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
