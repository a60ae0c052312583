"""Asset checks on the extracted objects (O6), run by the crm_sync job for a tenant partition."""

import pytest
from dagster import DagsterInstance
from sqlalchemy import text

from crm_pipelines.definitions import build_definitions
from crm_pipelines.sim.server import run_simulator
from tests.sim_tenants import db_url, register_sim_tenant


def _run_sync(db, tenant, instance):
    return build_definitions(db_url(db)).resolve_job_def("crm_sync").execute_in_process(
        instance=instance, partition_key=tenant, raise_on_error=False
    )


def _evaluations(result) -> dict[tuple[str, str], bool]:
    return {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}


@pytest.mark.both_backends
def test_checks_pass_on_a_clean_sync_and_catch_rows_that_crossed_tenants(db):
    with run_simulator(orgs=("acme", "globex"), scale="tiny", seed=8) as sim:
        register_sim_tenant(db, sim, "acme")
        register_sim_tenant(db, sim, "globex")
        instance = DagsterInstance.ephemeral()
        instance.add_dynamic_partitions("tenants", ["acme", "globex"])

        clean = _run_sync(db, "acme", instance)
        assert clean.success
        evaluations = _evaluations(clean)
        # 23 on the extracted objects, 1 that the extraction is complete, 6 on the matched entities
        assert len(evaluations) == 30
        assert all(evaluations.values()), [k for k, ok in evaluations.items() if not ok]

        # A globex row that carries one of acme's contact ids: rows crossed tenants.
        with db.transaction() as conn:
            conn.execute(text(
                "INSERT INTO crm_contacts (tenant_id, id, is_deleted, extracted_at) "
                "SELECT 'globex', id, is_deleted, extracted_at FROM crm_contacts WHERE tenant_id = 'acme' LIMIT 1"
            ))
        crossed = _run_sync(db, "acme", instance)
        evaluations = _evaluations(crossed)
        assert evaluations[("crm_contacts", "no_rows_of_another_tenant")] is False
        assert evaluations[("crm_contacts", "unique_crm_ids")] is True
        assert evaluations[("crm_accounts", "no_rows_of_another_tenant")] is True
