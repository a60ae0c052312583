"""The Dagster webserver and daemon as real processes, for the tests that look at them from outside."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def webserver_and_daemon(env: dict[str, str], cwd: Path, logs: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `dagster-webserver` and `dagster-daemon run` on the workspace; yield the base URL and the
    daemon once the webserver answers. Both are stopped with everything they started."""
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    workspace = str(ROOT / "workspace.yaml")
    webserver = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(port)],
        cwd=cwd, env=env, stdout=open(logs / "webserver.log", "w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", workspace],
        cwd=cwd, env=env, stdout=open(logs / "daemon.log", "w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base, webserver, logs / "webserver.log")
        yield base, daemon
    finally:
        stop_group(webserver, daemon, grace=30, env=env)


def wait_until_answering(base: str, server: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Wait until the Dagster webserver at `base` answers; fail with its log if it stops or never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}/server_info", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        assert server.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the webserver did not start:\n" + log.read_text()[-3000:]
        time.sleep(0.5)


def stop_group(*processes: subprocess.Popen, grace: float = 60, env: dict[str, str] | None = None) -> None:
    """SIGTERM to the processes and everything they started; SIGKILL to a group not stopped in
    `grace` s; then, given the environment they were started with, to whatever still runs with its
    data folder (stop_started_with)."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=30)
    if env is not None:
        stop_started_with(env)


@contextmanager
def daemon_only(env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` on the workspace alone (schedules, sensors, the run queue); stopped with
    everything it started when the block ends."""
    log.parent.mkdir(parents=True, exist_ok=True)
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
        cwd=cwd, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield daemon
    finally:
        stop_group(daemon, grace=30, env=env)


# The variable each test gives its services a folder of its own in: the mark of what it started.
MARK = "CRM_PIPELINES_DATA_DIR"


def stop_started_with(env: dict[str, str]) -> list[int]:
    """SIGKILL to every process still running with this environment's data folder: the code
    servers the webserver and daemon start in sessions of their own, which signalling their group
    misses (one was found still running 37 minutes after its test). Returns their pids."""
    mark = env.get(MARK)
    if not mark or not Path("/proc").is_dir():
        return []
    wanted, killed = f"{MARK}={mark}".encode(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to read
    return killed


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the process and everything it started (the daemon's run workers included)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
