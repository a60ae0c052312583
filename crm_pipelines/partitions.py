"""The tenant partitions (O1, T4): every tenant-scoped asset is partitioned by this one object."""

import warnings

from dagster import DynamicPartitionsDefinition, PreviewWarning

tenant_partitions = DynamicPartitionsDefinition(name="tenants")

# Every tenant-scoped run carries its tenant in this tag; the run queue allows one run per value.
TENANT_TAG = "crm_pipelines/tenant"

# Checks are partitioned by tenant so the UI shows each tenant's result (a deferred tenant's warning
# is that tenant's, not the asset's). Dagster 1.13 marks a check's partitions_def as a preview and
# warns at every definition; the pinned minor version is what we rely on, so the warning says nothing new.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=PreviewWarning)
