from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest

from crm_pipelines.store.database import Database, open_database
from tests.postgres import scratch_database


# The modules that each keep one worker busy longest (measured with --durations): started first.
LONGEST_MODULES = ("tests/test_demo.py", "tests/assets/test_three_way_sync.py", "tests/assets/test_outbound_push.py",
                   "tests/automation/test_slots_in_the_daemon.py")


# The scenarios (a whole sync, push or tick against the simulator) each run on one backend, not
# both: what differs between the backends is the store's SQL, which tests/store runs on both. Set
# to run every scenario on both, as before a release.
BOTH_BACKENDS_ENV = "CRM_PIPELINES_TEST_BOTH_BACKENDS"
SCENARIO_FOLDERS = ("tests/assets/", "tests/automation/")


BACKEND_PARAMS = {"sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}


def _runs_on(item: pytest.Item) -> bool:
    """Whether this variant of a test runs: every variant of a test not parametrized by backend,
    outside the scenarios or marked `both_backends` (its subject is the store's own behaviour: a
    crash mid-run, the values' types, statement counts); otherwise the backend a hash of the test's
    name without its backend picks. A hash, not a position, so a test keeps its backend when others
    are added; the test's id says which ran."""
    params = getattr(item, "callspec", None)
    values = list(params.params.values()) if params else []
    backends = [BACKEND_PARAMS[v] for v in values if isinstance(v, str) and v in BACKEND_PARAMS]
    if not backends or not item.nodeid.startswith(SCENARIO_FOLDERS) or item.get_closest_marker("both_backends"):
        return True
    others = [str(v) for v in values if not (isinstance(v, str) and v in BACKEND_PARAMS)]
    name = item.nodeid.split("[")[0] + "-".join(others)
    return ("sqlite", "postgres")[zlib.crc32(name.encode()) % 2] == backends[0]


def _one_backend_per_scenario(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(BOTH_BACKENDS_ENV):
        return
    runs = [_runs_on(item) for item in items]
    dropped = [item for item, run in zip(items, runs, strict=True) if not run]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item, run in zip(items, runs, strict=True) if run]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each scenario on one backend (see BOTH_BACKENDS_ENV). The longest modules run first, then
    the others marked slow, then the rest, those with most tests first (what xdist's own order does). Under `--dist loadfile` each module goes whole to one worker in the order collected
    (`--no-loadscope-reorder`), so a long module taken last would run on alone while the other
    workers sit idle; taken first, the short ones fill in around it."""
    _one_backend_per_scenario(config, items)

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    slow = {module(item) for item in items if item.get_closest_marker("slow")}
    tests = Counter(module(item) for item in items)

    def order(item: pytest.Item) -> tuple[int, int]:
        name = module(item)
        if name in LONGEST_MODULES:
            return 0, LONGEST_MODULES.index(name)
        return (1, 0) if name in slow else (2, -tests[name])

    items.sort(key=order)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch) -> None:
    """No test reads or writes the developer's own .data folder or database."""
    monkeypatch.setenv("CRM_PIPELINES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CRM_PIPELINES_DB_URL", raising=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with scratch_database() as url:
        yield url


@pytest.fixture
def sqlite_db(tmp_path) -> Database:
    return open_database(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def postgres_db(postgres_url) -> Database:
    db = open_database(postgres_url)
    _truncate_all(db)
    return db


@pytest.fixture(params=["sqlite", "postgres"])
def db(request) -> Database:
    """The same test on both backends."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        return request.getfixturevalue("postgres_db")
    return request.getfixturevalue("sqlite_db")


def _truncate_all(db: Database) -> None:
    from crm_pipelines.store.tables import metadata

    with db.transaction() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
