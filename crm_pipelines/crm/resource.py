"""The CRM as a Dagster resource: one configured policy, the tenant's CRM port per tenant and run.

The resource picks the adapter for the tenant's `connection.kind` and holds the logins, so the runs
of one code location share a login per tenant and nothing is shared between resources (tenants'
tokens are kept apart by tenant id within it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta

from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr

from crm_pipelines.clock import Clock, system_clock
from crm_pipelines.crm.errors import CrmAuthError, TenantDisconnected
from crm_pipelines.crm.insightly.connect import insightly_crm
from crm_pipelines.crm.insightly.objects import LACKING as INSIGHTLY_LACKS
from crm_pipelines.crm.port import CrmPort
from crm_pipelines.crm.salesforce.adapter import SalesforceCrm
from crm_pipelines.crm.salesforce.bulk_query import MAX_RECORDS, SLICE_RECORDS
from crm_pipelines.crm.salesforce.client import ClientPolicy, Logins, SalesforceClient
from crm_pipelines.settings import MissingCredentialError, Tenant


class CrmClientResource(ConfigurableResource):
    """How patient the CRM clients are, for every tenant; where each tenant's CRM is and who logs
    in are the tenant's own connection settings (T1), its secrets read from the environment."""

    connect_timeout_seconds: float = Field(default=10.0, description="TCP connect timeout per request.")
    read_timeout_seconds: float = Field(default=120.0, description="Read timeout per request.")
    max_attempts: int = Field(default=6, description="Attempts per call for transient failures (429, 5xx, dropped connections).")
    max_backoff_seconds: float = Field(default=30.0, description="Ceiling of the exponential backoff between attempts.")
    max_inline_wait_seconds: float = Field(default=60.0, description="A longer Retry-After defers the work instead of waiting.")
    org_limit_backoff_minutes: int = Field(default=60, description="When to look again after REQUEST_LIMIT_EXCEEDED.")
    bulk_page_records: int = Field(
        default=MAX_RECORDS, ge=1,
        description="Records per results page of a bulk read (Salesforce's Bulk API 2.0 maxRecords): one call each.")
    bulk_slice_records: int = Field(
        default=SLICE_RECORDS, ge=1,
        description="Records of a bulk results page converted and written at a time: what the read holds in memory.")

    # Access tokens of this resource's clients. Dagster hands each run a copy of the configured
    # resource; the copies keep the logins of the resource they were made from, so the runs of one
    # code location share a login per tenant (as the assets of one run do), and two resources never.
    _logins: Logins = PrivateAttr(default_factory=Logins)

    def _with_updated_values(self, values):  # type: ignore[no-untyped-def]
        copy = super()._with_updated_values(values)
        copy._logins = self._logins
        return copy

    def policy(self) -> ClientPolicy:
        return ClientPolicy(
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            max_attempts=self.max_attempts,
            max_backoff=self.max_backoff_seconds,
            max_inline_wait=self.max_inline_wait_seconds,
            org_limit_backoff=timedelta(minutes=self.org_limit_backoff_minutes),
        )

    def crm_for(
        self,
        tenant: Tenant,
        reserve_call: Callable[[], object],
        clock: Clock = system_clock,
        environ: Mapping[str, str] | None = None,
    ) -> CrmPort:
        """The CRM of `tenant`, behind the port, watching the org's reserve for its other integrations (S1); refuses
        a disconnected tenant (T3) and missing credentials."""
        if tenant.status != "connected":
            raise TenantDisconnected(
                tenant.id, f"is disconnected since {tenant.disconnected_at}; its CRM is not read or written (T3). "
                "Reconnect it with `crm-pipelines tenant reconnect`"
            )
        if tenant.connection.kind == "insightly":
            return insightly_crm(tenant, reserve_call, clock, self.policy(), os.environ if environ is None else environ)
        try:
            credentials = tenant.connection.resolve_credentials(os.environ if environ is None else environ)
        except MissingCredentialError as exc:
            raise CrmAuthError(tenant.id, str(exc)) from None
        client = SalesforceClient(
            tenant_id=tenant.id,
            connection=tenant.connection,
            credentials=credentials,
            reserve_call=reserve_call,
            clock=clock,
            policy=self.policy(),
            org_reserve_percent=tenant.settings.api_budget.org_reserve_percent,
            logins=self._logins,
        )
        return SalesforceCrm(client, bulk_above_records=tenant.settings.sync.bulk_above_records,
                             bulk_page_records=self.bulk_page_records, bulk_slice_records=self.bulk_slice_records)


def objects_lacking(kind: str) -> Mapping[str, str]:
    """The pipeline's objects a `kind` CRM has no counterpart of, and why: what the tenant's
    extraction skips, so nothing waits for them to be synced (the port's `lacks`, asked of no adapter)."""
    return INSIGHTLY_LACKS if kind == "insightly" else {}
