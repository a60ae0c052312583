"""The prospects a sync creates from the CRM (F4.1), committed in chunks of records (issue 17),
against the simulator over HTTP: small chunks, one chunk and the old one-piece path leave the same
prospects, connector log and base."""

import json

import pandas as pd
import pytest

from crm_pipelines.app_seed import app_data_for_org
from crm_pipelines.core.field_sync.values import encode
from crm_pipelines.exchange.prospect_creation import CHUNK_ROWS_ENV
from crm_pipelines.settings import PROSPECT_FIELDS
from crm_pipelines.sim.server import run_simulator
from crm_pipelines.store.app_data import read_app_table, write_app_tables
from crm_pipelines.store.connector_log import read_log
from crm_pipelines.store.database import open_database
from crm_pipelines.store.field_sync_base import read_base
from tests.sim_tenants import metadata_by_asset, register_sim_tenant, sync

SEED = 3


@pytest.fixture(scope="module")
def sim():
    with run_simulator(orgs=("acme",), scale="tiny", seed=SEED) as sim:
        yield sim


_SYNCED: dict[tuple[int, bool], tuple] = {}  # a first sync is made once per module and kept


def _first_sync(tmp_path_factory, sim, chunk_rows: int, *, seeded: bool):
    key = (chunk_rows, seeded)
    if key not in _SYNCED:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(CHUNK_ROWS_ENV, str(chunk_rows))
            db = open_database(f"sqlite:///{tmp_path_factory.mktemp('chunks') / f'chunks-{chunk_rows}.db'}")
            register_sim_tenant(db, sim, "acme")
            if seeded:
                write_app_tables(db, "acme", app_data_for_org(sim.org("acme"), seed=SEED))
            result = sync(db, "acme")
        assert result.success
        _SYNCED[key] = db, metadata_by_asset(result)["synced_prospects"]["records_created"]
    return _SYNCED[key]


def _outputs(db) -> dict[str, pd.DataFrame]:
    """What the prospect sync leaves, in a stable order, without the times and ids of the run."""
    prospects = read_app_table(db, "acme", "prospects").sort_values("prospect_id", ignore_index=True)
    log = read_log(db, "acme", app_object="prospect")
    log = log.drop(columns=[c for c in ("id", "at", "run_id", "logged_at") if c in log.columns])
    base = read_base(db, "acme", "prospect").drop(columns=["synced_at"])
    return {
        "prospects": prospects,
        "log": log.sort_values(list(log.columns), ignore_index=True),
        "base": base.sort_values(list(base.columns), ignore_index=True),
    }


@pytest.mark.parametrize("seeded", [True, False], ids=["seeded_app", "empty_app"])
def test_chunked_creation_leaves_what_creation_in_one_piece_leaves(tmp_path_factory, sim, seeded):
    one_piece, created = _first_sync(tmp_path_factory, sim, 0, seeded=seeded)
    one_chunk, created_in_one = _first_sync(tmp_path_factory, sim, 1_000_000, seeded=seeded)
    small_chunks, created_in_small = _first_sync(tmp_path_factory, sim, 7, seeded=seeded)

    assert created > 7 * 3  # several chunks
    assert created_in_one == created_in_small == created
    expected = _outputs(one_piece)
    for db in (one_chunk, small_chunks):
        for name, frame in _outputs(db).items():
            pd.testing.assert_frame_equal(frame, expected[name], obj=name)


def test_each_created_prospect_is_one_log_row_holding_the_values_it_was_created_with(tmp_path_factory, sim):
    db, created = _first_sync(tmp_path_factory, sim, 7, seeded=False)
    log = read_log(db, "acme", app_object="prospect")
    made = log.loc[log["reason"] == "created_in_crm"]
    prospects = read_app_table(db, "acme", "prospects").set_index("prospect_id")
    assert len(made) == created == len(prospects) and made["app_id"].is_unique
    assert made["field"].isna().all() and made["old_value"].isna().all()
    for app_id, values in zip(made["app_id"], made["new_value"]):
        stored = prospects.loc[app_id]
        given = json.loads(values)
        assert given["crm_id"] == stored["crm_id"], app_id
        # The app's own columns hold what the log says they were given (text as the log keeps it).
        assert {field: encode(pd.Series([stored[field]]), PROSPECT_FIELDS.get(field, "string")).iloc[0]
                for field in given} == given, app_id
