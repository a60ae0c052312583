"""P4: the triggers that push a prospect, on hand-built prospects."""

import pandas as pd

from crm_pipelines.core.outbound import contact_push_items
from crm_pipelines.core.outbound.contact_pushes import NOT_ELIGIBLE, NOTHING_TO_SEND
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings, FieldMapping

AT = pd.Timestamp("2026-11-20", tz="UTC")
CONTACT = "003000000000001AAA"
CRM_USERS = pd.Series({"u-1": "005000000000001AAA", "u-2": "005000000000002AAA"})
MAPPINGS = (
    FieldMapping(crm_object="Contact", crm_field="Title", app_field="title", direction="two_way"),
    FieldMapping(crm_object="Contact", crm_field="Lead_Score__c", app_field="lead_score", direction="push"),
    FieldMapping(crm_object="Contact", crm_field="Email", app_field="email", direction="pull"),
)


def _prospects() -> pd.DataFrame:
    return pd.DataFrame({
        "prospect_id": ["p-linked", "p-new", "p-incomplete"],
        "crm_id": [CONTACT, None, None], "crm_type": ["Contact", None, None],
        "email": ["a@x.test", "b@y.test", "c@z.test"], "first_name": ["A", "B", "C"],
        "last_name": ["Ay", "Bee", "Cee"], "title": ["VP", None, None], "company": ["X", "Y", None],
        "lead_score": [90.0, 20.0, 95.0], "owner_user_id": ["u-1", "u-1", "u-1"], "is_deleted": [False, False, False],
        "created_at": [AT] * 3, "updated_at": [AT] * 3,
    })


def _requests(*prospect_ids: str) -> pd.DataFrame:
    return pd.DataFrame({"request_id": [f"pr-{i}" for i in range(len(prospect_ids))], "prospect_id": list(prospect_ids),
                         "requested_by": "u-1", "requested_at": AT, "status": "pending"})


def _todos(*rows: tuple[str, str, object]) -> pd.DataFrame:
    return pd.DataFrame({"todo_id": [f"td-{i}" for i in range(len(rows))], "prospect_id": [r[0] for r in rows],
                         "assignee_user_id": [r[1] for r in rows], "created_at": AT, "pushed_at": [r[2] for r in rows]})


NO_MATCHES = pd.DataFrame({"prospect_id": pd.Series(dtype="string")})
NO_CROSSINGS = pd.DataFrame({"prospect_id": pd.Series(dtype="string"), "crossed_at": pd.Series(dtype="datetime64[ns, UTC]")})


def _crossings(*prospect_ids: str) -> pd.DataFrame:
    return pd.DataFrame({"prospect_id": list(prospect_ids), "crossed_at": AT})



