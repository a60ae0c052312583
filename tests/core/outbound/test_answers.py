"""P8: what the CRM's answers to a delivery's batches add up to."""

from collections import Counter

import pandas as pd

from crm_pipelines.core.outbound import batch_outcome, due_items, items_frame
from crm_pipelines.core.outbound.answers import Answers, count_answers

AT = pd.Timestamp("2026-11-20 10:00", tz="UTC")
NO_LEDGER = pd.DataFrame(columns=["sobject", "external_id", "state", "attempts", "sent_fields", "attempted_fields"])
SENT = {"id": "00Q000000000001AAA", "success": True, "errors": []}
REFUSED = {"success": False, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no"}]}
LOCKED = {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}]}


def _leads(kinds: list[str]) -> pd.DataFrame:
    n = len(kinds)
    items = items_frame(kind=kinds, sobject="Lead", operation="upsert", external_id=[f"prospect:p-{i}" for i in range(n)],
                        crm_id=None, app_object="prospect", app_id=[f"p-{i}" for i in range(n)],
                        fields=[{"LastName": f"L{i}"} for i in range(n)])
    return due_items(items, NO_LEDGER).due


def test_batches_add_up_sent_failed_and_retried_and_a_record_sent_for_two_reasons_counts_for_both():
    first = batch_outcome(_leads(["new_lead+contact_push", "new_lead"]), [SENT, REFUSED], AT)
    second = batch_outcome(_leads(["contact_push", "contact_push"]), [SENT, LOCKED], AT)
    answers = count_answers(count_answers(Answers(), first), second)
    assert (answers.sent, answers.failed, answers.retry_later) == (2, 1, 1)
    assert answers.sent_by_kind == Counter({"contact_push": 2, "new_lead": 1})


def test_counting_leaves_the_earlier_answers_as_they_were():
    before = Answers()
    count_answers(before, batch_outcome(_leads(["new_lead"]), [SENT], AT))
    assert before == Answers()
