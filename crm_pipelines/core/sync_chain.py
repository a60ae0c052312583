"""When a tenant's data may feed what comes after the extraction (S1, O4, F7).

Matching, the field sync and the workflows run on a complete extraction only: every CRM object has
finished its first full sync and no extraction is deferred. On a partial one, prospects whose Lead
or Contact was not read yet look unmatched and F7 would push them as new, duplicate Leads. A push
waits for the whole chain: the last sync's chain completed and nothing of it is deferred or skipped
since.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeferredExtraction:
    """An open deferral of the tenant's extraction: the objects left, why, and when it resumes."""

    objects: tuple[str, ...]
    reason: str
    resume_at: datetime


@dataclass(frozen=True)
class ChainState:
    """A tenant's last completed sync chain, and whether a later one stopped short of it."""

    completed_at: datetime | None
    incomplete_since: datetime | None = None
    incomplete_reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    ready: bool
    reason: str


def extraction_verdict(objects: Sequence[str], fully_synced: Collection[str],
                       deferred: Sequence[DeferredExtraction]) -> Verdict:
    """Complete when every object in `objects` finished its first full sync and none is deferred."""
    parts = [_deferred(deferred)] if deferred else []
    never = [o for o in objects if o not in fully_synced and not any(o in d.objects for d in deferred)]
    if never:
        parts.append(f"{', '.join(never)} not fully synced yet")
    if parts:
        return Verdict(False, "extraction incomplete: " + "; ".join(parts))
    return Verdict(True, f"extraction complete: all {len(objects)} CRM objects synced, nothing deferred")


def push_verdict(chain: ChainState | None, deferred: Sequence[DeferredExtraction]) -> Verdict:
    """A push may go out once the tenant's sync chain has completed and nothing stopped it since."""
    if deferred:
        return Verdict(False, f"the CRM sync's extraction is incomplete: {_deferred(deferred)}; the push goes out "
                              "once its whole chain completed")
    if chain is None or chain.completed_at is None:
        return Verdict(False, "no CRM sync of this tenant has completed its whole chain yet (extraction, "
                              "matching, field sync, workflows); the push goes out once one has")
    if chain.incomplete_since is not None:
        return Verdict(False, f"the CRM sync since {chain.incomplete_since.isoformat()} stopped short of its chain "
                              f"({chain.incomplete_reason}); the push goes out once its whole chain completed")
    return Verdict(True, f"the last CRM sync completed its whole chain at {chain.completed_at.isoformat()}")


def _deferred(deferred: Sequence[DeferredExtraction]) -> str:
    left = sorted({o for d in deferred for o in d.objects})
    reasons = "; ".join(dict.fromkeys(d.reason for d in deferred))
    resume = max(d.resume_at for d in deferred)
    return f"{', '.join(left)} deferred ({reasons}), resuming at {resume.isoformat()}"
