"""inbound_changes and outbound_changes are the two ways of sync_prospects, taking its arguments."""

import pandas as pd

from crm_pipelines.core.field_sync import inbound_changes, outbound_changes, sync_prospects
from crm_pipelines.core.matching import match_prospects
from crm_pipelines.settings import ConnectorSettings
from tests.core.field_sync.sync_fixtures import C1, C2, FEB, JAN, MAR
from tests.core.matching.crm_fixtures import contacts, leads, prospects


def test_each_way_is_that_half_of_the_sync_for_the_same_arguments():
    app = prospects(
        {"prospect_id": "p1", "crm_id": C1, "crm_type": "Contact", "email": "ann@x.com", "first_name": "Ann",
         "lead_score": 40, "updated_at": MAR},
        {"prospect_id": "p2", "crm_id": None, "crm_type": None, "email": "bo@y.com", "last_name": "Kim",
         "company": "Y", "updated_at": FEB})
    crm = contacts({"id": C1, "email": "ann@x.com", "first_name": "Annie", "last_modified_date": JAN},
                   {"id": C2, "email": "cy@z.com", "last_name": "Cy", "last_modified_date": FEB})
    matched = match_prospects(app, leads(), crm).matched
    settings = ConnectorSettings(create_prospects_from_crm=True)
    both = sync_prospects(matched, app, leads(), crm, settings=settings)
    assert len(both.inbound) and len(both.outbound)
    pd.testing.assert_frame_equal(inbound_changes(matched, app, leads(), crm, settings=settings), both.inbound)
    pd.testing.assert_frame_equal(outbound_changes(matched, app, leads(), crm, settings=settings), both.outbound)
    assert (inbound_changes.__name__, outbound_changes.__name__) == ("inbound_changes", "outbound_changes")
