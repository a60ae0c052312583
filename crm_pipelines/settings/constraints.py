"""Field constraints that refuse with the whole allowed range, not just the bound that was crossed."""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import ValidatorFunctionWrapHandler, WrapValidator

from crm_pipelines.settings.errors import SettingsError, bad_setting


def explained(allowed: str) -> WrapValidator:
    """Any refusal of the annotated field becomes one problem saying `allowed`.

    pydantic reports only the bound that was crossed ("greater than or equal to 5"); a person
    setting a value wants the whole range ("an integer from 5 to 240"). Booleans are refused
    outright: pydantic would read `true` as the integer 1.
    """

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, bool):
            raise bad_setting("", value, allowed)
        try:
            return handler(value)
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                # A validator of this field already refused with its own, more precise words.
                raised = (error.get("ctx") or {}).get("error")
                if isinstance(raised, SettingsError):
                    raise raised from None
            raise bad_setting("", value, allowed) from None

    return WrapValidator(check)
