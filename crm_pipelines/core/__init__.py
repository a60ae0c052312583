"""The functional core: pure, typed domain logic on DataFrames and pydantic models.

Nothing here imports Dagster, HTTP or SQL; assets load data, call these functions, and write.
"""
