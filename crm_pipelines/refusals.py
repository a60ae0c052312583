"""How every `crm-pipelines` command refuses: the reason on stderr, exit code 2, nothing changed."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

REFUSED = 2


def refuse(message: str) -> NoReturn:
    click.echo(f"refused: {message}", err=True)
    sys.exit(REFUSED)


def tenant_or_refuse(tenant_id: str):  # type: ignore[no-untyped-def]
    """The database and the registered tenant `tenant_id`; an unknown tenant is refused."""
    from crm_pipelines.store.database import open_database
    from crm_pipelines.store.tenants import TenantNotFound, TenantRegistry

    db = open_database()
    try:
        return db, TenantRegistry(db).get(tenant_id)
    except TenantNotFound as exc:
        refuse(str(exc))
