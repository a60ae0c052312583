"""No block of six or more lines is copied within crm_pipelines/ (issue 16).

A copied block is a place where a fix must be made twice and will one day be made once. Lines
are compared after normalising away what does not carry logic (indentation, blank lines,
comments, docstring-only lines, imports); the migrations are left out because each revision is
a frozen copy of the schema at its time, which is their point.
"""

from __future__ import annotations

import io
import tokenize
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "crm_pipelines"
LEFT_OUT = PACKAGE / "store" / "migrations"
RUN_LENGTH = 6


def _docstring_lines(source: str) -> set[int]:
    """Line numbers (1-based) of string literals standing alone as a statement (docstrings)."""
    lines: set[int] = set()
    previous_significant = tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and previous_significant in (
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
        ):
            lines.update(range(token.start[0], token.end[0] + 1))
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous_significant = token.type
    return lines


def _is_import(line: str) -> bool:
    return line.startswith(("import ", "from ")) and (
        " import " in line or line.startswith("import ")
    )


def normalised_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of each line that carries logic, stripped."""
    source = path.read_text(encoding="utf-8")
    docstrings = _docstring_lines(source)
    kept: list[tuple[int, str]] = []
    in_import = False
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if in_import:
            # The continuation lines of a parenthesised import.
            in_import = not line.endswith(")")
            continue
        if not line or line.startswith("#") or number in docstrings:
            continue
        if _is_import(line):
            in_import = line.endswith("(")
            continue
        kept.append((number, line))
    return kept


def copied_runs() -> list[str]:
    """Each run of RUN_LENGTH normalised lines found in two places, as 'file:line ~ file:line'."""
    places: dict[tuple[str, ...], list[tuple[Path, int]]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        if LEFT_OUT in path.parents:
            continue
        lines = normalised_lines(path)
        for start in range(len(lines) - RUN_LENGTH + 1):
            window = tuple(text for _, text in lines[start : start + RUN_LENGTH])
            places[window].append((path, lines[start][0]))
    found: list[str] = []
    for where in places.values():
        if len(where) < 2:
            continue
        found.append(
            " ~ ".join(f"{path.relative_to(PACKAGE.parent)}:{line}" for path, line in where)
        )
    return found


def _merge_overlapping(runs: list[str]) -> list[str]:
    """One entry per copied block: consecutive windows of the same block become one line."""
    merged: list[str] = []
    previous: list[tuple[str, int]] | None = None
    for run in runs:
        where = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in run.split(" ~ ")]
        if previous is not None and len(previous) == len(where) and all(
            a[0] == b[0] and 0 < b[1] - a[1] <= RUN_LENGTH for a, b in zip(previous, where)
        ):
            previous = where
            continue
        merged.append(run)
        previous = where
    return merged


def test_no_block_of_six_lines_is_copied_in_the_package():
    runs = _merge_overlapping(copied_runs())
    assert not runs, (
        f"{len(runs)} block(s) of {RUN_LENGTH}+ lines appear in two places; write each once:\n"
        + "\n".join(runs)
    )
