"""Access tokens: who holds one, for which org and user, and until when.

Tokens look like Salesforce session ids (`<orgId>!<secret>`) and carry nothing a client could
decode; the simulator looks each one up. They expire by the org clock, so advancing the clock or
expiring an org's tokens through the control API makes clients re-authenticate.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

DEFAULT_TOKEN_LIFETIME_SECONDS = 7_200  # Salesforce's default session timeout, two hours


@dataclass(frozen=True)
class Session:
    token: str
    org: str
    org_id: str
    user_id: str
    issued_ms: int
    expires_ms: int

    def is_valid_at(self, now_ms: int) -> bool:
        return now_ms < self.expires_ms


class SessionStore:
    """Every token issued by one simulator, across its orgs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def issue(self, *, org: str, org_id: str, user_id: str, now_ms: int,
              lifetime_seconds: float) -> Session:
        token = f"{org_id[:15]}!{secrets.token_urlsafe(72)}"
        session = Session(token=token, org=org, org_id=org_id, user_id=user_id, issued_ms=now_ms,
                          expires_ms=now_ms + int(lifetime_seconds * 1_000))
        with self._lock:
            self._sessions[token] = session
        return session

    def find(self, token: str) -> Session | None:
        with self._lock:
            return self._sessions.get(token)

    def expire_org(self, org: str, now_ms: int) -> int:
        """End every live session of `org` now; returns how many were live."""
        with self._lock:
            live = [s for s in self._sessions.values() if s.org == org and s.is_valid_at(now_ms)]
            for session in live:
                self._sessions[session.token] = Session(
                    token=session.token, org=session.org, org_id=session.org_id,
                    user_id=session.user_id, issued_ms=session.issued_ms, expires_ms=now_ms)
            return len(live)
