"""The simulator in its own process, so a benchmark measures the pipeline and not the CRM."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class ServedSimulator:
    base_url: str
    ca_file: str | None  # the throwaway CA's PEM file when served over https


@contextmanager
def served_simulator(orgs: str = "acme", scale: str = "large", seed: int = 1, api_limit: int = 10_000_000,
                     tls: bool = False, clock: str = "wall") -> Iterator[ServedSimulator]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_pipelines.cli", "sim", "serve", "--port", "0", "--orgs", orgs,
         "--scale", scale, "--seed", str(seed), "--api-limit", str(api_limit), "--clock", clock,
         "--tls" if tls else "--no-tls"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + (900 if scale == "xlarge" else 300)  # xlarge: 4.5 min to start on a busy machine
        assert proc.stdout is not None
        base_url, ca_file = None, None
        for line in proc.stdout:
            if match := re.search(r"listening on (\S+)", line):
                base_url = match.group(1)
            if match := re.search(r"TLS CA file: (\S+)", line):
                ca_file = match.group(1)
            if "Press Ctrl-C" in line:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the simulator did not start")
        if base_url is None:
            raise RuntimeError(f"the simulator exited: {proc.wait()}")
        yield ServedSimulator(base_url, ca_file)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def simulator_process(orgs: str = "acme", scale: str = "large", seed: int = 1, api_limit: int = 10_000_000) -> Iterator[str]:
    with served_simulator(orgs, scale, seed, api_limit) as served:
        yield served.base_url
