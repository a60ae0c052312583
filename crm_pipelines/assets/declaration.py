"""What every per-tenant asset is declared with: one partition per tenant, its group and kinds,
its owners and code version."""

from crm_pipelines.assets.ownership import OWNERS
from crm_pipelines.partitions import tenant_partitions


def per_tenant(group_name: str, kinds: set[str], *, code_version: str = "1", **more: object) -> dict:
    """The keyword arguments of `@asset` for a tenant-partitioned asset of `group_name`; `more` adds to them."""
    return dict(partitions_def=tenant_partitions, group_name=group_name, kinds=kinds, owners=OWNERS,
                code_version=code_version, **more)
