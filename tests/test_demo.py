"""`crm-pipelines demo` (what `make demo` runs) end to end, as a new user would see it."""

import os
import subprocess

from tests.dagster_services import BIN, ROOT


def test_the_demo_runs_end_to_end_and_shows_a_deferral_and_its_resumption(tmp_path):
    env = {**os.environ, "CRM_PIPELINES_DATA_DIR": str(tmp_path)}
    env.pop("CRM_PIPELINES_DB_URL", None)
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run([str(BIN / "crm-pipelines"), "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "globex: API budget ran out; deferred" in out
    assert "now: nothing to launch" in out  # the sensor launches nothing before the window reopens
    assert "resumed globex crm_sync (deferral-" in out and ": done" in out
    pushes = out[out.index("The outbound push"):out.index("\ntenant  ")]
    assert "initech: pushes are off" in pushes
    for tenant in ("acme", "globex"):
        line = next(l for l in pushes.splitlines() if l.strip().startswith(f"{tenant}:"))
        assert int(line.split(":")[1].split()[0]) > 0, line  # records in the CRM
    summary = out[out.index("\ntenant  ") + 1:]
    assert "pushed" in summary.splitlines()[0]
    for tenant in ("acme", "globex", "initech"):
        assert f"\n{tenant} " in summary
    assert (tmp_path / "demo" / "crm_pipelines.db").exists()
