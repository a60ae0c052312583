"""Fault injection for API calls, reproducible by seed.

A fault spec is a comma-separated list of rules:

    RULE  := KIND ["=" ARG] ["@" PROBABILITY | "x" COUNT]

    KIND      ARG                                   what the client sees
    429       Retry-After seconds (default 1)       429 TOO_MANY_REQUESTS with a Retry-After header
    500       -                                     500 UNKNOWN_EXCEPTION
    503       -                                     503 SERVER_UNAVAILABLE
    delay     seconds, may be fractional (def. 1)   the answer comes that much later
    drop      before | after (default after)        the connection closes with no response at all
    truncate  -                                     200 with the JSON body cut in half (and a
                                                    Content-Length that matches the cut body)
    cut       -                                     200 with the whole body's Content-Length, the
                                                    connection lost halfway through the body

    "@0.05" fires on each call with probability 0.05; "x3" fires on the next 3 calls; neither
    means every call.

Examples: `429=2@0.1`, `500x3,503x1` (three 500s, then one 503), `delay=0.2@0.5,drop@0.01`.

How a call meets its faults: delays add up and combine with anything else; of the other rules the
first in spec order that fires decides the answer, and only that rule uses up one of its "xN"
calls. Probability rules draw from the org's own random stream on every call, seeded by the
simulator seed, the org name and the spec, so the same seed and the same calls give the same faults.

`drop=before` closes the connection before the request is handled, so nothing changes in the org;
`drop=after` (the default) handles the request and then closes the connection, so a write may have
taken effect although the client never heard: the case that makes retried creates duplicate records.
429, 500 and 503 are answered before the request is handled; `truncate` and `cut` after it is
handled (`cut`: a download that fails midway, as a lost connection does to a long results page).
Every faulted call counts against the org's daily API limit: it reached the CRM.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

from crm_pipelines.sim.ids import stable_number

FaultKind = Literal["429", "500", "503", "delay", "drop", "truncate", "cut"]
DropMoment = Literal["before", "after"]

_KINDS: tuple[FaultKind, ...] = ("429", "500", "503", "delay", "drop", "truncate", "cut")
_RULE = re.compile(
    r"^(?P<kind>429|500|503|delay|drop|truncate|cut)(?:=(?P<arg>[0-9]+(?:\.[0-9]+)?|before|after))?"
    r"(?:@(?P<probability>[0-9]*\.?[0-9]+)|x(?P<count>[0-9]+))?$"
)


class FaultSpecError(ValueError):
    """A fault spec that does not follow the grammar in this module's docstring."""


@dataclass(frozen=True)
class FaultRule:
    kind: FaultKind
    probability: float | None = None
    count: int | None = None
    retry_after: int = 1
    delay_seconds: float = 1.0
    drop_moment: DropMoment = "after"

    def text(self) -> str:
        arg = {
            "429": f"={self.retry_after}",
            "delay": f"={self.delay_seconds:g}",
            "drop": f"={self.drop_moment}",
        }.get(self.kind, "")
        when = f"x{self.count}" if self.count is not None else f"@{self.probability:g}"
        return f"{self.kind}{arg}{when}"


@dataclass(frozen=True)
class Fault:
    """What happens to one call: an added delay and at most one other fault."""

    delay_seconds: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    drop: DropMoment | None = None
    truncate: bool = False
    cut: bool = False
    rules: tuple[str, ...] = field(default=())


