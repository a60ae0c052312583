"""The storage layer: one SQLAlchemy database for the app tables, the warehouse and the pipeline state."""

from crm_pipelines.store.database import Database, open_database, redact_url

__all__ = ["Database", "open_database", "redact_url"]
