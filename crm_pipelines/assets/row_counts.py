"""The one way an asset that writes its own rows reports them: `dagster/row_count`, the rows of the
tenant's partition after the write, which the UI shows beside every materialization."""

from dagster import AssetExecutionContext, MaterializeResult

from crm_pipelines.store.database import Database
from crm_pipelines.store.partition_rows import row_count


def counted(context: AssetExecutionContext, db: Database, metadata: dict, *, asset_key: str | None = None,
            **result) -> MaterializeResult:
    """A MaterializeResult carrying `metadata` and the partition's row count (`asset_key` in a multi-asset)."""
    asset = asset_key or context.asset_key.path[-1]
    return MaterializeResult(asset_key=asset_key, metadata={**metadata, **row_count(db, asset, context.partition_key)},
                             **result)
