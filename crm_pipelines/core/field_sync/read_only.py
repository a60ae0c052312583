"""Objects the app copies but never writes (Accounts, Opportunities): their mappings are followed
one way, CRM → app, whatever direction they were configured with."""

from __future__ import annotations

from collections.abc import Sequence

from crm_pipelines.settings import FieldMapping
from crm_pipelines.settings.fields import CrmObject


def read_as_pull(mappings: Sequence[FieldMapping], crm_object: CrmObject) -> list[FieldMapping]:
    """The pull and two-way mappings of `crm_object`, every one as pull; push ones send nothing."""
    return [m.model_copy(update={"direction": "pull"}) for m in mappings
            if m.crm_object == crm_object and m.direction in ("pull", "two_way")]
