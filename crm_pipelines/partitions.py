"""The tenant partitions (O1, T4): every tenant-scoped asset is partitioned by this one object."""

from dagster import DynamicPartitionsDefinition

tenant_partitions = DynamicPartitionsDefinition(name="tenants")
