"""Every table crm_pipelines keeps, as SQLAlchemy Core metadata.

This module is the schema's current shape; the migrations under `migrations/versions` are how a
database gets there. A test checks the two agree, so a table added here without a migration fails CI.

Tenant-scoped tables carry `tenant_id` as the first column of their primary key: the IO manager
replaces and reads exactly one tenant's rows through it, and no query can forget it cheaply.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, MetaData, String, Table, Text

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
