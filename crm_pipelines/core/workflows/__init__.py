"""Cadence workflows (W1–W4): CRM changes that exit, move or advance prospects in cadences.

Three pure steps, each on DataFrames: `evaluate_workflows` finds the changed Leads and Contacts
that meet each workflow's criteria, `plan_cadence_actions` turns those matches into actions on
the prospects' active cadence memberships (once per change), and `apply_cadence_actions` applies
them and logs every value it changes. Criteria are masks over columns; no value of a criterion
ever becomes SQL or SOQL text.

How criteria compare (W2)
-------------------------
- Text ignores case and surrounding whitespace on both sides: " VP Sales " equals "vp sales",
  contains "VP" and starts with "vp".
- A missing value reads as empty text: `is_empty` holds for null and for blank text (only
  whitespace); `equals ""` holds for it too. Negations are plain negations, so `not_equals` and
  `not_contains` hold for empty values, and for values that cannot be read as the field's type.
- Numbers compare as numbers, wherever they are held: 42, 42.0, "42", " 4.2e1 " are equal. Text
  is a number when written with digits, an optional sign, decimal point and exponent; "1,000",
  "$5", "inf" are not numbers.
- Dates and datetimes compare as points in time, in UTC; text in the data is read as ISO 8601.
  A datetime without a zone is UTC; a date given for a datetime field means midnight UTC.
- Booleans are true or false (text "true"/"false" in any case); a missing one is empty, neither.
- `greater_than` / `less_than` compare numbers, dates and datetimes only; a value that is
  missing or cannot be read as the field's type never matches either of them.
- `in_list` holds when the value equals (as above) any item of the list.
- `all` needs every row of criteria to hold, `any` needs one.

Which actions apply
-------------------
- A workflow only looks at records of its own record type: a Lead workflow never acts on a
  Contact. A match acts on every active cadence membership of the record's prospect.
- When several workflows match one change of a prospect, the first in configured order wins for
  each membership; the others do nothing. No action outranks another, an exit included.
- Exit: the membership is "exited". Move: it is "moved", and the prospect joins the target cadence
  at touch 1 (unless it is active there already); moving into the cadence it is in does nothing.
  Next touch: current_touch + 1.
- Once per change: a change that has acted on a prospect never acts on it again, however often it
  is evaluated; a new change of the same record (a new change_key) acts again.
- Several changes of one prospect in one run are applied in order, each on the memberships as
  the previous one left them, so one run gives what one run per change would. A move is judged
  against the cadence the membership is in by its turn: a later change may move a prospect back
  into the cadence an earlier change moved it out of.
- A change that comes before one of the prospect's changes that has already acted has had its
  turn too, and never acts: evaluating a run's changes again changes nothing, even one that did
  nothing the first time and so left nothing in the log.
"""

from crm_pipelines.core.workflows.application import (
    LOG_COLUMNS,
    AppliedActions,
    apply_cadence_actions,
    moved_membership_id,
)
from crm_pipelines.core.workflows.evaluation import MATCH_COLUMNS, evaluate_workflows, workflow_reason
from crm_pipelines.core.workflows.planning import ACTION_COLUMNS, AppliedSet, plan_cadence_actions

__all__ = [
    "ACTION_COLUMNS",
    "LOG_COLUMNS",
    "MATCH_COLUMNS",
    "AppliedActions",
    "AppliedSet",
    "apply_cadence_actions",
    "evaluate_workflows",
    "moved_membership_id",
    "plan_cadence_actions",
    "workflow_reason",
]
