"""Field history tracking of one org (LeadHistory, ContactHistory, CampaignHistory): which fields it
tracks per object, and the history rows a save writes, one per tracked field whose value it changed,
stamped with the save's time (the org clock) and its user, as Salesforce does.

Which fields are tracked is the org's own setting (Setup → Set History Tracking), at most 20 per
object; with none tracked, the object's history is not in describe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from crm_pipelines.sim.ids import make_id, org_pod
from crm_pipelines.sim.schema import HISTORY_KEY_PREFIX, HISTORY_OF, MAX_TRACKED_FIELDS, SObjectSchema, sobject

if TYPE_CHECKING:
    from crm_pipelines.sim.org_state import OrgState

# History rows take numbers of their own, shared by the three history objects (one key prefix).
_HISTORY_NUMBER_BASE = 62**9 + 62**8


class FieldHistory:
    """The org's tracked fields per object and the counter of its history row ids (callers hold the lock)."""

    def __init__(self) -> None:
        self.tracked: dict[str, tuple[str, ...]] = {}
        self._rows = 0

    def track(self, object_name: str, fields: Iterable[str]) -> tuple[str, ...]:
        """Track exactly `fields` of `object_name` from now on (an empty list turns tracking off)."""
        schema = sobject(object_name)
        if schema.name not in HISTORY_OF:
            raise ValueError(f"{schema.name} has no field history here (only {', '.join(HISTORY_OF)})")
        names = []
        for name in fields:
            if not schema.has_field(name):
                raise ValueError(f"{schema.name} has no field {name}")
            spec = schema.field(name)
            if not spec.updateable:
                raise ValueError(f"{schema.name}.{spec.name} cannot be tracked: it is not an editable field")
            if spec.name not in names:
                names.append(spec.name)
        if len(names) > MAX_TRACKED_FIELDS:
            raise ValueError(f"{schema.name}: at most {MAX_TRACKED_FIELDS} fields can be tracked, not {len(names)}")
        if names:
            self.tracked[schema.name] = tuple(names)
        else:
            self.tracked.pop(schema.name, None)
        return tuple(names)

    def history_objects(self) -> tuple[str, ...]:
        return tuple(HISTORY_OF[name] for name in HISTORY_OF if name in self.tracked)

    def record_save(self, org: OrgState, schema: SObjectSchema, record_id: str, before: Mapping[str, Any] | None,
                    after: Mapping[str, Any], stamp: pd.Timestamp, user_id: str | None) -> None:
        """History rows for one save: `created` for a new record (`before` None), else one per
        tracked field whose value changed."""
        tracked = self.tracked.get(schema.name)
        if not tracked:
            return
        if before is None:
            changed = [("created", None, None)]
        else:
            changed = [(name, before.get(name), after[name]) for name in tracked
                       if name in after and not _same(before.get(name), after[name])]
        if not changed:
            return
        history = org.tables[HISTORY_OF[schema.name]]
        by = user_id or org.integration_user_id()
        for field, old, new in changed:
            self._rows += 1
            history.insert({
                "Id": make_id(HISTORY_KEY_PREFIX, _HISTORY_NUMBER_BASE + self._rows, org_pod(org.name)),
                "IsDeleted": False, f"{schema.name}Id": record_id, "CreatedById": by, "CreatedDate": stamp,
                "Field": field, "OldValue": _text(old), "NewValue": _text(new),
            })


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(a == b)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
