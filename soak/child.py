"""`python -m soak.child DB_URL JOB TENANT OFFSET`: one run in a process of its own, for the soak to kill."""

import sys

from dagster import DagsterInstance

from crm_pipelines.definitions import build_definitions
from crm_pipelines.partitions import TENANT_TAG


def main(db_url: str, job_name: str, tenant: str, offset: str) -> None:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", [tenant])
    job = build_definitions(db_url, clock_offset_seconds=float(offset)).resolve_job_def(job_name)
    job.execute_in_process(instance=instance, partition_key=tenant, tags={TENANT_TAG: tenant}, raise_on_error=False)


if __name__ == "__main__":
    main(*sys.argv[1:5])
