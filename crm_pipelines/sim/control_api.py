"""The control API under `/_sim/`: act as a CRM user, set limits, faults and the clock, and read
what clients wrote. Loopback callers only, no token, not counted against any API limit.

    GET    /_sim/orgs                                         orgs, their refresh tokens, clocks,
                                                              usage and sizes
    GET    /_sim/orgs/{org}/sobjects/{T}[?ids=a,b]            records with every field, deleted too
    POST   /_sim/orgs/{org}/sobjects/{T}                      create a record   {field: value}
    GET    /_sim/orgs/{org}/sobjects/{T}/{id}                 one record
    PATCH  /_sim/orgs/{org}/sobjects/{T}/{id}                 edit any fields   {field: value}
    DELETE /_sim/orgs/{org}/sobjects/{T}/{id}[?hard=true]     delete (to the recycle bin, or for good)
    POST   /_sim/orgs/{org}/sobjects/{T}/{id}/undelete
    POST   /_sim/orgs/{org}/sobjects/{T}/{id}/purge           remove a deleted record from the recycle bin
    POST   /_sim/orgs/{org}/recycle-bin/empty                 {"sobject"?}: purge every deleted record
    POST   /_sim/orgs/{org}/sobjects/{T}/{id}/owner           {"ownerId": "005..."}
    POST   /_sim/orgs/{org}/merge                             {"sobject", "masterId", "mergedIds"}
    POST   /_sim/orgs/{org}/leads/{id}/convert                {"accountId"?, "contactId"?,
                                                               "createOpportunity"?, "opportunityName"?}
    POST   /_sim/orgs/{org}/opportunities/{id}/close          {"won": true|false}
    GET|PUT|DELETE /_sim/orgs/{org}/faults                    {"spec": "429@0.1,500x2"}
    PUT    /_sim/orgs/{org}/api-limit                         {"limit": 1000}
    POST   /_sim/orgs/{org}/api-usage/reset                   a fresh 24-hour window
    POST   /_sim/orgs/{org}/api-usage/others                  {"calls": 900}: other integrations' calls
    GET    /_sim/orgs/{org}/clock;  POST .../clock/advance    {"seconds": 90000}
    POST   /_sim/orgs/{org}/tokens/expire;  PUT .../tokens/lifetime   {"seconds": 60}
    GET|POST|DELETE /_sim/orgs/{org}/validation-rules         {"sobject", "field", "test", "value",
                                                               "message"}
    GET|PUT /_sim/orgs/{org}/field-history                    {"sobject": "Lead", "fields": ["Title"]}:
                                                              the fields whose history the org keeps
    GET    /_sim/orgs/{org}/writes[?sobject=Lead]             the client write log
    GET    /_sim/orgs/{org}/external-ids/{T}[?field=...]      records, writes, creates per value
    GET    /_sim/orgs/{org}/calls[?requests=true]             API calls per endpoint (and each call)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_pipelines.sim.crm_user_actions import CrmUserActionError
from crm_pipelines.sim.faults import FaultSpecError
from crm_pipelines.sim.oauth_api import refresh_token
from crm_pipelines.sim.org_state import OrgState

if TYPE_CHECKING:
    from crm_pipelines.sim.simulator import Simulator

ControlHandler = Callable[[Request, OrgState, Any], Any]


def _reply(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"request body is not JSON: {exc}") from None


def _control(handler: ControlHandler, *, needs_org: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not _is_loopback(request):
            return _reply({"error": "the control API answers loopback callers only"}, 403)
        simulator: Simulator = request.app.state.simulator
        try:
            body = await _body(request)
            org = simulator.org(request.path_params["org"]) if needs_org else None
            result = handler(request, org, body)  # type: ignore[arg-type]
        except CrmUserActionError as exc:
            return _reply({"error": exc.message}, exc.status)
        except KeyError as exc:
            return _reply({"error": str(exc.args[0]) if exc.args else "not found"}, 404)
        except (ValueError, FaultSpecError, TypeError) as exc:
            return _reply({"error": str(exc)}, 400)
        return _reply(result)

    return endpoint


def _simulator(request: Request) -> Simulator:
    return request.app.state.simulator


def _arg(request: Request, name: str) -> str:
    return request.path_params[name]


def _required(body: Any, key: str) -> Any:
    if not isinstance(body, dict) or key not in body:
        raise ValueError(f"the request body needs {key!r}")
    return body[key]


def _whole_number(body: Any, key: str) -> int:
    value = _required(body, key)
    # JSON true is no count, though Python's bool is an int.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key} must be a whole number")
    return value


def _number(body: Any, key: str) -> float:
    value = _required(body, key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _list_of(body: Any, key: str, what: str) -> list[Any]:
    value = _required(body, key)
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list of {what}")
    return value


def _fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("the request body must be an object of field values")
    return body


def _one(request: Request, org: OrgState, record_id: str) -> dict[str, Any]:
    records = org.records_json(_arg(request, "sobject"), [record_id])
    if not records:
        raise KeyError(f"org {org.name}: no {_arg(request, 'sobject')} with id {record_id}")
    return records[0]


def _list_orgs(request: Request, _org: None, _body: Any) -> Any:
    simulator = _simulator(request)
    listed = []
    for summary in simulator.summary():
        org = simulator.org(summary["name"])
        # Beside the name: a local user copies it from here as they would after the web login.
        listed.append({"name": summary["name"], "refreshToken": refresh_token(org.name, org.seed),
                       **summary})
    return listed


def _records(request: Request, org: OrgState, _body: Any) -> Any:
    ids = request.query_params.get("ids")
    return org.records_json(_arg(request, "sobject"), ids.split(",") if ids else None)


def _create(request: Request, org: OrgState, body: Any) -> Any:
    record_id = org.create(_arg(request, "sobject"), _fields(body))
    return _one(request, org, record_id)


def _record(request: Request, org: OrgState, _body: Any) -> Any:
    return _one(request, org, _arg(request, "id"))


def _edit(request: Request, org: OrgState, body: Any) -> Any:
    return _one(request, org, org.edit(_arg(request, "sobject"), _arg(request, "id"), _fields(body)))


def _delete(request: Request, org: OrgState, _body: Any) -> Any:
    sobject, record_id = _arg(request, "sobject"), _arg(request, "id")
    if (request.query_params.get("hard") or "").lower() == "true":
        org.hard_delete(sobject, record_id)
        return {"id": record_id, "purged": True}
    return _one(request, org, org.delete(sobject, record_id))


def _purge(request: Request, org: OrgState, _body: Any) -> Any:
    return {"id": org.purge(_arg(request, "sobject"), _arg(request, "id")), "purged": True}


def _empty_recycle_bin(_request: Request, org: OrgState, body: Any) -> Any:
    sobject = _fields(body).get("sobject")
    return org.empty_recycle_bin([sobject] if sobject else None)


def _undelete(request: Request, org: OrgState, _body: Any) -> Any:
    return _one(request, org, org.undelete(_arg(request, "sobject"), _arg(request, "id")))


def _owner(request: Request, org: OrgState, body: Any) -> Any:
    record_id = org.change_owner(_arg(request, "sobject"), _arg(request, "id"), _required(body, "ownerId"))
    return _one(request, org, record_id)


def _merge(_request: Request, org: OrgState, body: Any) -> Any:
    merged = _list_of(body, "mergedIds", "record ids")
    master = org.merge(_required(body, "sobject"), _required(body, "masterId"), merged)
    return {"masterId": master, "mergedIds": merged}


def _convert(request: Request, org: OrgState, body: Any) -> Any:
    options = _fields(body)
    return org.convert_lead(_arg(request, "id"), account_id=options.get("accountId"),
                            contact_id=options.get("contactId"),
                            create_opportunity=bool(options.get("createOpportunity", True)),
                            opportunity_name=options.get("opportunityName"))


def _close(request: Request, org: OrgState, body: Any) -> Any:
    won = bool(_fields(body).get("won", True))
    record_id = org.close_opportunity(_arg(request, "id"), won)
    return org.records_json("Opportunity", [record_id])[0]


def _faults(request: Request, org: OrgState, body: Any) -> Any:
    if request.method == "PUT":
        org.set_faults(_required(body, "spec"))
    elif request.method == "DELETE":
        org.set_faults(None)
    return {"spec": org.faults.spec, "rules": org.faults.remaining()}


def _api_limit(_request: Request, org: OrgState, body: Any) -> Any:
    org.set_api_limit(_whole_number(body, "limit"))
    return org.api_usage()


def _reset_usage(_request: Request, org: OrgState, _body: Any) -> Any:
    org.reset_api_window()
    return org.api_usage()


def _other_integrations(_request: Request, org: OrgState, body: Any) -> Any:
    org.use_api_calls(_whole_number(body, "calls"))
    return org.api_usage()


def _clock(request: Request, org: OrgState, body: Any) -> Any:
    if request.method == "POST":
        org.advance_clock(_number(body, "seconds"))
    return {"now": org.now_text()}


def _expire_tokens(request: Request, org: OrgState, _body: Any) -> Any:
    return {"expired": _simulator(request).expire_tokens(org.name)}


def _token_lifetime(request: Request, org: OrgState, body: Any) -> Any:
    _simulator(request).set_token_lifetime(org.name, _number(body, "seconds"))
    return {"seconds": org.token_lifetime_seconds}


def _validation_rules(request: Request, org: OrgState, body: Any) -> Any:
    if request.method == "POST":
        rule = _fields(body)
        org.add_validation_rule(_required(rule, "sobject"), _required(rule, "field"),
                                _required(rule, "test"), str(rule.get("value", "")),
                                rule.get("message"))
    elif request.method == "DELETE":
        org.clear_validation_rules()
    return [rule.as_json() for rule in org.validation_rules]


def _field_history(request: Request, org: OrgState, body: Any) -> Any:
    if request.method == "PUT":
        org.track_field_history(_required(body, "sobject"), _list_of(body, "fields", "field names"))
    return {name: list(fields) for name, fields in org.field_history.tracked.items()}


def _writes(request: Request, org: OrgState, _body: Any) -> Any:
    return org.writes(request.query_params.get("sobject"))


def _external_ids(request: Request, org: OrgState, _body: Any) -> Any:
    field = request.query_params.get("field") or "App_External_Id__c"
    return org.external_id_counts(_arg(request, "sobject"), field)


def _calls(request: Request, org: OrgState, _body: Any) -> Any:
    body: dict[str, Any] = {"byEndpoint": org.call_counts(), "apiUsage": org.api_usage()}
    if (request.query_params.get("requests") or "").lower() == "true":
        body["requests"] = [asdict(r) for r in org.requests()]
    return body


_ORG = "/orgs/{org}"
_RECORD = _ORG + "/sobjects/{sobject}/{id}"

ROUTES: list[Route] = [
    Route("/orgs", _control(_list_orgs, needs_org=False), methods=["GET"]),
    Route(_ORG + "/sobjects/{sobject}", _control(_records), methods=["GET"]),
    Route(_ORG + "/sobjects/{sobject}", _control(_create), methods=["POST"]),
    Route(_RECORD, _control(_record), methods=["GET"]),
    Route(_RECORD, _control(_edit), methods=["PATCH"]),
    Route(_RECORD, _control(_delete), methods=["DELETE"]),
    Route(_RECORD + "/undelete", _control(_undelete), methods=["POST"]),
    Route(_RECORD + "/purge", _control(_purge), methods=["POST"]),
    Route(_ORG + "/recycle-bin/empty", _control(_empty_recycle_bin), methods=["POST"]),
    Route(_RECORD + "/owner", _control(_owner), methods=["POST"]),
    Route(_ORG + "/merge", _control(_merge), methods=["POST"]),
    Route(_ORG + "/leads/{id}/convert", _control(_convert), methods=["POST"]),
    Route(_ORG + "/opportunities/{id}/close", _control(_close), methods=["POST"]),
    Route(_ORG + "/faults", _control(_faults), methods=["GET", "PUT", "DELETE"]),
    Route(_ORG + "/api-limit", _control(_api_limit), methods=["PUT"]),
    Route(_ORG + "/api-usage/reset", _control(_reset_usage), methods=["POST"]),
    Route(_ORG + "/api-usage/others", _control(_other_integrations), methods=["POST"]),
    Route(_ORG + "/clock", _control(_clock), methods=["GET"]),
    Route(_ORG + "/clock/advance", _control(_clock), methods=["POST"]),
    Route(_ORG + "/tokens/expire", _control(_expire_tokens), methods=["POST"]),
    Route(_ORG + "/tokens/lifetime", _control(_token_lifetime), methods=["PUT"]),
    Route(_ORG + "/validation-rules", _control(_validation_rules), methods=["GET", "POST", "DELETE"]),
    Route(_ORG + "/field-history", _control(_field_history), methods=["GET", "PUT"]),
    Route(_ORG + "/writes", _control(_writes), methods=["GET"]),
    Route(_ORG + "/external-ids/{sobject}", _control(_external_ids), methods=["GET"]),
    Route(_ORG + "/calls", _control(_calls), methods=["GET"]),
]
