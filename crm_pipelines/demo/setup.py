"""The demo's stage: its own data folder, the CRM simulator, one tenant per org, and app data.

The demo keeps its data under `<data folder>/demo` and starts from scratch each time, so it never
touches a real tenant's data and always tells the same story.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from contextlib import ExitStack
from pathlib import Path

from crm_pipelines.settings import Tenant, validated

DEMO_ORGS = ("acme", "globex", "initech")
ACME_WORKFLOWS = ("[{name: Exit disqualified, record_type: Lead, action: exit_cadence, "
                  "criteria: [{field: status, operator: equals, value: Disqualified}]}]")
DEMO_SETTINGS: dict[str, dict[str, str]] = {
    "acme": {"sync.frequency_minutes": "15", "push.interval_minutes": "30",
             "push.activity_touch_outcomes": "email_replied,call_connected",
             "sync.updates_with_criteria": "true", "workflows": ACME_WORKFLOWS},
    # Too small for a first full sync on purpose: the demo shows the deferral and its resumption.
    "globex": {"api_budget.daily_limit": "12"},
    # Matching by email off (F4.6) where pushes are off: with both on, F7 would create Leads for
    # prospects whose email a CRM record already has, which is what that setting asks for.
    "initech": {"push.enabled": "false", "connector.match_by_email": "false"},
}
SIM_FILE = "simulator.json"
PREFERRED_SIM_PORT = 8765
SIM_SCALE, SIM_SEED = "tiny", 1


def demo_home() -> Path:
    from crm_pipelines.instance import EMBEDDED_DAGSTER_YAML
    from crm_pipelines.paths import data_dir

    home = data_dir() / "demo"
    if home.exists():
        shutil.rmtree(home)
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text(EMBEDDED_DAGSTER_YAML)
    return home


def demo_credentials(org: str) -> dict[str, str]:
    """The simulator's credentials for an org, as the env vars the demo tenant names (the way
    production hands credentials over); the simulator's are public, so `make ui` sets them too."""
    return {f"DEMO_{org.upper()}_CLIENT_ID": org, f"DEMO_{org.upper()}_CLIENT_SECRET": f"{org}-secret"}


def _sim_port() -> int:
    """The simulator's usual port when free, so `make ui` can bring the same CRM back later."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", PREFERRED_SIM_PORT))
        except OSError:
            return 0
    return PREFERRED_SIM_PORT


def demo_simulator(stack: ExitStack, home: Path):  # type: ignore[no-untyped-def]
    """The CRM simulator, running until the stack closes; its port is written down for `make ui`."""
    from crm_pipelines.sim.server import run_simulator

    port = _sim_port()
    try:
        sim = stack.enter_context(run_simulator(orgs=DEMO_ORGS, scale=SIM_SCALE, seed=SIM_SEED, port=port))
    except OSError:
        if port == 0:
            raise
        # Another demo took the port between the probe and the bind: any free port will do.
        sim = stack.enter_context(run_simulator(orgs=DEMO_ORGS, scale=SIM_SCALE, seed=SIM_SEED, port=0))
    port = int(sim.base_url.rsplit(":", 1)[1])
    (home / SIM_FILE).write_text(json.dumps({"port": port, "orgs": list(DEMO_ORGS), "scale": SIM_SCALE, "seed": SIM_SEED}))
    return sim


def demo_tenant(org: str, login_url: str) -> Tenant:
    env_prefix = f"DEMO_{org.upper()}"
    os.environ.update(demo_credentials(org))
    base = validated(Tenant, {
        "id": org, "name": f"{org.title()} Inc.",
        "connection": {"kind": "salesforce", "login_url": login_url,
                       "credentials": {"grant": "client_credentials", "client_id_env": f"{env_prefix}_CLIENT_ID",
                                       "client_secret_env": f"{env_prefix}_CLIENT_SECRET"}},
    })
    return base.with_settings(DEMO_SETTINGS.get(org, {}))
