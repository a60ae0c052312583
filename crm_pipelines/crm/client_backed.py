"""The port's bookkeeping that an adapter reads off its client, whatever the CRM, and the write
costs and task links of a CRM that writes in batches and whose ids say their object."""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any

from crm_pipelines.crm.port import OrgUsage, WriteOperation


class ClientBacked:
    """Calls sent, the CRM's clock and the org's usage, as the adapter's `client` last saw them."""

    client: Any
    max_write_batch: int
    # The CRM tells a Lead from a Contact by its id (Salesforce's key prefixes).
    links_task_by_type = False

    def write_calls(self, operation: WriteOperation, object_name: str, records: int) -> int:
        """A CRM writing up to `max_write_batch` records a call, whatever the operation."""
        return ceil(records / self.max_write_batch)

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
