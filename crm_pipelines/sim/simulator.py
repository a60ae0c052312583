"""The simulator's state across orgs: the orgs themselves and the sessions that pick one.

This is the in-process face of the CRM simulator; `server.run_simulator` puts it behind HTTP.
Tests may drive it directly (`sim.org("acme").edit(...)`) or through the control API at `/_sim/`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from crm_pipelines.sim.generate import OrgData, Scale, generate_org
from crm_pipelines.sim.insightly.rate import SecondRate
from crm_pipelines.sim.oauth_api import client_secret, user_password
from crm_pipelines.sim.org_state import OrgState
from crm_pipelines.sim.org_time import OrgClockMode, in_time
from crm_pipelines.sim.sessions import SessionStore

DEFAULT_ORGS = ("acme", "globex", "initech")
DEFAULT_API_LIMIT = 100_000
DIALECTS = ("salesforce", "insightly")


def org_spec(spec: str) -> tuple[str, str]:
    """`name` or `name:dialect` as (name, dialect); the dialect defaults to Salesforce."""
    name, _, dialect = spec.partition(":")
    name, dialect = name.strip(), (dialect.strip().lower() or "salesforce")
    if not name:
        raise ValueError(f"org {spec!r} has no name")
    if dialect not in DIALECTS:
        raise ValueError(f"org {name}: dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
    return name, dialect


def org_state_from(data: OrgData, *, api_limit: int = DEFAULT_API_LIMIT,
                   faults: str | None = None, dialect: str = "salesforce") -> OrgState:
    return OrgState(name=data.org, org_id=data.org_id, tables=data.tables, now=data.now,
                    seed=data.seed, scale=data.scale, api_limit=api_limit, faults=faults,
                    dialect=dialect)


class Simulator:
    """Every org of one simulator, and the tokens issued for them."""

    def __init__(self, orgs: Iterable[OrgState], *, build_seconds: float = 0.0) -> None:
        self.orgs: dict[str, OrgState] = {}
        for org in orgs:
            if org.name in self.orgs:
                raise ValueError(f"org {org.name} is given twice")
            self.orgs[org.name] = org
        self.sessions = SessionStore()
        self._second_rates: dict[str, SecondRate] = {}
        self.base_url = ""
        self.ca_file: str | None = None
        self.build_seconds = build_seconds

    @classmethod
    def generated(cls, orgs: Iterable[str] = DEFAULT_ORGS, *, scale: Scale = "tiny", seed: int = 1,
                  api_limit: int = DEFAULT_API_LIMIT, faults: str | None = None,
                  on_org: Callable[[str], None] | None = None, clock: OrgClockMode = "fixed") -> Simulator:
        """Orgs with generated data: the same names, scale and seed always give the same records.
        Each org is `name` (served as Salesforce) or `name:dialect`, e.g. `hooli:insightly`.
        On `clock="fixed"` (tests, the demo) they are also stamped the same, around 2026-06-01; on
        "wall" (what `sim serve` runs) the org lives in real time, its history moved to end now.
        `on_org` hears each org's name once it is built (a large scale takes a while)."""
        started = time.perf_counter()
        states = []
        for spec in orgs:
            name, dialect = org_spec(spec)
            states.append(org_state_from(in_time(generate_org(name, scale, seed), clock), api_limit=api_limit,
                                         faults=faults, dialect=dialect))
            if on_org is not None:
                on_org(name)
        return cls(states, build_seconds=time.perf_counter() - started)

    def org(self, name: str) -> OrgState:
        try:
            return self.orgs[name]
        except KeyError:
            raise KeyError(f"no org {name!r}; orgs: {', '.join(self.orgs)}") from None

    def second_rate(self, org: str) -> SecondRate:
        """The per-second request rate of an org whose API has one (Insightly's); settable in
        tests through `.per_second`."""
        state = self.org(org)
        return self._second_rates.setdefault(state.name, SecondRate())

    # -- sessions --------------------------------------------------------------------------------
    def issue_token(self, org: str, username: str | None = None) -> str:
        """A token as the token endpoint would give it, without an HTTP round trip."""
        state = self.org(org)
        user_id = state.integration_user_id() if username is None else state.user_id_for_username(username)
        if user_id is None:
            raise KeyError(f"org {org}: no active user {username!r}")
        return self.sessions.issue(org=state.name, org_id=state.org_id, user_id=user_id,
                                   now_ms=state.clock.now_ms(),
                                   lifetime_seconds=state.token_lifetime_seconds).token

    def expire_tokens(self, org: str) -> int:
        """End every live token of `org` now, so its clients must authenticate again."""
        state = self.org(org)
        return self.sessions.expire_org(state.name, state.clock.now_ms())

    def set_token_lifetime(self, org: str, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"token lifetime must be positive, got {seconds}")
        self.org(org).token_lifetime_seconds = seconds

    # -- across orgs -----------------------------------------------------------------------------
    def set_faults(self, spec: str | None, org: str | None = None) -> None:
        for state in [self.org(org)] if org else self.orgs.values():
            state.set_faults(spec)

    def advance_clock(self, seconds: float, org: str | None = None) -> None:
        for state in [self.org(org)] if org else self.orgs.values():
            state.advance_clock(seconds)

    def credentials(self, org: str) -> dict[str, str]:
        state = self.org(org)
        users = state.active_users()
        return {"client_id": state.name, "client_secret": client_secret(state.name),
                "username": str(users["Username"].iloc[0]) if not users.empty else "",
                "password": user_password(state.name)}

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for state in self.orgs.values():
            with state.lock:
                counts = {name: len(table) for name, table in state.tables.items()}
            out.append({
                "name": state.name, "dialect": state.dialect, "orgId": state.org_id, "scale": state.scale, "seed": state.seed,
                "now": state.now_text(), "apiUsage": state.api_usage(), "faults": state.faults.spec,
                "tokenLifetimeSeconds": state.token_lifetime_seconds, "records": counts,
            })
        return out

