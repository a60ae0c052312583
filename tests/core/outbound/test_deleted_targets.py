"""Push items aimed at records deleted in the CRM are found by the id they update or a Task's WhoId/WhatId."""

from crm_pipelines.core.outbound import items_frame
from crm_pipelines.core.outbound.deleted_targets import aimed_at_deleted, target_ids

GONE, LIVE = "003000000000001AAA", "003000000000002AAA"


def test_items_updating_or_pointing_a_task_at_a_deleted_record_are_flagged_and_no_other():
    items = items_frame(
        kind=["field_update", "field_update", "activity_task", "activity_task", "activity_task", "new_lead"],
        sobject=["Contact", "Contact", "Task", "Task", "Task", "Lead"],
        crm_id=[GONE, LIVE, None, None, None, None],
        fields=[{}, {}, {"WhoId": GONE}, {"WhoId": LIVE, "WhatId": GONE}, {"WhoId": LIVE}, {"LastName": GONE}],
    )
    assert target_ids(items) == {GONE, LIVE}
    assert aimed_at_deleted(items, {GONE}).tolist() == [True, False, True, True, False, False]
    assert aimed_at_deleted(items, set()).tolist() == [False] * 6
    assert aimed_at_deleted(items.iloc[:0], {GONE}).tolist() == []
