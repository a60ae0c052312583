"""Run `crm-pipelines` in this process, as a user would from a shell, and keep what it printed."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from crm_pipelines.cli import main


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(*args: str, env: Mapping[str, str] | None = None, stdin: str = "") -> CliResult:
    """The command's exit code and output; the environment is as it was afterwards (the command
    may set its data folder in it)."""
    saved = dict(os.environ)
    # Output to a pipe is kept whole; a COLUMNS the test runner exported would cut the tables.
    os.environ.pop("COLUMNS", None)
    os.environ.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    real_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = real_stdin
        os.environ.clear()
        os.environ.update(saved)
    return CliResult(code, out.getvalue(), err.getvalue())
