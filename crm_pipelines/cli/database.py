"""`crm-pipelines db ...`: the crm_pipelines database."""

from __future__ import annotations

import argparse

from crm_pipelines.cli.options import add_json, command_group
from crm_pipelines.cli.output import echo, print_json


def upgrade(args: argparse.Namespace) -> None:
    from crm_pipelines.store.database import open_database
    from crm_pipelines.store.migrate import current_revision

    database = open_database()
    revision = current_revision(database)
    if args.json:
        print_json({"database": database.safe_url, "revision": revision})
    else:
        echo(f"{database.safe_url}: schema at revision {revision}")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sub = command_group(commands, parent, "db", "The crm_pipelines database.")
    p = sub.add_parser("upgrade", parents=[parent], help="Apply pending migrations (also done automatically on first use).")
    add_json(p)
    p.set_defaults(run=upgrade)
