"""Where the embedded default keeps its files, and the one place that decides it."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "CRM_PIPELINES_DATA_DIR"
DB_URL_ENV = "CRM_PIPELINES_DB_URL"


def data_dir() -> Path:
    """The local data folder: `$CRM_PIPELINES_DATA_DIR`, else `./.data` under the working directory."""
    path = Path(os.environ.get(DATA_DIR_ENV) or Path.cwd() / ".data").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """`$CRM_PIPELINES_DB_URL`, else a SQLite file in the data folder (the embedded default)."""
    url = os.environ.get(DB_URL_ENV)
    if url:
        return url
    return f"sqlite:///{data_dir() / 'crm_pipelines.db'}"
