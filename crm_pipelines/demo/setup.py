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

DEMO_ORGS = ("acme", "globex", "initech", "hooli")
# The orgs served in Insightly's dialect (issue 19); the others are Salesforce orgs.
INSIGHTLY_ORGS = frozenset({"hooli"})
# Insightly allows 10 calls a second; the demo's org allows more, so the demo does not sit out
# waits that show nothing (the adapter's waits are tested in tests/crm/insightly).
DEMO_INSIGHTLY_CALLS_PER_SECOND = 1_000
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
    # Insightly: Leads, Contacts and tasks pushed as for acme, one record a call.
    "hooli": {"push.activity_touch_outcomes": "email_replied,call_connected"},
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
    production hands credentials over); the simulator's are public, so `make ui` sets them too.
    An Insightly org's API key is its name."""
    if org in INSIGHTLY_ORGS:
        return {f"DEMO_{org.upper()}_API_KEY": org}
    return {f"DEMO_{org.upper()}_CLIENT_ID": org, f"DEMO_{org.upper()}_CLIENT_SECRET": f"{org}-secret"}


def served_orgs() -> tuple[str, ...]:
    """The demo's orgs as `run_simulator` and `sim serve --orgs` take them: `hooli:insightly`."""
    return tuple(f"{org}:insightly" if org in INSIGHTLY_ORGS else org for org in DEMO_ORGS)


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
    orgs = served_orgs()
    try:
        sim = stack.enter_context(run_simulator(orgs=orgs, scale=SIM_SCALE, seed=SIM_SEED, port=port))
    except OSError:
        if port == 0:
            raise
        # Another demo took the port between the probe and the bind: any free port will do.
        sim = stack.enter_context(run_simulator(orgs=orgs, scale=SIM_SCALE, seed=SIM_SEED, port=0))
    for org in INSIGHTLY_ORGS:
        sim.second_rate(org).per_second = DEMO_INSIGHTLY_CALLS_PER_SECOND
    port = int(sim.base_url.rsplit(":", 1)[1])
    (home / SIM_FILE).write_text(json.dumps({"port": port, "orgs": list(orgs), "scale": SIM_SCALE, "seed": SIM_SEED}))
    return sim


def demo_tenant(org: str, login_url: str) -> Tenant:
    env_prefix = f"DEMO_{org.upper()}"
    os.environ.update(demo_credentials(org))
    if org in INSIGHTLY_ORGS:
        connection = {"kind": "insightly", "login_url": login_url, "api_key_env": f"{env_prefix}_API_KEY"}
    else:
        connection = {"kind": "salesforce", "login_url": login_url,
                      "credentials": {"grant": "client_credentials", "client_id_env": f"{env_prefix}_CLIENT_ID",
                                      "client_secret_env": f"{env_prefix}_CLIENT_SECRET"}}
    base = validated(Tenant, {"id": org, "name": f"{org.title()} Inc.", "connection": connection})
    return base.with_settings(DEMO_SETTINGS.get(org, {}))