def _parse_rule(text: str) -> FaultRule:
    match = _RULE.match(text.strip())
    if not match:
        raise FaultSpecError(f"fault rule {text!r} does not read KIND[=ARG][@PROBABILITY|xCOUNT] "
                             f"with KIND one of {', '.join(_KINDS)}")
    kind, arg = match["kind"], match["arg"]
    probability = float(match["probability"]) if match["probability"] is not None else None
    count = int(match["count"]) if match["count"] is not None else None
    if probability is None and count is None:
        probability = 1.0
    if probability is not None and not 0.0 <= probability <= 1.0:
        raise FaultSpecError(f"fault rule {text!r}: probability must be within 0..1")
    rule = FaultRule(kind=kind, probability=probability, count=count)  # type: ignore[arg-type]
    if arg is None:
        return rule
    if kind == "429" and arg.isdigit():
        return FaultRule(kind=kind, probability=probability, count=count, retry_after=int(arg))
    if kind == "delay" and arg not in ("before", "after"):
        return FaultRule(kind=kind, probability=probability, count=count, delay_seconds=float(arg))
    if kind == "drop" and arg in ("before", "after"):
        return FaultRule(kind=kind, probability=probability, count=count,
                         drop_moment=arg)  # type: ignore[arg-type]
    raise FaultSpecError(f"fault rule {text!r}: {kind} takes no argument {arg!r}")


def parse_fault_spec(spec: str | None) -> tuple[FaultRule, ...]:
    """The rules of a spec; an empty or None spec has none."""
    if spec is None or not spec.strip():
        return ()
    return tuple(_parse_rule(part) for part in spec.split(",") if part.strip())


class FaultInjector:
    """Decides, call by call, which faults an org's API calls meet."""

    def __init__(self, spec: str | None, *, seed: int, org: str) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._org = org
        self._install(parse_fault_spec(spec))

    def _install(self, rules: tuple[FaultRule, ...]) -> None:
        self._rules = rules
        self._remaining = [rule.count for rule in self._rules]
        self._random = random.Random(stable_number(f"{self._seed}:{self._org}:faults:{self.spec}"))

    @property
    def spec(self) -> str:
        return ",".join(rule.text() for rule in self._rules)

    def set(self, spec: str | None) -> None:
        """Replace the rules (and restart the random stream, so a spec set twice replays)."""
        rules = parse_fault_spec(spec)
        with self._lock:
            self._install(rules)

    def clear(self) -> None:
        self.set(None)

    def remaining(self) -> list[dict[str, object]]:
        with self._lock:
            return [{"rule": rule.text(), "remaining": left}
                    for rule, left in zip(self._rules, self._remaining, strict=True)]

    def next_call(self) -> Fault | None:
        """The faults of the next call, or None when it goes through untouched."""
        with self._lock:
            if not self._rules:
                return None
            # Draw for every probability rule on every call, so one rule firing never shifts
            # the random stream of the others.
            draws = [self._random.random() if rule.probability is not None else None
                     for rule in self._rules]
            delay = 0.0
            fired: list[str] = []
            terminal: FaultRule | None = None
            for index, rule in enumerate(self._rules):
                if rule.count is not None:
                    fires = (self._remaining[index] or 0) > 0
                else:
                    fires = draws[index] is not None and draws[index] < (rule.probability or 0.0)
                if not fires:
                    continue
                if rule.kind == "delay":
                    delay += rule.delay_seconds
                elif terminal is None:
                    terminal = rule
                else:
                    continue
                if rule.count is not None:
                    self._remaining[index] = (self._remaining[index] or 0) - 1
                fired.append(rule.text())
            if not fired:
                return None
            return _fault_of(terminal, delay, tuple(fired))


def _fault_of(rule: FaultRule | None, delay: float, fired: tuple[str, ...]) -> Fault:
    if rule is None:
        return Fault(delay_seconds=delay, rules=fired)
    if rule.kind == "429":
        return Fault(delay_seconds=delay, status=429, retry_after=rule.retry_after, rules=fired)
    if rule.kind in ("500", "503"):
        return Fault(delay_seconds=delay, status=int(rule.kind), rules=fired)
    if rule.kind == "drop":
        return Fault(delay_seconds=delay, drop=rule.drop_moment, rules=fired)
    if rule.kind == "cut":
        return Fault(delay_seconds=delay, cut=True, rules=fired)
    return Fault(delay_seconds=delay, truncate=True, rules=fired)
