"""`crm-pipelines`: the one command line (I1).

Refusals exit with code 2 and say on stderr what was wrong (field, value, what is allowed);
unexpected failures exit with 1. Secrets never reach the terminal: credentials are env-var names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml

from crm_pipelines.settings import SettingsError, Tenant, load_tenants_yaml, validated
from crm_pipelines.auto_save_cli import lists
from crm_pipelines.automation.backfill import backfill
from crm_pipelines.push_cli import push
from crm_pipelines.refusals import refuse
from crm_pipelines.sim.cli import sim
from crm_pipelines.store.database import open_database
from crm_pipelines.store.tenants import TenantRegistry, TenantRegistryError

def _registry() -> TenantRegistry:
    return TenantRegistry(open_database())


def _guarded(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except SettingsError as exc:
        refuse(str(exc))
    except TenantRegistryError as exc:
        refuse(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Keep a multi-tenant sales app in sync with each tenant's CRM."""


# -- tenants ---------------------------------------------------------------------------------
@main.group()
def tenant() -> None:
    """Manage the tenant registry (T1–T3)."""


def _parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    updates: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            refuse(f"'{pair}' is not KEY=VALUE (for example sync.frequency_minutes=30)")
        key, value = pair.split("=", 1)
        updates[key.strip()] = value.strip()
    return updates


