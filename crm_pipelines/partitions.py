"""The tenant partitions (O1, T4): every tenant-scoped asset is partitioned by this one object."""

from dagster import DynamicPartitionsDefinition

tenant_partitions = DynamicPartitionsDefinition(name="tenants")

# Every tenant-scoped run carries its tenant in this tag; the run queue allows one run per value.
TENANT_TAG = "crm_pipelines/tenant"
