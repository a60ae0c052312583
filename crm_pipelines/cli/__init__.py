"""`crm-pipelines`: the one command line (I1), one module per command group.

Each command module imports what it needs inside its functions, so `crm-pipelines tenant list`
starts without loading Dagster or the definitions. Refusals, unknown names and failures end with
the exit codes of `output`; secrets never reach the terminal (credentials are env-var names).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from crm_pipelines.cli import backfill, database, demo, lists, log, matches, push, sim, tenants, ui
from crm_pipelines.cli.options import shared_options, take_data_dir, use_data_dir
from crm_pipelines.cli.output import FAILED, OK, REFUSED, CommandError, NotFound, Refused, echo

COMMAND_GROUPS = (tenants, matches, log, lists, push, backfill, sim, database, ui, demo)


def build_parser() -> argparse.ArgumentParser:
    parent = shared_options()
    parser = argparse.ArgumentParser(
        prog="crm-pipelines", parents=[parent],
        description="Keep a multi-tenant sales app in sync with each tenant's CRM.",
        epilog="Exit codes: 0 done, 1 failed, 2 refused or bad usage, 3 not found.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    data_dir, words = take_data_dir(sys.argv[1:] if argv is None else argv)
    use_data_dir(data_dir)
    parser = build_parser()
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # --help, or bad usage (argparse says why on stderr)
        return exc.code if isinstance(exc.code, int) else REFUSED
    return run(args)


def run(args: argparse.Namespace) -> int:
    try:
        return args.run(args) or 0
    except CommandError as exc:
        echo(f"{exc.label}: {exc.message}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        return FAILED
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted; Python would otherwise complain at exit too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as exc:
        known = _known_error(exc)
        if known is None:
            raise
        echo(f"{known.label}: {known.message}", err=True)
        return known.exit_code


def _known_error(exc: Exception) -> CommandError | None:
    """The registry's and the settings' own errors, as the command line reports them. Looked up in
    sys.modules: an error of a module that was never imported cannot have been raised."""
    registry = sys.modules.get("crm_pipelines.store.tenants")
    settings = sys.modules.get("crm_pipelines.settings.errors")
    if registry is not None and isinstance(exc, registry.TenantNotFound):
        return NotFound(str(exc))
    if registry is not None and isinstance(exc, registry.TenantRegistryError):
        return Refused(str(exc))
    if settings is not None and isinstance(exc, settings.SettingsError):
        return Refused(str(exc))
    return None
