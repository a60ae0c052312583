"""The import rule of docs/architecture.md, read from every module's source (ast): which layer may
import which, and that assets/ hold no loops (they load, call exchange/ or core/, store, report)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crm_pipelines"
MODULES = sorted(PACKAGE.rglob("*.py"))
# What only the command line, the demo and the Definitions may import.
TOP = ("cli", "demo", "automation")
# The store's two Dagster adapters: what Dagster holds of the store (an IO manager, a resource).
STORE_DAGSTER_ADAPTERS = ("store/io_manager.py", "store/resource.py")


def _where(module: Path) -> str:
    return module.relative_to(PACKAGE).as_posix()


def _layer(module: Path) -> str:
    return _where(module).split("/")[0]


def _imports(module: Path) -> set[str]:
    """Every module `module` imports, each `from a import b` also as `a.b` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{_where(module)}: relative import; write it from crm_pipelines"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _pipeline_layers(module: Path) -> set[str]:
    """The parts of crm_pipelines (`core`, `clock`, ...) that `module` imports."""
    return {name.split(".")[1] for name in _imports(module) if name.startswith("crm_pipelines.")}


def _uses_dagster(module: Path) -> bool:
    return any(name.split(".")[0].startswith("dagster") for name in _imports(module))


def _in(*layers: str) -> list[Path]:
    return [m for m in MODULES if _layer(m) in layers]


def test_every_layer_has_modules():
    assert {m.name for m in _in("core")} and {m.name for m in _in("exchange")} and {m.name for m in _in("assets")}
    assert {_layer(m) for m in MODULES} >= {"core", "exchange", "store", "sim", "assets", *TOP}


@pytest.mark.parametrize("module", _in("core"), ids=_where)
def test_core_imports_only_core_and_settings(module):
    assert _pipeline_layers(module) <= {"core", "settings"}


@pytest.mark.parametrize("module", [m for m in _in("core", "exchange", "store")
                                    if _where(m) not in STORE_DAGSTER_ADAPTERS], ids=_where)
def test_core_exchange_and_store_know_nothing_of_dagster(module):
    assert not _uses_dagster(module)


def test_only_the_store_adapters_speak_dagster_in_the_store():
    """The exemption names exactly the modules that need it: none missing, none stale."""
    assert [_where(m) for m in _in("store") if _uses_dagster(m)] == list(STORE_DAGSTER_ADAPTERS)


@pytest.mark.parametrize("module", _in("exchange"), ids=_where)
def test_exchange_does_not_import_the_assets(module):
    assert "assets" not in _pipeline_layers(module)


@pytest.mark.parametrize("module", _in("sim"), ids=_where)
def test_the_simulator_imports_nothing_of_the_pipeline(module):
    assert _pipeline_layers(module) <= {"sim"}


@pytest.mark.parametrize("module", [m for m in MODULES if _layer(m) not in TOP and _where(m) != "definitions.py"],
                         ids=_where)
def test_nothing_imports_the_command_line_the_demo_or_automation(module):
    assert not _pipeline_layers(module) & set(TOP)


@pytest.mark.parametrize("module", _in("assets"), ids=_where)
def test_assets_hold_no_loops(module):
    """Loops over records, pages and batches belong to exchange/ or core/. Comprehensions stay
    allowed: in assets/ they build a value over a small fixed set (the asset definitions of the CRM
    objects, the tables an asset loads, a metadata dict), never walk records, pages or batches."""
    loops = [f"line {node.lineno}" for node in ast.walk(ast.parse(module.read_text()))
             if isinstance(node, ast.For | ast.AsyncFor | ast.While)]
    assert not loops, f"{_where(module)} loops at {', '.join(loops)}"
