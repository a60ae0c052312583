"""F8: every change applied, either way, is a connector-log row with its old and new value, and
nothing but the logged columns can reach the log."""

import pandas as pd

from crm_pipelines.core.field_sync import LOG_COLUMNS, connector_log_rows, log_summary
from tests.core.field_sync.sync_fixtures import C1, FEB, MAR, run_sync
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
