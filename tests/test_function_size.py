"""No function in crm_pipelines is longer than LIMIT lines (issue 16): a long function is split at
the seams its domain already has. Alembic migrations are left out: an upgrade is one table
definition after another, read top to bottom, and never changes once released."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "crm_pipelines"
LIMIT = 60
LEFT_OUT = ("store/migrations/",)
ALLOWED: frozenset[tuple[str, str]] = frozenset()
"""(file under crm_pipelines, qualified name) of functions still over the limit."""


def function_lengths() -> dict[tuple[str, str], int]:
    """Lines from `def` to the function's last line, of every function and method, by (file, qualified name)."""
    lengths = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        file = path.relative_to(PACKAGE).as_posix()
        if file.startswith(LEFT_OUT):
            continue
        lengths.update(_lengths(ast.parse(path.read_text(), filename=str(path)), file, ""))
    return lengths


def _lengths(node: ast.AST, file: str, prefix: str) -> dict[tuple[str, str], int]:
    found = {}
    for child in ast.iter_child_nodes(node):
        name = prefix
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                found[(file, name)] = child.end_lineno - child.lineno + 1
            name += "."
        found.update(_lengths(child, file, name))
    return found


def test_no_function_is_longer_than_the_limit():
    lengths = function_lengths()
    too_long = sorted((length, file, name) for (file, name), length in lengths.items()
                      if length > LIMIT and (file, name) not in ALLOWED)
    assert not too_long, f"functions over {LIMIT} lines (split them at their domain's seams):\n" + "\n".join(
        f"  crm_pipelines/{file} {name}: {length} lines" for length, file, name in too_long)


def test_every_allowed_function_is_still_over_the_limit():
    lengths = function_lengths()
    stale = sorted(key for key in ALLOWED if lengths.get(key, 0) <= LIMIT)
    assert not stale, "no longer over the limit (or gone), remove from ALLOWED: " + ", ".join(
        f"crm_pipelines/{file} {name}" for file, name in stale)


def test_the_measure_counts_from_def_to_the_last_line_and_sees_methods_and_nested_functions():
    source = "class A:\n    def m(self):\n        def inner():\n            return 1\n        return inner\n"
    assert _lengths(ast.parse(source), "a.py", "") == {("a.py", "A.m"): 4, ("a.py", "A.m.inner"): 2}
