"""The simulator in its own process, so a benchmark measures the pipeline and not the CRM."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def simulator_process(orgs: str = "acme", scale: str = "large", seed: int = 1, api_limit: int = 10_000_000) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_pipelines.cli", "sim", "serve", "--port", "0", "--orgs", orgs,
         "--scale", scale, "--seed", str(seed), "--api-limit", str(api_limit)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 300
        assert proc.stdout is not None
        for line in proc.stdout:
            match = re.search(r"listening on (\S+)", line)
            if match:
                base_url = match.group(1)
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the simulator did not start")
        else:
            raise RuntimeError(f"the simulator exited: {proc.wait()}")
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
