"""Alembic environment: runs on the connection `store.migrate` hands it, never on a URL of its own."""

from alembic import context

from crm_pipelines.store.migrate import VERSION_TABLE
from crm_pipelines.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
