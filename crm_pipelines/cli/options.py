"""Options every command shares: which data folder it reads and writes, and JSON output.

`--data-dir` is accepted anywhere on the line (before or after the command's own words), because
the demo prints commands a user copies and edits, and the place of one option should not matter.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from crm_pipelines.paths import DATA_DIR_ENV

DATA_DIR_FLAG = "--data-dir"
DATA_DIR_HELP = (f"The data folder: the embedded database and Dagster instance (default ./.data, or ${DATA_DIR_ENV}). "
                 "CRM_PIPELINES_DB_URL and DAGSTER_HOME, when set, still name the database and the instance.")


def take_data_dir(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """The last `--data-dir DIR` (or `--data-dir=DIR`) on the line, and the line without it.
    Words after `--` are left alone."""
    found: str | None = None
    rest: list[str] = []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            rest.extend(words[i:])
            break
        if word == DATA_DIR_FLAG and i + 1 < len(words):
            found = words[i + 1]
            i += 2
            continue
        if word.startswith(DATA_DIR_FLAG + "="):
            found = word.split("=", 1)[1]
        else:
            rest.append(word)
        i += 1
    return found, rest


def use_data_dir(value: str | None) -> None:
    """Point this process (and what it starts: `dagster dev`, the simulator) at the data folder."""
    if value:
        os.environ[DATA_DIR_ENV] = str(Path(value).expanduser().resolve())


def shared_options() -> argparse.ArgumentParser:
    """A parent parser so every command's --help lists the shared option."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(DATA_DIR_FLAG, metavar="DIR", default=argparse.SUPPRESS, help=DATA_DIR_HELP)
    return parent


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Print JSON for scripts instead of a table.")


def add_tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", dest="tenant_id", required=True, help="The tenant's id.")


def command_group(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser, name: str,
                  help_text: str) -> argparse._SubParsersAction:
    """`crm-pipelines NAME ACTION ...`: the group's actions, one of which must be given."""
    group = commands.add_parser(name, parents=[parent], help=help_text)
    return group.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def tenant_action(actions: argparse._SubParsersAction, parent: argparse.ArgumentParser, name: str,
                  help_text: str) -> argparse.ArgumentParser:
    """An action of a command group on one tenant, named by `--tenant`."""
    parser = actions.add_parser(name, parents=[parent], help=help_text)
    add_tenant(parser)
    return parser


def whole_number(text: str, *, at_least: int, at_most: int | None = None, what: str = "a whole number") -> int:
    """An argparse value check: `text` as an int within bounds, or an error naming the value and the bounds."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if value < at_least or (at_most is not None and value > at_most):
        bounds = f"from {at_least}" if at_most is None else f"from {at_least} to {at_most}"
        raise argparse.ArgumentTypeError(f"{value} is not allowed: {what} {bounds}")
    return value


def positive_int(text: str) -> int:
    return whole_number(text, at_least=1)


def count(text: str) -> int:
    return whole_number(text, at_least=0)
