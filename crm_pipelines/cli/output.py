"""What every command prints and how it ends: aligned tables or JSON on stdout, reasons on stderr,
and an exit code a script can tell apart.

Exit codes: 0 done; 1 failed (something broke, the reason is on stderr); 2 refused (a bad value or
bad usage: nothing changed); 3 not found (an unknown tenant, record or file).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

OK, FAILED, REFUSED, NOT_FOUND = 0, 1, 2, 3
# Set to 1 to draw the progress bar when stderr is not a terminal (a CI log that wants it).
PROGRESS_ENV = "CRM_PIPELINES_PROGRESS"


class CommandError(Exception):
    exit_code = FAILED
    label = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(CommandError):
    exit_code = REFUSED
    label = "refused"


class NotFound(CommandError):
    exit_code = NOT_FOUND
    label = "not found"


class Failed(CommandError):
    pass


def refuse(message: str) -> NoReturn:
    raise Refused(message)


def not_found(message: str) -> NoReturn:
    raise NotFound(message)


def echo(text: str = "", *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def _plain(value: Any) -> Any:
    """A value as JSON has it: times in ISO 8601, missing values (None, NaN, NaT, NA) null."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if getattr(value, "ndim", 0) > 0:  # a numpy array (a list column read back)
        return value.tolist()
    if not isinstance(value, list | dict | tuple | set):
        import pandas as pd

        if pd.isna(value):
            return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def print_json(value: Any) -> None:
    echo(json.dumps(value, default=_plain, ensure_ascii=False, indent=None))


def json_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


@dataclass(frozen=True)
class Column:
    """A table column: `key` in each row, its heading, right-aligned for numbers; the one `flexible`
    column of a table is the one cut short when the table is wider than the terminal."""

    key: str
    heading: str
    right: bool = False
    flexible: bool = False
    format: str = ""


def _cell(value: Any, column: Column) -> str:
    if column.format and isinstance(value, datetime):
        return format(value, column.format)
    value = _plain(value)
    if value is None:
        return "-"
    if column.format:
        return format(value, column.format)
    return str(value).replace("\n", " ")


def _terminal_width() -> int | None:
    """The width to fit, or None for no limit: output going to a file or a pipe is kept whole for
    scripts unless COLUMNS asks for a width."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size((120, 24)).columns
    return None


def table_lines(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], width: int | None = None) -> list[str]:
    """The heading and one line per row, each column as wide as its widest cell."""
    cells = [[_cell(row.get(c.key), c) for c in columns] for row in rows]
    widths = [max([len(c.heading), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    width = _terminal_width() if width is None else width
    total = sum(widths) + 2 * (len(widths) - 1)
    flexible = next((i for i, c in enumerate(columns) if c.flexible), len(columns) - 1)
    if width is not None and total > width:
        widths[flexible] = max(len(columns[flexible].heading), widths[flexible] - (total - width), 8)

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, (value, column) in enumerate(zip(values, columns, strict=True)):
            if len(value) > widths[i]:
                value = value[: widths[i] - 1] + "…"
            parts.append(value.rjust(widths[i]) if column.right else value.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    return [line([c.heading for c in columns]), *(line(values) for values in cells)]


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> None:
    for text in table_lines(rows, columns):
        echo(text)


def show(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, as_json: bool, empty: str) -> None:
    """Rows as JSON (every key of each row) or as a table; `empty` is said when there are none."""
    if as_json:
        print_json(json_rows(rows))
    elif not rows:
        echo(empty)
    else:
        print_table(rows, columns)


class Progress:
    """A one-line bar on stderr, redrawn in place; lines printed through `echo` go above it. Drawn
    only on a terminal (or when PROGRESS_ENV=1), so pipes and logs get the plain story."""

    def __init__(self, total: int, label: str, *, enabled: bool | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self.note = ""
        self.started = time.monotonic()
        self.enabled = (sys.stderr.isatty() or os.environ.get(PROGRESS_ENV) == "1") if enabled is None else enabled

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = min(30, max(10, shutil.get_terminal_size((80, 24)).columns - 60))
        filled = int(width * min(self.done, self.total) / self.total)
        text = (f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{time.monotonic() - self.started:5.0f} s {self.note}")
        sys.stderr.write(text[: shutil.get_terminal_size((120, 24)).columns - 1] + "\x1b[K")
        sys.stderr.flush()

    def _clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def advance(self, steps: int = 1, note: str = "") -> None:
        self.done += steps
        self.note = note or self.note
        self._draw()

    def echo(self, text: str = "") -> None:
        self._clear()
        echo(text)
        self._draw()

    def close(self) -> None:
        self._clear()


@contextmanager
def progress(total: int, label: str, *, enabled: bool | None = None) -> Iterator[Progress]:
    bar = Progress(total, label, enabled=enabled)
    bar._draw()
    try:
        yield bar
    finally:
        bar.close()
