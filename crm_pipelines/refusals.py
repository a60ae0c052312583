"""How every `crm-pipelines` command refuses: the reason on stderr, exit code 2, nothing changed."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

REFUSED = 2


def refuse(message: str) -> NoReturn:
    click.echo(f"refused: {message}", err=True)
    sys.exit(REFUSED)
