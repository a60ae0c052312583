"""Per-org validation rules, so a test can make chosen records fail for good.

Salesforce admins add rules such as "Email must not end with @invalid.test"; a client's write that
breaks one fails with FIELD_CUSTOM_VALIDATION_EXCEPTION and the rule's message, every time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from crm_pipelines.sim.schema import sobject

RuleTest = Literal["endswith", "startswith", "contains", "equals", "is_blank"]
_TESTS: tuple[str, ...] = ("endswith", "startswith", "contains", "equals", "is_blank")


@dataclass(frozen=True)
class ValidationRule:
    """Reject writes to `sobject` whose `field` passes `test` against `value` (case-insensitive)."""

    sobject: str
    field: str
    test: RuleTest
    value: str = ""
    message: str = "This record breaks a validation rule."
    name: str = ""

    @classmethod
    def checked(cls, sobject_name: str, field: str, test: str, value: str = "",
                message: str | None = None, name: str = "") -> ValidationRule:
        schema = sobject(sobject_name)
        spec = schema.field(field)
        if test not in _TESTS:
            raise ValueError(f"validation rule test {test!r} is not one of {', '.join(_TESTS)}")
        return cls(sobject=schema.name, field=spec.name, test=test, value=value,  # type: ignore[arg-type]
                   message=message or f"{spec.label} is not allowed here.",
                   name=name or f"{schema.name}_{spec.name}_{test}")

    def rejects(self, record: dict[str, Any]) -> bool:
        raw = record.get(self.field)
        text = "" if raw is None else str(raw).lower()
        wanted = self.value.lower()
        if self.test == "is_blank":
            return text == ""
        if text == "":
            return False
        if self.test == "endswith":
            return text.endswith(wanted)
        if self.test == "startswith":
            return text.startswith(wanted)
        if self.test == "contains":
            return wanted in text
        return text == wanted

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
