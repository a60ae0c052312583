"""How bench_peers runs each extractor: its own virtual environment when its pins conflict with
ours, the command of a full and of an incremental run, and how its records are counted.

Airbyte's and Singer's connectors speak their protocols on stdout (one JSON message a line); the
benchmark counts their RECORD lines and keeps their last STATE for the incremental run, as the
platform that runs them would. The hand-written peers print one line with what they read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
VENVS = ROOT / ".data" / "bench-venvs"
PYTHON = shutil.which("python3.11") or sys.executable


@dataclass(frozen=True)
class Venv:
    """A peer's own virtual environment under .data/bench-venvs (git-ignored)."""

    name: str
    requirement: str
    distribution: str
    redirect_login: bool = False  # a connector that only knows Salesforce's own login hosts

    @property
    def folder(self) -> Path:
        return VENVS / self.name

    def bin(self, program: str) -> str:
        return str(self.folder / "bin" / program)

    def exists(self) -> bool:
        """Installed already (by an earlier `ensure`)."""
        return (self.folder / ".bench-requirement").exists()

    def ensure(self) -> str:
        """Create or reuse it; the installed version."""
        stamp = self.folder / ".bench-requirement"
        if not (stamp.exists() and stamp.read_text() == self.requirement):
            shutil.rmtree(self.folder, ignore_errors=True)
            subprocess.run([PYTHON, "-m", "venv", str(self.folder)], check=True, capture_output=True)
            done = subprocess.run(["nice", "-n", "10", self.bin("pip"), "install", "--quiet", self.requirement],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"pip install {self.requirement} failed: {_tail(done.stderr)}")
            stamp.write_text(self.requirement)
        if self.redirect_login:
            site = subprocess.run([self.bin("python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip()
            shutil.copy(PEERS / "login_redirect.py", Path(site) / "sitecustomize.py")
        return subprocess.run([self.bin("python"), "-c", f"import importlib.metadata as m; print(m.version({self.distribution!r}))"],
                              check=True, capture_output=True, text=True).stdout.strip()


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


@dataclass
class Output:
    """What a run printed that the benchmark keeps: records, and a connector's last states."""

    records: int = 0
    reported: int | None = None
    states: dict[str, object] = field(default_factory=dict)
    last_error_lines: list[str] = field(default_factory=list)

    def read(self, line: str) -> None:
        if line.startswith('{"type": "RECORD"') or line.startswith('{"type":"RECORD"'):
            self.records += 1
            return
        if '"STATE"' in line[:30]:
            message = json.loads(line)
            if "value" in message:  # Singer: the whole state each time
                self.states["singer"] = message["value"]
            else:  # Airbyte: one state per stream
                state = message["state"]
                key = json.dumps(state.get("stream", {}).get("stream_descriptor", state.get("type")), sort_keys=True)
                self.states[key] = state
            return
        if line.startswith('{"records":'):
            self.reported = json.loads(line)["records"]
            return
        if '"LOG"' in line[:30] and ('"ERROR"' in line or '"FATAL"' in line) or '"TRACE"' in line[:30] and '"error"' in line:
            self.last_error_lines = (self.last_error_lines + [line.strip()[:600]])[-3:]

    @property
    def total(self) -> int:
        return self.reported if self.reported is not None else self.records
