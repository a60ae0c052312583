"""F8: every change applied, either way, is a connector-log row with its old and new value, and
nothing but the logged columns can reach the log."""

import json

import pandas as pd

from crm_pipelines.core.field_sync import LOG_COLUMNS, connector_log_rows, log_summary
from tests.core.field_sync.sync_fixtures import C1, C2, FEB, MAR, run_sync
from tests.core.matching.crm_fixtures import rows_of

CONTACT = {"id": C1, "email": "ann@x.com", "title": "CTO", "phone": "+1", "last_modified_date": FEB}
PROSPECT = {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "title": "CEO",
            "updated_at": MAR}


def test_each_change_either_way_is_one_log_row_with_old_and_new_values():
    result = run_sync([PROSPECT], contact_rows=[{**CONTACT, "first_name": "Ann"}],
                      overwrite_crm_with_empty_app_values=True)
    log = connector_log_rows(pd.concat([result.inbound, result.outbound]), at=pd.Timestamp("2024-05-01T12:00:00Z"))
    assert list(log.columns) == list(LOG_COLUMNS)
    assert rows_of(log, "object", "app_id", "crm_id", "field", "old_value", "new_value", "direction", "reason") == [
        ("prospect", "p1", C1, "first_name", "Ann", None, "app_to_crm", "app_newer"),
        ("prospect", "p1", C1, "title", "CTO", "CEO", "app_to_crm", "app_newer"),
        ("prospect", "p1", C1, "phone", "+1", None, "app_to_crm", "app_newer"),
    ]
    assert set(log["at"]) == {pd.Timestamp("2024-05-01T12:00:00Z")}


def test_without_an_apply_time_each_row_keeps_when_its_winning_side_changed():
    result = run_sync([{**PROSPECT, "updated_at": "2024-01-01T00:00:00Z"}], contact_rows=[CONTACT])
    assert connector_log_rows(result.inbound)["at"].tolist() == [pd.Timestamp(FEB)] * 2


def test_columns_outside_the_log_never_reach_it():
    changes = run_sync([PROSPECT], contact_rows=[CONTACT]).outbound.assign(
        access_token="00Dxx!secret", password="hunter2", payload={"Authorization": "Bearer x"})
    log = connector_log_rows(changes)
    assert list(log.columns) == list(LOG_COLUMNS)
    assert not log.astype(str).apply(lambda column: column.str.contains("secret|hunter2|Bearer")).any().any()


def test_a_summary_counts_changes_by_object_direction_and_reason():
    result = run_sync([PROSPECT], contact_rows=[CONTACT])
    summary = log_summary(connector_log_rows(pd.concat([result.inbound, result.outbound])))
    assert rows_of(summary, "object", "direction", "reason", "changes") == [("prospect", "app_to_crm", "app_newer", 1)]


def test_a_record_created_from_the_crm_is_one_log_row_holding_every_value_it_was_given():
    # Salesforce's own field history logs a new record as one "Created." entry: a first connection
    # creating a million prospects would otherwise log a dozen rows for each.
    created = run_sync([], contact_rows=[CONTACT, {**CONTACT, "id": C2, "email": "bo@x.com", "title": None}]).inbound
    edits = run_sync([PROSPECT], contact_rows=[{**CONTACT, "last_modified_date": "2024-04-01T00:00:00Z"}]).inbound
    log = connector_log_rows(pd.concat([created, edits]), at=pd.Timestamp("2024-05-01T12:00:00Z"))
    assert list(log.columns) == list(LOG_COLUMNS)
    made = log.loc[log["reason"] == "created_in_crm"]
    assert rows_of(made, "object", "app_id", "crm_type", "crm_id", "field", "crm_field", "old_value", "direction") == [
        ("prospect", f"crm-{C1}", "Contact", C1, None, None, None, "crm_to_app"),
        ("prospect", f"crm-{C2}", "Contact", C2, None, None, None, "crm_to_app"),
    ]
    for app_id, values in zip(made["app_id"], made["new_value"]):
        given = created.loc[created["app_id"] == app_id]
        assert json.loads(values) == dict(zip(given["field"], given["new_value"]))
    assert json.loads(made["new_value"].iloc[1])["email"] == "bo@x.com"
    assert "title" not in json.loads(made["new_value"].iloc[1])
    # Changes to records that already exist stay a row per field, after the creations as they came.
    assert rows_of(log.iloc[2:], "app_id", "field", "old_value", "new_value", "reason") == \
        rows_of(connector_log_rows(edits), "app_id", "field", "old_value", "new_value", "reason")
    assert set(log["at"]) == {pd.Timestamp("2024-05-01T12:00:00Z")}
    assert len(edits) == 2 and set(edits["reason"]) == {"crm_newer"}
    assert log_summary(log).set_index("reason")["changes"].to_dict() == {"created_in_crm": 2, "crm_newer": 2}


def test_without_an_apply_time_a_creation_row_keeps_its_records_time():
    created = run_sync([], contact_rows=[CONTACT]).inbound
    assert connector_log_rows(created)["at"].tolist() == [pd.Timestamp(FEB)]


def test_a_creation_row_holds_its_values_as_json_writes_them_whatever_they_hold():
    """The values' JSON is built a column at a time; it is the text json.dumps gives for the dict,
    for quotes, backslashes, control characters, any script, a missing value, and a field named
    twice (the dict's rule: first place, last value)."""
    awkward = ['plain', 'say "hi"', 'back\\slash', 'line\nbreak\ttab\x01', 'ünïcødé ✓ 日本', None, '', '\\"']
    records = [(f"crm-{i}", [(f"field_{j}", awkward[(i + j) % len(awkward)]) for j in range(4)]) for i in range(12)]
    records.append(("crm-twice", [("title", "first"), ("email", "e@x.com"), ("title", "last")]))
    changes = pd.DataFrame(
        [{"object": "prospect", "app_id": app_id, "crm_type": "Lead", "crm_id": app_id[4:], "field": field,
          "crm_field": field, "old_value": None, "new_value": value, "direction": "crm_to_app", "reason": "created_in_crm"}
         for app_id, values in records for field, value in values])
    log = connector_log_rows(changes, at=pd.Timestamp("2024-05-01T12:00:00Z"))
    assert list(log["new_value"]) == [json.dumps(dict(values), ensure_ascii=False) for _, values in records]
    once = connector_log_rows(changes.loc[changes["app_id"] != "crm-twice"], at=pd.Timestamp("2024-05-01T12:00:00Z"))
    assert list(once["new_value"]) == [json.dumps(dict(values), ensure_ascii=False) for _, values in records[:-1]]