def _changes(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """The push's app → CRM field changes (outbound_field_changes): (app id, CRM id, CRM field)."""
    return pd.DataFrame({"object": "prospect", "app_id": [r[0] for r in rows], "crm_id": [r[1] for r in rows],
                         "crm_field": [r[2] for r in rows]}, dtype="string")


TITLE_CHANGED = _changes(("p-linked", CONTACT, "Title"))


def _push(requests=None, todos=None, crossings=NO_CROSSINGS, mappings=MAPPINGS, settings=None, changes=None,
          prospects=None) -> pd.DataFrame:
    return contact_push_items(
        _prospects() if prospects is None else prospects, _requests() if requests is None else requests,
        _todos() if todos is None else todos, NO_MATCHES,
        crm_user_of=CRM_USERS, mappings=mappings, settings=settings or ConnectorSettings(), crossings=crossings,
        changes=_changes() if changes is None else changes,
    ).set_index("app_id")


def test_p4a_a_request_pushes_the_push_fields_and_the_two_way_fields_the_app_changed_forced():
    item = _push(requests=_requests("p-linked"), changes=TITLE_CHANGED).loc["p-linked"]
    assert (item["sobject"], item["operation"], item["crm_id"]) == ("Contact", "update", CONTACT)
    assert item["fields"] == {"Title": "VP", "Lead_Score__c": 90}
    assert (item["triggers"], bool(item["forced"])) == ("request:pr-0", True)


def test_p4a_a_two_way_field_the_app_did_not_change_since_the_base_is_not_sent_so_no_crm_edit_is_reverted():
    item = _push(requests=_requests("p-linked")).loc["p-linked"]
    assert item["fields"] == {"Lead_Score__c": 90}
    # A change planned for another CRM record of the prospect (a relinked pair) does not count.
    other = _changes(("p-linked", "003000000000009AAA", "Title"))
    assert _push(requests=_requests("p-linked"), changes=other).loc["p-linked", "fields"] == {"Lead_Score__c": 90}


def test_p4_a_trigger_with_nothing_to_send_is_answered_by_a_skip_that_says_so():
    item = _push(requests=_requests("p-linked"), prospects=_prospects().assign(lead_score=None)).loc["p-linked"]
    assert (item["operation"], item["triggers"]) == ("skip", "request:pr-0")
    assert item["note"] == f"prospect p-linked {NOTHING_TO_SEND}"


def test_p4_an_empty_app_value_is_left_out_unless_f4_5_allows_it():
    requests = _requests("p-linked")
    without_title = _prospects().assign(title=None)
    items = _push(requests=requests, prospects=without_title, changes=TITLE_CHANGED)
    assert items.iloc[0]["fields"] == {"Lead_Score__c": 90}
    allowed = ConnectorSettings(overwrite_crm_with_empty_app_values=True)
    items = _push(requests=requests, prospects=without_title, changes=TITLE_CHANGED, settings=allowed)
    assert items.iloc[0]["fields"] == {"Title": None, "Lead_Score__c": 90}


def test_p4d_a_todo_pushes_the_prospect_with_its_assignee_as_owner_and_a_pushed_todo_does_not():
    items = _push(todos=_todos(("p-linked", "u-2", None), ("p-new", "u-2", AT)))
    assert list(items.index) == ["p-linked"]
    assert items.loc["p-linked", "fields"]["OwnerId"] == "005000000000002AAA"
    assert items.loc["p-linked", "triggers"] == "todo:td-0"


def test_p4_a_prospect_without_crm_id_becomes_a_new_lead_when_f7_allows_it_owned_by_its_app_owner():
    item = _push(requests=_requests("p-new"), mappings=DEFAULT_FIELD_MAPPINGS).loc["p-new"]
    assert (item["sobject"], item["operation"], item["external_id"]) == ("Lead", "upsert", "prospect:p-new")
    # A new Lead gets every mapped field though no change was planned: there is no CRM value to keep.
    assert {k: item["fields"][k] for k in ("LastName", "Company", "Email", "FirstName", "OwnerId")} == {
        "LastName": "Bee", "Company": "Y", "Email": "b@y.test", "FirstName": "B", "OwnerId": "005000000000001AAA"}


def test_p4_a_prospect_f7_does_not_allow_is_skipped_with_the_reason():
    item = _push(requests=_requests("p-incomplete")).loc["p-incomplete"]
    assert item["operation"] == "skip"
    assert item["note"] == f"prospect p-incomplete {NOT_ELIGIBLE}"
    assert item["triggers"] == "request:pr-0"


def test_p4c_a_threshold_crossing_pushes_its_prospect_forced_and_a_score_above_alone_does_not():
    assert _push().empty, "p-linked and p-incomplete score above 90 but crossed nothing: no push"
    items = _push(crossings=_crossings("p-linked", "p-incomplete"))
    assert sorted(items.index) == ["p-incomplete", "p-linked"]
    assert items.loc["p-linked", "triggers"] == "threshold:p-linked" and items.loc["p-linked", "forced"]
    assert items.loc["p-incomplete", "operation"] == "skip"


def test_p4_no_trigger_pushes_nothing():
    assert _push().empty
