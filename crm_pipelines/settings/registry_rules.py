"""Rules over the whole tenant registry, not one tenant: ids are unique and one org serves one tenant (T2)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_pipelines.settings.errors import SettingProblem, SettingsError
from crm_pipelines.settings.tenant import Tenant


def registry_problems(tenants: Sequence[Tenant], path: str = "tenants") -> list[SettingProblem]:
    """Problems of a registry holding `tenants` in this order, each named by its index under `path`.

    The org is known by its login host and the client or user the credentials name (see
    CrmConnection.org_key): several orgs may share one login host (login.salesforce.com for the
    password grant, or the simulator), but the same host and the same credentials reach the same org.
    """
    problems: list[SettingProblem] = []
    first_with_id: dict[str, int] = {}
    first_on_org: dict[tuple[str, str], int] = {}
    for index, tenant in enumerate(tenants):
        subject = f"tenant {tenant.id!r}"
        if tenant.id in first_with_id:
            problems.append(SettingProblem(
                f"{path}[{index}].id", tenant.id, f"an id no other tenant has; {path}[{first_with_id[tenant.id]}] has it",
                subject,
            ))
        org = tenant.connection.org_key()
        if org in first_on_org:
            other = tenants[first_on_org[org]]
            problems.append(SettingProblem(
                f"{path}[{index}].connection", f"{org[0]} with {org[1]}",
                f"a CRM org no other tenant is connected to: tenant {other.id!r} already is, and one org "
                "serves one tenant",
                subject,
            ))
        first_with_id.setdefault(tenant.id, index)
        first_on_org.setdefault(org, index)
    return problems


def check_can_add(existing: Sequence[Tenant], new: Tenant) -> None:
    """Refuse adding `new` next to `existing` when its id is taken or its org already has a tenant."""
    problems = [p for p in registry_problems([*existing, new]) if p.field.startswith(f"tenants[{len(existing)}]")]
    if problems:
        raise SettingsError([SettingProblem(p.field.split(".", 1)[1], p.value, p.allowed, p.subject) for p in problems])
