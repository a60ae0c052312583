"""The simulator's control API over HTTP, for one org: act as a CRM user and read the org's own
state (the source of truth the soak checks against)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import requests


class SimControl:
    def __init__(self, base_url: str, org: str) -> None:
        self.base_url = base_url
        self.org = org
        self._http = requests.Session()
        self._http.trust_env = False  # loopback: no proxy

    def call(self, method: str, path: str, **kw: Any) -> Any:
        response = self._http.request(method, f"{self.base_url}/_sim/orgs/{self.org}{path}", timeout=60, **kw)
        if response.status_code >= 400:
            raise RuntimeError(f"simulator control API {method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def now(self) -> pd.Timestamp:
        return pd.Timestamp(self.call("GET", "/clock")["now"])

    def advance_clock(self, seconds: float) -> None:
        self.call("POST", "/clock/advance", json={"seconds": seconds})

    def edit(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        self.call("PATCH", f"/sobjects/{sobject}/{record_id}", json=fields)

    def delete(self, sobject: str, record_id: str, *, hard: bool = False) -> None:
        self.call("DELETE", f"/sobjects/{sobject}/{record_id}", params={"hard": "true"} if hard else None)

    def purge(self, sobject: str, record_id: str) -> None:
        self.call("POST", f"/sobjects/{sobject}/{record_id}/purge")

    def convert(self, lead_id: str) -> Any:
        return self.call("POST", f"/leads/{lead_id}/convert", json={})

    def record(self, sobject: str, record_id: str) -> dict[str, Any]:
        return self.call("GET", f"/sobjects/{sobject}/{record_id}")

    def rows(self, sobject: str) -> pd.DataFrame:
        """Every record of `sobject`, deleted ones too, with every field."""
        body = self.call("GET", f"/sobjects/{sobject}")
        records = body["records"] if isinstance(body, dict) else body
        return pd.DataFrame(records)

    def set_faults(self, spec: str | None) -> None:
        if spec:
            self.call("PUT", "/faults", json={"spec": spec})
        else:
            self.call("DELETE", "/faults")

    def set_api_limit(self, limit: int) -> None:
        self.call("PUT", "/api-limit", json={"limit": limit})

    def reset_api_usage(self) -> None:
        self.call("POST", "/api-usage/reset")

    def api_usage(self) -> int:
        return int(self.call("GET", "/calls")["apiUsage"]["used"])

    def external_ids(self, sobject: str) -> dict[str, dict[str, int]]:
        return self.call("GET", f"/external-ids/{sobject}")
