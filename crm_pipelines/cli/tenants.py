"""`crm-pipelines tenant ...`: the tenant registry (T1–T3), and the lookup of a tenant every other
command starts with."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from crm_pipelines.cli.options import add_json, command_group
from crm_pipelines.cli.output import Column, echo, not_found, print_json, refuse, show


def open_tenant(tenant_id: str):  # type: ignore[no-untyped-def]
    """The database and the registered tenant `tenant_id`; an unknown tenant is not found (exit 3)."""
    from crm_pipelines.store.database import open_database
    from crm_pipelines.store.tenants import TenantNotFound, TenantRegistry

    db = open_database()
    try:
        return db, TenantRegistry(db).get(tenant_id)
    except TenantNotFound as exc:
        not_found(str(exc))


def _registry():  # type: ignore[no-untyped-def]
    from crm_pipelines.store.database import open_database
    from crm_pipelines.store.tenants import TenantRegistry

    return TenantRegistry(open_database())


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    updates: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            refuse(f"'{pair}' is not KEY=VALUE (for example sync.frequency_minutes=30)")
        key, value = pair.split("=", 1)
        updates[key.strip()] = value.strip()
    return updates


def add(args: argparse.Namespace) -> None:
    from crm_pipelines.settings import Tenant, validated

    base = validated(Tenant, {
        "id": args.tenant_id, "name": args.name,
        "connection": {"kind": "salesforce", "login_url": args.login_url,
                       "credentials": {"grant": args.grant, "client_id_env": args.client_id_env,
                                       "client_secret_env": args.client_secret_env,
                                       "username_env": args.username_env, "password_env": args.password_env}},
    })
    configured = base.with_settings(parse_assignments(args.assignments)) if args.assignments else base
    added = _registry().add(configured)
    echo(f"added tenant {added.id} ({added.name}), connected to {added.connection.login_url}")


def import_file(args: argparse.Namespace) -> None:
    from crm_pipelines.settings import load_tenants_yaml

    path = Path(args.path)
    if not path.is_file():
        not_found(f"no file {path}")
    for t in _registry().add_many(load_tenants_yaml(path.read_text())):
        echo(f"added tenant {t.id} ({t.name}), connected to {t.connection.login_url}")


LIST_COLUMNS = (
    Column("tenant", "tenant"), Column("status", "status"), Column("sync_minutes", "sync (min)", right=True),
    Column("push", "push", right=True), Column("api_limit", "api limit/day", right=True),
    Column("org", "org", flexible=True),
)


def list_tenants(args: argparse.Namespace) -> None:
    rows = [{"tenant": t.id, "status": t.status, "sync_minutes": t.sync_frequency_minutes,
             "push": f"{t.push_interval_minutes}m" if t.push_enabled else "off", "api_limit": t.api_daily_limit,
             "org": t.login_url} for t in _registry().summaries()]
    show(rows, LIST_COLUMNS, as_json=args.json, empty="no tenants")


def rebuild_time(tenant) -> str:  # type: ignore[no-untyped-def]
    """When the daily list rebuild runs, as the schedule reads it: local to the tenant's zone, named,
    with the next run's UTC time (the one Dagster's runs and logs show)."""
    from datetime import UTC, datetime

    from crm_pipelines.core.launch_slots import next_daily_start
    from crm_pipelines.settings.time_zone import zone

    at, zone_name = tenant.settings.auto_save.daily_rebuild_at, tenant.settings.time_zone
    upcoming = next_daily_start(datetime.now(UTC), at, zone(zone_name))
    return f"{at:%H:%M} {zone_name} (next: {upcoming:%Y-%m-%d %H:%M} UTC)"


# The keys that move the daily rebuild: setting one says when it now runs.
_REBUILD_KEYS = frozenset({"time_zone", "auto_save.daily_rebuild_at", "auto_save.daily_rebuild_utc"})


def show_tenant(args: argparse.Namespace) -> None:
    import yaml

    _, tenant = open_tenant(args.tenant_id)
    stored = tenant.model_dump(mode="json")
    if args.json:
        print_json(stored)
    else:
        echo(yaml.safe_dump(stored, sort_keys=False).rstrip("\n"))
        echo(f"daily list rebuild: {rebuild_time(tenant)}")


def set_settings(args: argparse.Namespace) -> None:
    updates = parse_assignments(args.assignments)
    tenant = _registry().set(args.tenant_id, updates)
    for key, value in updates.items():
        echo(f"{args.tenant_id}: {key} = {value}")
    if _REBUILD_KEYS & set(updates):
        echo(f"{args.tenant_id}: the daily list rebuild runs at {rebuild_time(tenant)}")


def disconnect(args: argparse.Namespace) -> None:
    t = _registry().disconnect(args.tenant_id)
    echo(f"disconnected {t.id} at {t.disconnected_at:%Y-%m-%d %H:%M:%S} UTC")


def reconnect(args: argparse.Namespace) -> None:
    t = _registry().reconnect(args.tenant_id)
    echo(f"reconnected {t.id} at {t.connected_at:%Y-%m-%d %H:%M:%S} UTC")


def remove(args: argparse.Namespace) -> None:
    if not args.yes:
        try:
            answer = input(f"remove tenant {args.tenant_id}? [y/N]: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            refuse(f"tenant {args.tenant_id} not removed (answer y, or pass --yes)")
    _registry().remove(args.tenant_id)
    echo(f"removed {args.tenant_id}")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sub = command_group(commands, parent, "tenant", "Manage the tenant registry (T1–T3).")

    def on_tenant(name: str, help_text: str, run: Callable[[argparse.Namespace], None]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[parent], help=help_text)
        p.add_argument("tenant_id", metavar="TENANT_ID")
        p.set_defaults(run=run)
        return p

    p = sub.add_parser("add", parents=[parent], help="Register a tenant and its one CRM connection.")
    p.add_argument("tenant_id", metavar="TENANT_ID")
    p.add_argument("--name", required=True, help="Display name.")
    p.add_argument("--login-url", required=True, help="The org's login URL (its My Domain), e.g. https://acme.my.salesforce.com")
    p.add_argument("--client-id-env", required=True, help="Name of the environment variable holding the OAuth client id.")
    p.add_argument("--client-secret-env", required=True, help="Name of the environment variable holding the OAuth client secret.")
    p.add_argument("--grant", choices=["client_credentials", "password"], default="client_credentials")
    p.add_argument("--username-env", default=None, help="Password grant only: env var with the CRM username.")
    p.add_argument("--password-env", default=None, help="Password grant only: env var with the CRM password.")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                   help="A setting, e.g. sync.frequency_minutes=30. Repeatable.")
    p.set_defaults(run=add)

    p = sub.add_parser("import", parents=[parent], help="Register every tenant of a YAML file, all or none.")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(run=import_file)

    p = sub.add_parser("list", parents=[parent], help="One line per tenant.")
    add_json(p)
    p.set_defaults(run=list_tenants)

    p = on_tenant("show", "Everything stored for a tenant, as YAML (credentials are env-var names, never values).",
                  show_tenant)
    add_json(p)

    p = on_tenant("set", "Change settings, e.g. `sync.frequency_minutes=30 push.enabled=false`; all or nothing.",
                  set_settings)
    p.add_argument("assignments", nargs="+", metavar="KEY=VALUE")

    on_tenant("disconnect", "Stop all CRM reads and writes for the tenant; its lists keep what they have (T3).",
              disconnect)
    on_tenant("reconnect", "Resume syncing from the last committed cursors (T3).", reconnect)
    p = on_tenant("remove", "Remove a tenant from the registry (its extracted data stays in the warehouse).", remove)
    p.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
