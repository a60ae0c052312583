"""P4 reads whole only the prospects that decide a triggered push (issue 17): the triggered ones,
those sharing an email with one of them, and those holding the CRM record one of them pushes to.
On those alone contact_push_items gives what it gives on every prospect of the tenant."""

import pandas as pd

from crm_pipelines.core.outbound import contact_push_items, converted_leads
from crm_pipelines.core.outbound.contact_pushes import deciding_prospects, triggered_ids
from crm_pipelines.settings import DEFAULT_FIELD_MAPPINGS, ConnectorSettings

AT = pd.Timestamp("2026-11-20", tz="UTC")
SHARED = "003000000000001AAA"  # held by p-linked (triggered) and p-writer, edited later: the writer
CONVERTED, ITS_CONTACT = "00Q000000000001AAA", "003000000000002AAA"
CRM_USERS = pd.Series({"u-1": "005000000000001AAA"})


def _prospects() -> pd.DataFrame:
    rows = [
        # id, crm_id, crm_type, email, created, updated
        ("p-linked", SHARED, "Contact", "a@x.test", AT, AT),
        ("p-writer", SHARED, "Contact", "w@x.test", AT, AT + pd.Timedelta(hours=1)),
        ("p-new", None, None, "B@Y.test ", AT + pd.Timedelta(days=1), AT),
        ("p-same-email-earlier", None, None, "b@y.test", AT, AT),  # the one new Lead of b@y.test
        ("p-on-converted", CONVERTED, "Lead", "c@z.test", AT, AT),
        ("p-on-contact", ITS_CONTACT, "Contact", "d@z.test", AT, AT + pd.Timedelta(hours=2)),
        *[(f"p-other-{i}", f"0030000000001{i:02d}AAA", "Contact", f"o{i}@o.test", AT, AT) for i in range(20)],
        *[(f"p-free-{i}", None, None, f"f{i}@o.test", AT, AT) for i in range(20)],
    ]
    ids, crm_ids, types, emails, created, updated = (list(c) for c in zip(*rows, strict=True))
    n = len(ids)
    return pd.DataFrame({
        "prospect_id": ids, "crm_id": crm_ids, "crm_type": types, "email": emails, "first_name": ["F"] * n,
        "last_name": ["L"] * n, "title": ["VP"] * n, "company": ["Co"] * n, "lead_score": [50.0] * n,
        "owner_user_id": ["u-1"] * n, "is_deleted": [False] * n, "created_at": created, "updated_at": updated,
    })


REQUESTS = pd.DataFrame({"request_id": ["r1", "r2"], "prospect_id": ["p-linked", "p-new"], "requested_by": "u-1",
                         "requested_at": AT, "status": "pending"})
TODOS = pd.DataFrame({"todo_id": ["t1"], "prospect_id": ["p-on-converted"], "assignee_user_id": ["u-1"],
                      "created_at": AT, "pushed_at": [None]})
CROSSINGS = pd.DataFrame({"prospect_id": ["p-free-3"], "crossed_at": [AT]})
CONVERTED_LEADS = converted_leads(pd.DataFrame([{"id": CONVERTED, "is_converted": True, "is_deleted": False,
                                                 "converted_contact_id": ITS_CONTACT}]))


def _items(prospects: pd.DataFrame) -> pd.DataFrame:
    return contact_push_items(
        prospects, REQUESTS, TODOS, pd.DataFrame({"prospect_id": pd.Series(dtype="string")}), crm_user_of=CRM_USERS,
        mappings=DEFAULT_FIELD_MAPPINGS, settings=ConnectorSettings(), crossings=CROSSINGS,
        changes=pd.DataFrame({"object": [], "app_id": [], "crm_id": [], "crm_field": []}, dtype="string"),
        converted=CONVERTED_LEADS,
    ).sort_values("external_id").reset_index(drop=True)


def test_the_deciding_prospects_give_the_same_pushes_as_every_prospect():
    prospects = _prospects()
    triggered = triggered_ids(REQUESTS, TODOS, CROSSINGS)
    deciding = deciding_prospects(prospects[["prospect_id", "crm_id", "email"]], triggered, CONVERTED_LEADS)
    assert sorted(deciding) == sorted(["p-linked", "p-writer", "p-new", "p-same-email-earlier", "p-on-converted",
                                       "p-on-contact", "p-free-3"])
    whole = _items(prospects)
    narrowed = _items(prospects.loc[prospects["prospect_id"].isin(deciding)])
    pd.testing.assert_frame_equal(narrowed, whole)
    # What the rows outside decide shows: the shared record's writer, the earlier prospect's email.
    by_app = whole.set_index("app_id")
    assert by_app.loc["p-linked", "operation"] == "skip" and "p-writer" in by_app.loc["p-linked", "note"]
    assert by_app.loc["p-new", "operation"] == "skip"
    assert (by_app.loc["p-on-converted", "operation"], by_app.loc["p-on-converted", "crm_id"]) == ("update", ITS_CONTACT)
    assert by_app.loc["p-free-3", "operation"] == "upsert"
