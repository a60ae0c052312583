"""Why a tenant's workflows are not evaluated in a run, if they are not (S4, W1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crm_pipelines.settings.sync import SyncSettings
from crm_pipelines.settings.workflows import Workflow


def why_not_evaluated(sync: SyncSettings, workflows: Sequence[Workflow], since: datetime | None) -> str | None:
    """None when the workflows are evaluated on the changes since `since` (the last evaluation);
    otherwise why not, for the run's metadata. Switched off (S4) comes first: changes synced while
    off are never acted on. The first evaluation only sets the starting point."""
    off = [name for name, on in (("sync.updates_with_criteria", sync.updates_with_criteria),
                                 ("sync.crm_to_app", sync.crm_to_app)) if not on]
    if off:
        return f"off (S4 {', '.join(off)}): changes are not acted on"
    if since is None:
        return "first evaluation: starting point set, workflows act on later changes"
    if not workflows:
        return "no workflow configured"
    return None