@tenant.command("add")
@click.argument("tenant_id")
@click.option("--name", required=True, help="Display name.")
@click.option("--login-url", required=True, help="The org's login URL (its My Domain), e.g. https://acme.my.salesforce.com")
@click.option("--client-id-env", required=True, help="Name of the environment variable holding the OAuth client id.")
@click.option("--client-secret-env", required=True, help="Name of the environment variable holding the OAuth client secret.")
@click.option("--grant", type=click.Choice(["client_credentials", "password"]), default="client_credentials", show_default=True)
@click.option("--username-env", default=None, help="Password grant only: env var with the CRM username.")
@click.option("--password-env", default=None, help="Password grant only: env var with the CRM password.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="A setting, e.g. sync.frequency_minutes=30. Repeatable.")
def tenant_add(tenant_id: str, name: str, login_url: str, client_id_env: str, client_secret_env: str,
               grant: str, username_env: str | None, password_env: str | None, assignments: tuple[str, ...]) -> None:
    """Register a tenant and its one CRM connection."""
    def build() -> Tenant:
        base = validated(
            Tenant,
            {"id": tenant_id, "name": name,
             "connection": {"kind": "salesforce", "login_url": login_url,
                            "credentials": {"grant": grant, "client_id_env": client_id_env,
                                            "client_secret_env": client_secret_env,
                                            "username_env": username_env, "password_env": password_env}}},
        )
        configured = base.with_settings(_parse_assignments(assignments)) if assignments else base
        return _registry().add(configured)

    added = _guarded(build)
    click.echo(f"added tenant {added.id} ({added.name}), connected to {added.connection.login_url}")


@tenant.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tenant_import(path: Path) -> None:
    """Register every tenant of a YAML file, all or none."""
    added = _guarded(lambda: _registry().add_many(load_tenants_yaml(path.read_text())))
    for t in added:
        click.echo(f"added tenant {t.id} ({t.name}), connected to {t.connection.login_url}")


@tenant.command("list")
def tenant_list() -> None:
    """One line per tenant."""
    rows = _registry().list()
    if not rows:
        click.echo("no tenants")
        return
    click.echo(f"{'tenant':<20} {'status':<13} {'sync':>6} {'push':>6} {'api limit':>10}  org")
    for t in rows:
        s = t.settings
        push = f"{s.push.interval_minutes}m" if s.push.enabled else "off"
        click.echo(f"{t.id:<20} {t.status:<13} {s.sync.frequency_minutes:>5}m {push:>6} {s.api_budget.daily_limit:>10}  {t.connection.login_url}")


@tenant.command("show")
@click.argument("tenant_id")
def tenant_show(tenant_id: str) -> None:
    """Everything stored for a tenant, as YAML (credentials are env-var names, never values)."""
    t = _guarded(lambda: _registry().get(tenant_id))
    click.echo(yaml.safe_dump(t.model_dump(mode="json"), sort_keys=False), nl=False)


@tenant.command("set")
@click.argument("tenant_id")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
def tenant_set(tenant_id: str, assignments: tuple[str, ...]) -> None:
    """Change settings, e.g. `sync.frequency_minutes=30 push.enabled=false`; all or nothing."""
    updates = _parse_assignments(assignments)
    _guarded(lambda: _registry().set(tenant_id, updates))
    for key, value in updates.items():
        click.echo(f"{tenant_id}: {key} = {value}")


@tenant.command("disconnect")
@click.argument("tenant_id")
def tenant_disconnect(tenant_id: str) -> None:
    """Stop all CRM reads and writes for the tenant; its lists keep what they have (T3)."""
    t = _guarded(lambda: _registry().disconnect(tenant_id))
    click.echo(f"disconnected {t.id} at {t.disconnected_at:%Y-%m-%d %H:%M:%S} UTC")


@tenant.command("reconnect")
@click.argument("tenant_id")
def tenant_reconnect(tenant_id: str) -> None:
    """Resume syncing from the last committed cursors (T3)."""
    t = _guarded(lambda: _registry().reconnect(tenant_id))
    click.echo(f"reconnected {t.id} at {t.connected_at:%Y-%m-%d %H:%M:%S} UTC")


@tenant.command("remove")
@click.argument("tenant_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def tenant_remove(tenant_id: str, yes: bool) -> None:
    """Remove a tenant from the registry (its extracted data stays in the warehouse)."""
    if not yes:
        click.confirm(f"remove tenant {tenant_id}?", abort=True)
    _guarded(lambda: _registry().remove(tenant_id))
    click.echo(f"removed {tenant_id}")


# -- matching and the connector log -------------------------------------------------------------
_MATCH_OBJECTS = {"user": ("User",), "prospect": ("Contact", "Lead"), "company": ("Account",)}


@main.group()
def match() -> None:
    """Manual match overrides (X3)."""


@match.command("confirm")
@click.option("--tenant", "tenant_id", required=True, help="The tenant.")
@click.option("--prospect", "prospect_id", default=None, help="An app prospect id.")
@click.option("--user", "user_id", default=None, help="An app user id.")
@click.option("--company", "company_id", default=None, help="An app company id.")
@click.option("--crm-id", required=True, help="The CRM record it is: a Lead or Contact, a User, an Account.")
def match_confirm(tenant_id: str, prospect_id: str | None, user_id: str | None, company_id: str | None,
                  crm_id: str) -> None:
    """Mark a CRM record as the correct match of an app record; it wins over every automatic match
    from the next sync on, and every rebuild keeps it."""
    from crm_pipelines.store.app_data import app_record_exists, confirm_match
    from crm_pipelines.store.crm_lookup import crm_record_type

    chosen = [(entity, app_id) for entity, app_id in
              (("prospect", prospect_id), ("user", user_id), ("company", company_id)) if app_id is not None]
    if len(chosen) != 1:
        refuse("name exactly one app record: --prospect ID, --user ID or --company ID")
    entity, app_id = chosen[0]
    database = open_database()
    _guarded(lambda: TenantRegistry(database).get(tenant_id))
    if not app_record_exists(database, tenant_id, entity, app_id):  # type: ignore[arg-type]
        refuse(f"tenant '{tenant_id}' has no {entity} '{app_id}'")
    crm_type = crm_record_type(database, tenant_id, _MATCH_OBJECTS[entity], crm_id)
    if crm_type is None:
        refuse(f"tenant '{tenant_id}' has no extracted CRM {' or '.join(_MATCH_OBJECTS[entity])} '{crm_id}' "
                "(run the CRM sync first if it is new)")
    confirm_match(database, tenant_id, entity, app_id, crm_id, datetime.now(UTC))  # type: ignore[arg-type]
    click.echo(f"{tenant_id}: {entity} {app_id} is {crm_type} {crm_id} from the next sync on (manual match)")


@main.command("log")
@click.option("--tenant", "tenant_id", required=True, help="The tenant.")
@click.option("--record", default=None, help="Only changes to this record: an app id or a CRM id.")
@click.option("--since", default=None, help="Only changes applied at or after this time (ISO 8601; UTC unless it says).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the latest N changes.")
def log(tenant_id: str, record: str | None, since: str | None, limit: int | None) -> None:
    """The connector log (F8): every change the connector applied, oldest first."""
    from crm_pipelines.store.connector_log import read_log

    database = open_database()
    _guarded(lambda: TenantRegistry(database).get(tenant_id))
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            refuse(f"--since '{since}' is not a time; use ISO 8601, e.g. 2026-03-01 or 2026-03-01T09:30:00Z")
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    rows = read_log(database, tenant_id, record=record, since=start, limit=limit)
    if rows.empty:
        click.echo("no changes logged" + (f" for {record}" if record else ""))
        return
    click.echo(f"{'applied at (UTC)':<19}  {'direction':<10}  {'object':<11}  {'app id':<24}  {'crm id':<18}  "
               f"{'field':<16}  {'reason':<16}  old -> new")
    for row in rows.astype({"at": "object"}).fillna("").itertuples(index=False):
        click.echo(f"{row.at:%Y-%m-%d %H:%M:%S}  {row.direction:<10}  {row.object:<11}  {row.app_id:<24}  "
                   f"{row.crm_id:<18}  {row.field:<16}  {row.reason:<16}  {row.old_value!s} -> {row.new_value!s}")


# -- database --------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """The crm_pipelines database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (also done automatically on first use)."""
    from crm_pipelines.store.migrate import current_revision

    database = open_database()
    click.echo(f"{database.safe_url}: schema at revision {current_revision(database)}")


# -- dagster ---------------------------------------------------------------------------------
@main.command()
@click.option("--demo/--no-demo", "demo_data", default=False,
              help="Open the data `crm-pipelines demo` left, with its CRM simulator back on its port.")
def ui(demo_data: bool) -> None:
    """Open the Dagster UI (dagster dev) on the embedded default's data, or on the demo's."""
    import json
    import signal
    import subprocess

    from crm_pipelines.instance import dagster_home
    from crm_pipelines.paths import data_dir

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    simulator = None
    if demo_data:
        from crm_pipelines.demo import SIM_FILE, demo_credentials

        demo = data_dir() / "demo"
        if not (demo / SIM_FILE).is_file():
            refuse(f"no demo data in {demo}: run `make demo` (or `crm-pipelines demo`) first")
        sim = json.loads((demo / SIM_FILE).read_text())
        env |= {"DAGSTER_HOME": str(demo / "dagster"), "CRM_PIPELINES_DB_URL": f"sqlite:///{demo / 'crm_pipelines.db'}"}
        for org in sim["orgs"]:
            env |= demo_credentials(org)
        # The same orgs (same seed) on the same port, so schedules and sensors can reach the CRM.
        simulator = subprocess.Popen(
            [sys.executable, "-m", "crm_pipelines.cli", "sim", "serve", "--port", str(sim["port"]),
             "--orgs", ",".join(sim["orgs"]), "--scale", sim["scale"], "--seed", str(sim["seed"])],
            env=env,
        )
    else:
        env["DAGSTER_HOME"] = str(dagster_home())
    # A plain `kill` must stop the simulator too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        subprocess.run(["dagster", "dev", "-w", str(root / "workspace.yaml")], env=env, check=False)
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=30)


@main.command()
def demo() -> None:
    """Run the demo end to end on the embedded default and print what it did."""
    from crm_pipelines.demo import run_demo

    sys.exit(run_demo(echo=click.echo))


main.add_command(sim)
main.add_command(backfill)
main.add_command(lists)
main.add_command(push)


if __name__ == "__main__":
    main()
