from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from crm_pipelines.store.database import Database, open_database
from tests.postgres import scratch_database


# The modules that each keep one worker busy longest (measured with --durations): started first.
LONGEST_MODULES = ("tests/test_demo.py", "tests/assets/test_changed_ranges.py", "tests/assets/test_outbound_push.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules run first, then the others marked slow, then the rest, those with most
    tests first (what xdist's own order does). Under `--dist loadfile` each module goes whole to one worker in the order collected
    (`--no-loadscope-reorder`), so a long module taken last would run on alone while the other
    workers sit idle; taken first, the short ones fill in around it."""
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
