"""What the CRM's answers to a delivery's batches add up to (P8): records sent, failed for good and
left to retry, and the kinds of push the sent ones carried."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crm_pipelines.core.outbound.delivery import BatchOutcome


@dataclass(frozen=True)
class Answers:
    """The outcomes of a delivery's batches so far. `sent_by_kind`: a record sent for two
    reasons at once ("lead_score+field_update") counts once for each."""

    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    sent_by_kind: Counter = field(default_factory=Counter)


def count_answers(answers: Answers, outcome: BatchOutcome) -> Answers:
    """`answers` with one more batch's `outcome` counted in."""
    sent_kinds = outcome.ledger.loc[outcome.ledger["state"] == "sent", "kind"]
    return Answers(sent=answers.sent + outcome.sent, failed=answers.failed + outcome.failed,
                   retry_later=answers.retry_later + outcome.retry_later,
                   sent_by_kind=answers.sent_by_kind + Counter(k for kinds in sent_kinds for k in kinds.split("+")))
