"""Auto-save lists (L1-L12): each matched user's "My CRM Accounts" and "My CRM Leads and Contacts".

The functional core of the daily rebuild: pure functions on one tenant's DataFrames, vectorized
over all users and records (CRM ids become integer codes on the way in). The asset loads the
extracted CRM tables, the user matches, the rule selections, the previous lists and the manual
overrides into `AutoSaveInputs`, calls `rebuild_lists`, and writes `AutoSaveResult.account_list`,
`.lead_list` and `.changes`, with `.metadata()` on the materialization. The CLI's `lists explain`
calls `explain` with the same inputs (previous lists = the stored lists); `lists add | remove`
checks the action with `override_problem` before storing it in the manual overrides.

Decisions where the spec leaves room (each is documented where it is implemented):
- L1: only app users matched to a CRM user get lists. An opportunity is open when neither closed
  nor deleted. Deleted records never satisfy a rule (rules.py).
- Links (org_index.py): a lead is on an opportunity only through ConvertedOpportunityId, and
  belongs to an account through ConvertedAccountId or, while unconverted, when its email domain is
  the account's website domain (never a public mail domain). Contacts are on opportunities
  through OpportunityContactRole and belong to the account in AccountId.
- P4's owner team: the users who share the account owner's manager, the owner included; a user
  without a manager is a team of one (rules.py).
- L5: the cap (default 1,000, a parameter) counts manual adds. Kept first: manual adds, then
  items already on the list (those not in the CRM data before the others), then new items; within each, last
  modified newest first, then on the user's owned open opportunities, then owned by the user,
  then the CRM id. Qualifying items that do not fit are capped out (priority.py).
- L6: items stay while a selected rule holds; owner changes move items at the next rebuild; all
  rules off removes every auto item and keeps manual ones. A record deleted in the CRM (recycle
  bin, hard delete or purge) leaves every list, manual adds included, with the reason "deleted in
  the CRM", as issue 14 asks; the spec's L6 kept it flagged deleted. Undeleted, it may come back
  (rebuild.py).
- L7/L8: a manual removal (account alone, or with its leads and contacts) keeps the records off
  for good; manual adds are kept as manual items (overrides.py).
- L4/L9: switch off or disconnected: every list frozen as it was, no change recorded.
- L10: each item keeps its rules and when it was first added; each change says why (reasons.py).
"""

from crm_pipelines.core.auto_save.explain import Explanation, explain
from crm_pipelines.core.auto_save.frames import (
    CHANGE_COLUMNS,
    CRM_COLUMNS,
    LIST_CAP,
    LIST_COLUMNS,
    LISTS,
    OVERRIDE_COLUMNS,
    SUMMARY_COLUMNS,
    AutoSaveInputs,
    AutoSaveResult,
    CrmFrames,
    ListName,
    empty_lists,
    empty_overrides,
    empty_selections,
)
from crm_pipelines.core.auto_save.overrides import override_problem
from crm_pipelines.core.auto_save.rebuild import needs_the_crm, rebuild_lists
from crm_pipelines.core.auto_save.rules import RULE_CODES, RULE_PHRASES

__all__ = [
    "CHANGE_COLUMNS",
    "CRM_COLUMNS",
    "LISTS",
    "LIST_CAP",
    "LIST_COLUMNS",
    "OVERRIDE_COLUMNS",
    "RULE_CODES",
    "RULE_PHRASES",
    "SUMMARY_COLUMNS",
    "AutoSaveInputs",
    "AutoSaveResult",
    "CrmFrames",
    "Explanation",
    "ListName",
    "empty_lists",
    "empty_overrides",
    "empty_selections",
    "explain",
    "needs_the_crm",
    "override_problem",
    "rebuild_lists",
]
