"""The Insightly port of one tenant, from its connection settings and the API key in the environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crm_pipelines.clock import Clock
from crm_pipelines.crm.errors import CrmAuthError
from crm_pipelines.crm.insightly.adapter import InsightlyCrm
from crm_pipelines.crm.insightly.client import InsightlyClient
from crm_pipelines.crm.http_calls import ClientPolicy
from crm_pipelines.settings import MissingCredentialError, Tenant


def insightly_crm(tenant: Tenant, reserve_call: Callable[[], object], clock: Clock, policy: ClientPolicy,
                  environ: Mapping[str, str]) -> InsightlyCrm:
    connection = tenant.connection
    try:
        api_key = connection.resolve_api_key(environ)
    except MissingCredentialError as exc:
        raise CrmAuthError(tenant.id, str(exc)) from None
    client = InsightlyClient(
        tenant_id=tenant.id, base_url=connection.login_url, api_key=api_key, api_key_name=str(connection.api_key_env),
        reserve_call=reserve_call, api_version=connection.api_version, clock=clock, policy=policy,
        org_reserve_percent=tenant.settings.api_budget.org_reserve_percent,
    )
    return InsightlyCrm(client)
