"""Every table crm_pipelines keeps, as SQLAlchemy Core metadata.

This module is the schema's current shape; the migrations under `migrations/versions` are how a
database gets there. A test checks the two agree, so a table added here without a migration fails CI.

Tenant-scoped tables carry `tenant_id` as the first column of their primary key: the IO manager
replaces and reads exactly one tenant's rows through it, and no query can forget it cheaply.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Integer, MetaData, String, Table, Text

from crm_pipelines.crm.objects import CRM_OBJECTS, CrmField, CrmObject

from crm_pipelines.store.types import UtcDateTime, json_type

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# -- the tenant registry (T1, T2) ---------------------------------------------------------------
tenants = Table(
    "tenants",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("crm_kind", String(32), nullable=False),
    # Not unique: several orgs may share a login host (login.salesforce.com, the simulator). One
    # org serving one tenant (T2) is checked by the registry on the org's full identity.
    Column("login_url", String(500), nullable=False),
    # The connection and settings as validated pydantic JSON; credentials are env-var names only.
    Column("connection", json_type(), nullable=False),
    Column("settings", json_type(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("connected_at", UtcDateTime(), nullable=True),
    Column("disconnected_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# -- asset tables written by the tenant-partitioned IO manager -----------------------------------
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("setting", String(200), primary_key=True),
    Column("value", Text(), nullable=True),
    Column("is_default", Boolean(), nullable=False),
    Column("captured_at", UtcDateTime(), nullable=False),
)


# -- the warehouse: extracted CRM objects (E1–E7) -------------------------------------------------
def _crm_column(field: CrmField) -> Column:
    sql_type = {
        "id": String(18),
        "string": Text(),
        "bool": Boolean(),
        "datetime": UtcDateTime(),
        "date": Date(),
        "float": Float(),
        "int": BigInteger(),
    }[field.kind]
    return Column(field.column, sql_type, primary_key=field.name == "Id", nullable=field.name != "Id")


def _crm_table(obj: CrmObject) -> Table:
    columns = [_crm_column(f) for f in obj.fields]
    if not obj.soft_deletes:
        columns.append(Column("is_deleted", Boolean(), nullable=True))
    return Table(
        obj.table,
        metadata,
        Column("tenant_id", String(63), primary_key=True),
        *columns,
        # When the delete was seen: SystemModstamp of the deleted row, or /deleted/'s deletedDate.
        Column("deleted_at", UtcDateTime(), nullable=True),
        # Mapped fields beyond the standard ones (E6), by Salesforce name.
        Column("mapped_fields", json_type(), nullable=True),
        Column("extracted_at", UtcDateTime(), nullable=False),
    )


crm_tables: dict[str, Table] = {obj.name: _crm_table(obj) for obj in CRM_OBJECTS}

# -- pipeline state: cursors, API budget, deferrals, labels, rejects --------------------------------
extract_cursors = Table(
    "extract_cursors",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("sobject", String(80), primary_key=True),
    # The last (SystemModstamp, Id) durably written; the next sync reads from here (minus lookback).
    Column("cursor_modstamp", UtcDateTime(), nullable=True),
    Column("cursor_id", String(18), nullable=True),
    Column("full_sync_completed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

api_calls = Table(
    "api_calls",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    # Calls are counted in one-minute buckets; the budget is the sum over the last 24 hours.
    Column("bucket_start", UtcDateTime(), primary_key=True),
    Column("calls", Integer(), nullable=False),
)

crm_org_limits = Table(
    "crm_org_limits",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("used", BigInteger(), nullable=False),
    Column("max", BigInteger(), nullable=False),
    Column("observed_at", UtcDateTime(), nullable=False),
)

deferrals = Table(
    "deferrals",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("tenant_id", String(63), nullable=False, index=True),
    Column("job", String(40), nullable=False),
    Column("objects", json_type(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("resume_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
)

crm_field_labels = Table(
    "crm_field_labels",
    metadata,
    Column("tenant_id", String(63), primary_key=True),
    Column("sobject", String(80), primary_key=True),
    Column("field", String(80), primary_key=True),
    Column("label", Text(), nullable=False),
    Column("previous_label", Text(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

crm_rejected_records = Table(
    "crm_rejected_records",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("tenant_id", String(63), nullable=False, index=True),
    Column("sobject", String(80), nullable=False),
    Column("record_id", String(18), nullable=True),
    Column("reason", Text(), nullable=False),
    Column("raw", json_type(), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("rejected_at", UtcDateTime(), nullable=False),
)
