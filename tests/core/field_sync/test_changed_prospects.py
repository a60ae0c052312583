"""The prospect sync writes only the prospects its changes name (issue 17): changed_prospects gives
those rows as applying the changes to the whole table leaves them, and every other row of the
whole table's result is the row as it was."""

import pandas as pd

from crm_pipelines.core.field_sync import apply_inbound_changes, changed_prospects, sync_prospects
from crm_pipelines.core.field_sync.changes import concat_changes
from crm_pipelines.core.matching import match_prospects
from tests.core.field_sync.sync_fixtures import C1, C2, C3, FEB, JAN, MAR
from tests.core.matching.crm_fixtures import contacts, leads, prospects


def _app_and_changes() -> tuple[pd.DataFrame, pd.DataFrame]:
    """p1 takes a first name, p3's Contact is deleted, C3 becomes a new prospect, p2 and p4 are
    left alone; and a change row removing p4 (a record's deletion as some objects apply it)."""
    app = prospects(
        {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "updated_at": JAN},
        {"prospect_id": "p2", "email": "nobody@x.com", "first_name": "Nob", "updated_at": JAN},
        {"prospect_id": "p3", "crm_id": C2, "crm_type": "Contact", "email": "bo@x.com", "updated_at": JAN},
        {"prospect_id": "p4", "email": "cy@x.com", "updated_at": JAN},
    )
    crm = contacts({"id": C1, "email": "ann@x.com", "first_name": "Ann", "last_modified_date": MAR},
                   {"id": C2, "email": "bo@x.com", "is_deleted": True, "last_modified_date": FEB},
                   {"id": C3, "email": "di@x.com", "last_name": "Li", "last_modified_date": FEB})
    matched = match_prospects(app, leads(), crm, match_by_email=False).matched
    inbound = sync_prospects(matched, app, leads(), crm).inbound
    removal = inbound.iloc[[0]].assign(app_id="p4", field=pd.NA, old_value=pd.NA, new_value=pd.NA,
                                       reason="deleted_in_crm").astype(inbound.dtypes.to_dict())
    return app, concat_changes([inbound, removal])


def test_the_named_prospects_are_the_whole_tables_rows_and_the_rest_is_unchanged():
    app, found = _app_and_changes()
    rows, ids = changed_prospects(app, found)
    whole = apply_inbound_changes(app, found)
    assert set(ids) == {"p1", "p3", "p4", f"crm-{C3}"}
    assert set(rows["prospect_id"]) == {"p1", "p3", f"crm-{C3}"}  # p4 removed
    in_whole = whole.loc[whole["prospect_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows.sort_values("prospect_id", ignore_index=True),
                                  in_whole.sort_values("prospect_id", ignore_index=True), check_dtype=False)
    untouched = whole.loc[~whole["prospect_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(untouched, app.loc[app["prospect_id"] == "p2"].reset_index(drop=True),
                                  check_dtype=False)
