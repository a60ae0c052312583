"""Benchmark: the daily auto-save list rebuild for the simulator's `large` org (time and peak memory).

2,000 CRM users, all matched to app users, every rule selected, two consecutive rebuilds: the
first from empty lists, the second a day later from the first one's lists, after a day of CRM
changes (owner changes, deleted contacts, closed opportunities) and some manual removals and adds.
Runs in a fresh child process so that the peak resident set size is the rebuild's own (with the
org generation in it, which a real run would not have). Results go to bench/results/auto_save.json.
Targets: each rebuild under 20 s, peak under 3 GB.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "auto_save.json"

ORG, SCALE, SEED = "acme", "large", 1
TARGET_SECONDS, TARGET_MIB = 20.0, 3 * 1024

# Runs in the child. The converter gives the generated tables the warehouse's column names
# (Salesforce names in snake_case) and datetime units, as the extraction assets write them.
_CHILD = f"""
import dataclasses, gc, json, resource, time
import numpy as np
import pandas as pd

from crm_pipelines.core.auto_save import AutoSaveInputs, CrmFrames, empty_lists, empty_overrides, rebuild_lists
from crm_pipelines.core.crm_objects import column_name
from crm_pipelines.sim.generate import generate_org

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def warehouse(table):
    table = table.rename(columns=column_name)
    for name, dtype in table.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            table[name] = table[name].astype("datetime64[us, UTC]")
    return table

org = generate_org({ORG!r}, {SCALE!r}, seed={SEED})
now = org.now
names = {{"User": "users", "Account": "accounts", "AccountTeamMember": "account_team_members",
          "Contact": "contacts", "Lead": "leads", "Opportunity": "opportunities",
          "OpportunityContactRole": "opportunity_contact_roles"}}
tables = {{names[k]: warehouse(v) for k, v in org.tables.items() if k in names}}
del org
gc.collect()
generated_peak = peak_mib()

users = tables["users"]
matches = pd.DataFrame({{"user_id": "app-" + users["id"], "crm_user_id": users["id"]}})
every_rule = pd.DataFrame({{"user_id": matches["user_id"],
                            "account_rules": [frozenset({{"A1", "A2", "A3"}})] * len(users),
                            "lead_rules": [frozenset({{"P1", "P2", "P3", "P4", "P5"}})] * len(users)}})
inputs = AutoSaveInputs(CrmFrames(**tables), matches, every_rule, empty_lists(), empty_overrides())

begin = time.perf_counter()
first = rebuild_lists(inputs, now)
first_seconds = time.perf_counter() - begin
first_figures = first.metadata()
first_peak = peak_mib()
lists = first.lists
del first
gc.collect()

# A day of CRM changes: 1% of accounts change owner, 1% of contacts are deleted, 5% of open
# opportunities close; and 2,000 manual removals and 2,000 manual adds.
rng = np.random.default_rng(7)
accounts = tables["accounts"].copy()
moved = rng.choice(len(accounts), len(accounts) // 100, replace=False)
accounts.loc[accounts.index[moved], "owner_id"] = users["id"].to_numpy()[rng.integers(0, len(users), len(moved))]
accounts.loc[accounts.index[moved], "last_modified_date"] = now
contacts = tables["contacts"].copy()
gone = rng.choice(len(contacts), len(contacts) // 100, replace=False)
contacts.loc[contacts.index[gone], "is_deleted"] = True
opportunities = tables["opportunities"].copy()
still_open = np.flatnonzero(~opportunities["is_closed"].to_numpy(dtype=bool))
closed = rng.choice(still_open, len(still_open) // 20, replace=False)
opportunities.loc[opportunities.index[closed], "is_closed"] = True
crm = dataclasses.replace(inputs.crm, accounts=accounts, contacts=contacts, opportunities=opportunities)
removing = lists.iloc[rng.choice(len(lists), 2000, replace=False)]
adding = accounts.iloc[rng.choice(len(accounts), 2000, replace=False)]
overrides = pd.concat([
    pd.DataFrame({{"user_id": removing["user_id"].to_numpy(), "list": removing["list"].to_numpy(),
                   "action": "remove", "crm_id": removing["crm_id"].to_numpy(), "at": now}}),
    pd.DataFrame({{"user_id": matches["user_id"].to_numpy()[rng.integers(0, len(users), 2000)],
                   "list": "accounts", "action": "add", "crm_id": adding["id"].to_numpy(), "at": now}}),
], ignore_index=True)
second_inputs = dataclasses.replace(inputs, crm=crm, previous_lists=lists, manual_overrides=overrides)

begin = time.perf_counter()
second = rebuild_lists(second_inputs, now + pd.Timedelta(days=1))
second_seconds = time.perf_counter() - begin
print(json.dumps({{
    "first_seconds": first_seconds, "second_seconds": second_seconds,
    "generated_peak_rss_mib": generated_peak, "first_peak_rss_mib": first_peak, "peak_rss_mib": peak_mib(),
    "rows": {{name: len(table) for name, table in tables.items()}},
    "first": first_figures, "second": second.metadata(),
    "second_changes": {{f"{{name}}/{{change}}": int(n) for (name, change), n
                        in second.changes.groupby(["list", "change"]).size().items()}},
}}))
"""


def run() -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, cwd=ROOT, env=env,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the auto-save rebuild of the {SCALE} org {ORG} failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    slowest = max(figures["first_seconds"], figures["second_seconds"])
    return {
        "benchmark": "auto_save",
        "org": ORG,
        "scale": SCALE,
        "seed": SEED,
        "users": figures["rows"]["users"],
        "first_rebuild_seconds": round(figures["first_seconds"], 3),
        "second_rebuild_seconds": round(figures["second_seconds"], 3),
        "peak_rss_mib": round(figures["peak_rss_mib"], 1),
        "peak_rss_after_generation_mib": round(figures["generated_peak_rss_mib"], 1),
        "peak_rss_after_first_rebuild_mib": round(figures["first_peak_rss_mib"], 1),
        "target_seconds": TARGET_SECONDS,
        "target_peak_rss_mib": TARGET_MIB,
        "meets_targets": slowest < TARGET_SECONDS and figures["peak_rss_mib"] < TARGET_MIB,
        "crm_rows": figures["rows"],
        "first_rebuild": figures["first"],
        "second_rebuild": figures["second"],
        "second_rebuild_changes": figures["second_changes"],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }


def main() -> None:
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"auto-save rebuild, {SCALE} org, {result['users']} users: first {result['first_rebuild_seconds']} s, "
          f"second {result['second_rebuild_seconds']} s, peak RSS {result['peak_rss_mib']} MiB "
          f"(after generating the org: {result['peak_rss_after_generation_mib']} MiB); "
          f"targets {'met' if result['meets_targets'] else 'NOT met'}; written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
