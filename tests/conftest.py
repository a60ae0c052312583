from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_pipelines.store.database import Database, open_database
from tests.postgres import scratch_database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked slow run first. Under `--dist loadfile` each module goes whole to one worker
    in the order collected (`--no-loadscope-reorder`), so a long module taken last would run on
    alone while the other workers sit idle; taken first, the short ones fill in around it."""
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_files)


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
