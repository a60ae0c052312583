"""The port's bookkeeping that an adapter reads off its client, whatever the CRM."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_pipelines.crm.port import OrgUsage


class ClientBacked:
    """Calls sent, the CRM's clock and the org's usage, as the adapter's `client` last saw them."""

    client: Any

    @property
    def calls_sent(self) -> int:
        return int(self.client.calls_sent)

    @property
    def crm_time(self) -> datetime | None:
        return self.client.crm_time

    @property
    def org_usage(self) -> OrgUsage | None:
        return self.client.last_usage

    def assume_org_usage(self, usage: OrgUsage) -> None:
        self.client.last_usage = usage
