"""Every command takes `--data-dir` anywhere on the line, or $CRM_PIPELINES_DATA_DIR; the exit code
tells done (0), failed (1), refused or bad usage (2) and not found (3) apart."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crm_pipelines.cli.options import take_data_dir
from crm_pipelines.cli.output import FAILED, NOT_FOUND, OK, REFUSED
from tests.cli_runner import invoke


@pytest.mark.parametrize("args", [
    ("--data-dir", "{d}", "tenant", "list"),
    ("tenant", "--data-dir", "{d}", "list"),
    ("tenant", "list", "--data-dir", "{d}"),
    ("tenant", "list", "--data-dir={d}"),
    ("--data-dir={d}", "log", "--tenant", "acme"),
    ("log", "--tenant", "acme", "--data-dir", "{d}"),
    ("push", "status", "--data-dir", "{d}", "--tenant", "acme"),
])
def test_data_dir_is_read_anywhere_on_the_line(data_dir, args):
    result = invoke(*(a.replace("{d}", str(data_dir)) for a in args))
    assert result.exit_code == OK, result.output
    assert "no tenant" not in result.output


def test_the_environment_variable_names_the_data_dir_and_the_option_wins_over_it(data_dir, tmp_path):
    assert "acme" in invoke("tenant", "list", env={"CRM_PIPELINES_DATA_DIR": str(data_dir)}).stdout
    other = tmp_path / "other"
    assert invoke("tenant", "list", "--data-dir", str(other),
                  env={"CRM_PIPELINES_DATA_DIR": str(data_dir)}).stdout == "no tenants\n"
    assert invoke("tenant", "list").stdout == "no tenants\n"  # the default: ./.data, empty here


def test_a_word_after_double_dash_is_not_taken_as_the_data_dir():
    assert take_data_dir(["tenant", "add", "--", "--data-dir", "x"]) == (None, ["tenant", "add", "--", "--data-dir", "x"])
    assert take_data_dir(["--data-dir", "a", "log", "--data-dir=b"]) == ("b", ["log"])


@pytest.mark.parametrize(("args", "code", "says"), [
    (("tenant", "show", "acme"), OK, "acme"),
    (("tenant", "show", "nobody"), NOT_FOUND, "not found: no tenant 'nobody'"),
    (("log", "--tenant", "nobody"), NOT_FOUND, "nobody"),
    (("push", "status", "--tenant", "nobody"), NOT_FOUND, "nobody"),
    (("lists", "show", "--tenant", "acme", "--user", "u-404"), NOT_FOUND, "no user 'u-404'"),
    (("push", "request", "--tenant", "acme", "--prospect", "p-404"), NOT_FOUND, "no prospect 'p-404'"),
    (("tenant", "import", "no-such-file.yaml"), NOT_FOUND, "no-such-file.yaml"),
    (("tenant", "set", "acme", "sync.frequency_minutes=1"), REFUSED, "refused: sync.frequency_minutes"),
    (("tenant", "set", "acme", "nonsense"), REFUSED, "is not KEY=VALUE"),
    (("log", "--tenant", "acme", "--since", "soon"), REFUSED, "is not a time"),
    (("push", "status", "--tenant", "acme", "--limit", "0"), REFUSED, "--limit"),
    (("push", "status", "--tenant", "acme", "--state", "lost"), REFUSED, "--state"),
    (("no-such-command",), REFUSED, "invalid choice"),
    (("tenant",), REFUSED, "required"),
])
def test_exit_codes_tell_not_found_from_refused(data_dir, args, code, says):
    result = invoke("--data-dir", str(data_dir), *args)
    assert result.exit_code == code, result.output
    assert says in result.output


def test_a_failure_exits_with_1_and_says_why(data_dir, monkeypatch):
    from crm_pipelines.cli import backfill

    def broken(*_args, **_kwargs):  # the `dagster job backfill` it starts fails
        return subprocess.CompletedProcess([], 7, stdout="", stderr="no workspace")

    monkeypatch.setattr(backfill, "add_partitions", lambda home, wanted: None)
    monkeypatch.setattr(backfill.subprocess, "run", broken)
    result = invoke("--data-dir", str(data_dir), "backfill", "--tenants", "acme",
                    env={"DAGSTER_HOME": str(data_dir / "dagster")})
    assert result.exit_code == FAILED
    assert "no workspace" in result.stderr and "failed:" in result.stderr


def test_the_console_script_and_python_dash_m_are_the_same_command(data_dir):
    result = subprocess.run([sys.executable, "-m", "crm_pipelines.cli", "--data-dir", str(data_dir), "tenant", "show",
                             "nobody"], capture_output=True, text=True, timeout=60)
    assert result.returncode == NOT_FOUND and "nobody" in result.stderr
