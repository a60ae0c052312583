"""`crm-pipelines ui`: the Dagster UI (dagster dev) on the data folder, or on the demo's."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from crm_pipelines.cli.output import not_found

ROOT = Path(__file__).resolve().parents[2]


def demo_environment(env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The environment that points Dagster at the demo's data, and the command that brings its CRM
    simulator back: the same orgs (same seed) on the same port, so schedules and sensors reach it."""
    import json

    from crm_pipelines.demo.setup import SIM_FILE, demo_credentials
    from crm_pipelines.paths import data_dir

    # `--data-dir .data/demo ui --demo` names the demo's folder itself; plain `ui --demo` its parent.
    demo = data_dir() if (data_dir() / SIM_FILE).is_file() else data_dir() / "demo"
    if not (demo / SIM_FILE).is_file():
        not_found(f"no demo data in {demo}: run `make demo` (or `crm-pipelines demo`) first")
    sim = json.loads((demo / SIM_FILE).read_text())
    env = {**env, "DAGSTER_HOME": str(demo / "dagster"), "CRM_PIPELINES_DB_URL": f"sqlite:///{demo / 'crm_pipelines.db'}"}
    for org in sim["orgs"]:
        env |= demo_credentials(org.split(":")[0])  # hooli:insightly is the org hooli
    command = [sys.executable, "-m", "crm_pipelines.cli", "sim", "serve", "--port", str(sim["port"]),
               "--orgs", ",".join(sim["orgs"]), "--scale", sim["scale"], "--seed", str(sim["seed"]),
               "--clock", "fixed"]
    return env, command


def ui(args: argparse.Namespace) -> None:
    from crm_pipelines.instance import dagster_home

    env = dict(os.environ)
    simulator = None
    if args.demo_data:
        env, command = demo_environment(env)
        simulator = subprocess.Popen(command, env=env)
    else:
        env["DAGSTER_HOME"] = str(dagster_home())
    # A plain `kill` must stop the simulator too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        subprocess.run(["dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(args.port)], env=env, check=False)
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=30)


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = commands.add_parser("ui", parents=[parent],
                            help="Open the Dagster UI (dagster dev) on the data folder's data, or on the demo's.")
    p.add_argument("--demo", dest="demo_data", action=argparse.BooleanOptionalAction, default=False,
                   help="Open the data `crm-pipelines demo` left, with its CRM simulator back on its port.")
    p.add_argument("--port", type=int, default=3000, help="The port the UI listens on (default 3000).")
    p.set_defaults(run=ui)
