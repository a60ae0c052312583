"""Refusals of settings: every one names the field, the value given and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pydantic


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"  # unpickles as this module's one MISSING, so `is MISSING` still holds


MISSING: Any = _Missing()
"""The value of a problem whose field was not given at all."""

HIDDEN = "<hidden>"

# Credential fields hold references, but a user who pastes the secret itself into one must not
# see it echoed back into a terminal, a log or Dagster's event log.
_SECRET_MARKERS = ("_env", "secret", "password", "token")


@dataclass(frozen=True)
class SettingProblem:
    """One refused value. `field` is a dotted path such as `workflows[2].criteria[0].operator`."""

    field: str
    value: object
    allowed: str
    subject: str = ""
    """What the field belongs to, when its path alone does not say: `tenant 'acme'`."""

    def __post_init__(self) -> None:
        # Hidden at the source, so no rendering of a problem (text, JSON, a log) can show a secret.
        if _must_hide(self.field, self.value):
            object.__setattr__(self, "value", HIDDEN)

    def __str__(self) -> str:
        where = f" ({self.subject})" if self.subject else ""
        if self.value is MISSING:
            return f"{self.field} is missing{where}: {self.allowed}"
        return f"{self.field} = {shown_value(self.field, self.value)} is not allowed{where}: {self.allowed}"

    def under(self, prefix: str, subject: str = "") -> SettingProblem:
        """The same problem seen from a containing object, whose path starts with `prefix`."""
        merged = subject
        if self.subject and self.subject not in subject:
            merged = f"{subject}, {self.subject}" if subject else self.subject
        return SettingProblem(join_path(prefix, self.field), self.value, self.allowed, merged)


class SettingsError(ValueError):
    """A refused setting, or several; nothing was applied."""

    def __init__(self, problems: Sequence[SettingProblem]) -> None:
        if not problems:
            raise ValueError("a SettingsError needs at least one problem")
        self.problems: list[SettingProblem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type[SettingsError], tuple[list[SettingProblem]]]:
        # Dagster ships errors between processes by pickling them.
        return (SettingsError, (self.problems,))


def bad_setting(field: str, value: object, allowed: str, subject: str = "") -> SettingsError:
    """The error for one bad value (raise it): the field, the value and what is allowed."""
    return SettingsError([SettingProblem(field, value, allowed, subject)])


def join_path(prefix: str, field: str) -> str:
    if not prefix:
        return field
    if not field:
        return prefix
    if field.startswith("["):
        return prefix + field
    return f"{prefix}.{field}"


def path_of(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path = join_path(path, f"[{part}]" if isinstance(part, int) else str(part))
    return path


def is_secret_field(field: str) -> bool:
    last = field.rsplit(".", 1)[-1].lower()
    return any(marker in last for marker in _SECRET_MARKERS)


def _must_hide(field: str, value: object) -> bool:
    if value is None or value is MISSING or (isinstance(value, str) and value == HIDDEN):
        return False
    return is_secret_field(field) or (isinstance(value, str) and _has_user_info(value))


def shown_value(field: str, value: object) -> str:
    if _must_hide(field, value):
        return HIDDEN
    if isinstance(value, str) and value and value == value.strip() and " " not in value:
        return value
    return repr(value)


def _has_user_info(text: str) -> bool:
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc and "@" in parts.netloc)


_GENERIC_ALLOWED: Mapping[str, str] = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list of distinct values",
    "frozen_set_type": "a list of distinct values",
    "dict_type": "a mapping of setting names to values",
    "model_type": "a mapping of setting names to values",
    "model_attributes_type": "a mapping of setting names to values",
    "missing": "a value: this setting is required",
    "datetime_type": "a date and time with a timezone, such as 2024-05-01T09:00:00+00:00",
    "datetime_parsing": "a date and time with a timezone, such as 2024-05-01T09:00:00+00:00",
    "datetime_from_date_parsing": "a date and time with a timezone, such as 2024-05-01T09:00:00+00:00",
    "timezone_aware": "a date and time with a timezone, such as 2024-05-01T09:00:00+00:00",
    "time_type": "a time of day such as 05:00",
    "time_parsing": "a time of day such as 05:00",
}


def _allowed(error: Mapping[str, Any], model_here: type[pydantic.BaseModel] | None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"one of {ctx['expected']}"
    if kind == "extra_forbidden":
        if model_here is not None:
            return f"no such setting; the settings here are {', '.join(sorted(model_here.model_fields))}"
        return "no such setting"
    if kind == "string_too_short":
        return f"text of at least {ctx['min_length']} character(s)"
    if kind == "string_too_long":
        return f"text of at most {ctx['max_length']} characters"
    if kind == "too_short":
        return f"a list of at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"a list of at most {ctx['max_length']} items"
    if kind == "string_pattern_mismatch":
        return f"text matching {ctx['pattern']}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()))
        word = {"greater_than_equal": "at least", "less_than_equal": "at most",
                "greater_than": "more than", "less_than": "less than"}[kind]
        return f"a number {word} {bound}"
    return _GENERIC_ALLOWED.get(kind, str(error["msg"]))


def _model_at(model: type[pydantic.BaseModel] | None, loc: Sequence[int | str]) -> type[pydantic.BaseModel] | None:
    """The model class that holds the last part of `loc`, found by following field annotations."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return current
    return None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _inner_model(argument)
        if found is not None:
            return found
    return None


def _subject_of(node: object) -> str:
    if isinstance(node, Mapping):
        # Tenants are the records with an id; workflows are the named records with an action.
        if isinstance(node.get("id"), str):
            return f"tenant {node['id']!r}"
        if isinstance(node.get("name"), str) and ("criteria" in node or "action" in node):
            return f"workflow {node['name']!r}"
    elif isinstance(node, pydantic.BaseModel):
        return _subject_of(node.__dict__)
    return ""


def _subjects_along(data: object, loc: Sequence[int | str]) -> str:
    subjects = [_subject_of(data)]
    node = data
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Sequence) and not isinstance(node, str) and isinstance(part, int) \
                and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, pydantic.BaseModel) and isinstance(part, str):
            node = getattr(node, part, None)
        else:
            break
        subjects.append(_subject_of(node))
    return ", ".join(s for s in subjects if s)


def settings_error_from_validation(
    exc: pydantic.ValidationError,
    data: object,
    model: type[pydantic.BaseModel] | None = None,
) -> SettingsError:
    """Turn pydantic's errors into SettingProblems naming field, value and what is allowed.

    `data` is what was validated; it lets a problem say which tenant or workflow it is about.
    `model` (the class that was validated) lets a misspelled key be answered with the valid keys.
    """
    problems: list[SettingProblem] = []
    for error in exc.errors(include_url=False):
        loc: tuple[int | str, ...] = tuple(error["loc"])
        path = path_of(loc)
        subject = _subjects_along(data, loc)
        raised = (error.get("ctx") or {}).get("error")
        if isinstance(raised, SettingsError):
            problems.extend(problem.under(path, subject) for problem in raised.problems)
            continue
        value = MISSING if error["type"] == "missing" else error.get("input")
        problems.append(SettingProblem(path, value, _allowed(error, _model_at(model, loc)), subject))
    return SettingsError(problems)


M = TypeVar("M", bound=pydantic.BaseModel)


def validated(model: type[M], data: object) -> M:
    """`model.model_validate(data)`, refusing with a SettingsError instead of pydantic's error."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise settings_error_from_validation(exc, data, model) from None
