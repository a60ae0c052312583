"""`sim serve` runs the simulator until interrupted and says where it listens."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import requests

def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "crm_pipelines.cli", "sim", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _base_url(process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 30
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"listening on (\S+) \(port (\d+)\)", line)
        if match:
            return match.group(1)
        assert line or process.poll() is None, "the simulator exited before it listened"
    raise AssertionError("the simulator did not say where it listens within 30 s")


def test_serve_prints_its_url_and_answers_the_token_flow():
    process = _serve("--orgs", "acme,globex", "--api-limit", "5", "--seed", "3")
    try:
        base_url = _base_url(process)
        token = requests.post(f"{base_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "globex", "client_secret": "globex-secret"})
        assert token.status_code == 200
        limits = requests.get(f"{base_url}/services/data/v60.0/limits",
                              headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert limits.headers["Sforce-Limit-Info"] == "api-usage=1/5"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_serve_refuses_a_bad_fault_spec():
    process = _serve("--faults", "404@0.5")
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "404@0.5" in output
