"""Benchmark: cadence workflows (W1–W3) over 1,000,000 changed Leads and Contacts.

Twenty workflows (every W2 operator, all and any, both record types, all three actions) are
evaluated on one million changed records, planned against ~500,000 active cadence memberships
with an applied-actions set from an earlier run, and applied. The target is under 10 s of wall
time for the three steps together; CPU time and the machine's load are recorded too, since other
work on a shared machine stretches wall time. Then the same changes are planned again with what
was applied, which must plan nothing. Results go to bench/results/workflows.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm_pipelines.core.workflows import (  # noqa: E402
    apply_cadence_actions,
    evaluate_workflows,
    plan_cadence_actions,
)
from crm_pipelines.settings import PROSPECT_FIELDS, Workflow  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "workflows.json"
CHANGED_RECORDS = 1_000_000
ACTIVE_MEMBERSHIPS = 525_000  # ~500,000 once a prospect's repeats of one cadence are dropped
CLOSED_MEMBERSHIPS = 100_000
EARLIER_APPLIED = 20_000
TARGET_SECONDS = 10.0
SEED = 8

FIELDS = {**PROSPECT_FIELDS, "employees_text": "number"}

STATUSES = np.array(["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted",
                     "Disqualified", " disqualified ", "Nurture", ""], dtype=object)
TITLES = np.array(["VP Sales", "vp of marketing", "SVP Finance", "Director of IT", "CTO", "Chief Executive Officer",
                   "Sales Manager", "Account Executive", "Intern", "  Head of Growth ", ""], dtype=object)
COUNTRIES = np.array(["US", "United States", "DE", "Germany", "FR", "UK", "GB", "Canada", ""], dtype=object)
INDUSTRIES = np.array(["Technology", "Finance", "Healthcare", "Retail", "Education", "Manufacturing"], dtype=object)
SOURCES = np.array(["Web", "Partner Referral", "Trade Show", "Cold Call", "Webinar", "Purchased List"], dtype=object)
PERSONAS = np.array(["Champion", "Economic Buyer", "User", "Influencer", "Blocker"], dtype=object)
DOMAINS = np.array(["acme.com", "gmail.com", "example.org", "yahoo.com", "initech.io"], dtype=object)
EMPLOYEES = np.array(["10", " 250 ", "1e3", "5000", "n/a", "", "75", "1,200"], dtype=object)


def rule(name: str, record_type: str, criteria: list[tuple[str, str, object]], combinator: str, action: str,
         target: str | None = None) -> Workflow:
    return Workflow(name=name, record_type=record_type, combinator=combinator, action=action, target_cadence=target,
                    criteria=[{"field": f, "operator": o, "value": v} for f, o, v in criteria])


WORKFLOWS = [
    rule("Disqualified leads exit", "Lead", [("status", "equals", "Disqualified")], "all", "exit_cadence"),
    rule("Converted leads exit", "Lead", [("status", "starts_with", "Closed - Converted")], "all", "exit_cadence"),
    rule("Lead VPs to Executive", "Lead", [("title", "contains", "VP"), ("lead_score", "greater_than", 60)], "all",
         "move_to_cadence", "Executive"),
    rule("Hot leads next touch", "Lead", [("lead_score", "greater_than", 90), ("status", "not_equals", "Nurture")],
         "all", "next_touch"),
    rule("Cold leads to Nurture", "Lead", [("lead_score", "less_than", 10), ("status", "equals", "Nurture")], "any",
         "move_to_cadence", "Nurture"),
    rule("Leads without email exit", "Lead", [("email", "is_empty", None)], "all", "exit_cadence"),
    rule("Opted-out leads exit", "Lead", [("opted_out", "equals", "true")], "all", "exit_cadence"),
    rule("Public mail leads next touch", "Lead",
         [("email", "contains", "@gmail.com"), ("email", "contains", "@yahoo.com")], "any", "next_touch"),
    rule("Lead regions", "Lead", [("country", "in_list", ["US", "United States", "Canada"]),
                                  ("industry", "not_contains", "tech")], "all", "move_to_cadence", "North America"),
    rule("Stale leads exit", "Lead", [("last_activity_at", "less_than", "2023-01-01T00:00:00+00:00"),
                                      ("lead_source", "is_not_empty", None)], "all", "exit_cadence"),
    rule("Contact executives", "Contact", [("title", "starts_with", "Chief"), ("title", "contains", "VP"),
                                          ("title", "in_list", ["CTO", "CEO", "CFO"])], "any",
         "move_to_cadence", "Executive"),
    rule("Contact blockers exit", "Contact", [("persona", "equals", "Blocker")], "all", "exit_cadence"),
    rule("Contact champions next touch", "Contact", [("persona", "equals", "Champion"),
                                                     ("lead_score", "greater_than", 50)], "all", "next_touch"),
    rule("Opted-out contacts exit", "Contact", [("opted_out", "equals", "true")], "all", "exit_cadence"),
    rule("Contacts without title", "Contact", [("title", "is_empty", None), ("company", "is_empty", None)], "any",
         "next_touch"),
    rule("Large company contacts", "Contact", [("employees_text", "greater_than", 1000)], "all",
         "move_to_cadence", "Enterprise"),
    rule("Recent contacts next touch", "Contact", [("last_activity_at", "greater_than", "2024-06-01"),
                                                   ("status", "not_contains", "closed")], "all", "next_touch"),
    rule("European contacts", "Contact", [("country", "in_list", ["DE", "Germany", "FR", "UK", "GB"]),
                                          ("lead_source", "not_equals", "Purchased List")], "all",
         "move_to_cadence", "EMEA"),
    rule("Webinar contacts", "Contact", [("lead_source", "equals", "webinar"), ("industry", "equals", "Finance"),
                                         ("created_at", "greater_than", "2024-01-01")], "all", "next_touch"),
    rule("Small contacts exit", "Contact", [("employees_text", "less_than", 20), ("city", "starts_with", "Spring")],
         "all", "exit_cadence"),
]


def changed_records(rng: np.random.Generator) -> pd.DataFrame:
    n = CHANGED_RECORDS
    ids = np.char.add("P", np.arange(n).astype("U7"))

    def pick(pool: np.ndarray) -> pd.Series:
        return pd.Series(pool[rng.integers(0, len(pool), n)], dtype="str")

    names = np.char.add("person", rng.integers(0, 10**6, n).astype("U7"))
    emails = pd.Series(np.char.add(np.char.add(names, "@"), DOMAINS[rng.integers(0, len(DOMAINS), n)].astype("U12")),
                       dtype="str").mask(rng.random(n) < 0.03)
    base = pd.Timestamp("2022-01-01T00:00:00Z")
    last_activity = base + pd.to_timedelta(rng.integers(0, 3 * 365 * 86_400, n), unit="s")
    created = base + pd.to_timedelta(rng.integers(0, 3 * 365 * 86_400, n), unit="s")
    return pd.DataFrame({
        "prospect_id": pd.Series(ids, dtype="str"),
        "record_type": pd.Series(np.where(rng.random(n) < 0.45, "Lead", "Contact"), dtype="str"),
        "change_key": pd.Series(np.char.add(ids, "@2024-07-01T10:00:00.000Z"), dtype="str"),
        "status": pick(STATUSES),
        "title": pick(TITLES),
        "email": emails,
        "company": pick(np.array(["Acme", "Initech", "", "Globex", "Umbrella"], dtype=object)),
        "city": pick(np.array(["Springfield", "Berlin", "Paris", "Austin", "spring hill"], dtype=object)),
        "country": pick(COUNTRIES),
        "industry": pick(INDUSTRIES),
        "lead_source": pick(SOURCES),
        "persona": pick(PERSONAS),
        "lead_score": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 100, n).round(1)),
        "opted_out": pd.array(rng.random(n) < 0.05, dtype="boolean"),
        "last_activity_at": pd.Series(last_activity).astype("datetime64[us, UTC]").mask(rng.random(n) < 0.05),
        "created_at": pd.Series(created).astype("datetime64[us, UTC]"),
        "employees_text": pick(EMPLOYEES),
    })


def cadence_memberships(rng: np.random.Generator, prospects: pd.Series) -> pd.DataFrame:
    total = ACTIVE_MEMBERSHIPS + CLOSED_MEMBERSHIPS
    owners = prospects.to_numpy()[rng.integers(0, len(prospects), total)]
    cadences = np.array(["Inbound", "Outbound", "Nurture", "Executive", "Events", "Enterprise"], dtype=object)
    statuses = np.array(["active"] * ACTIVE_MEMBERSHIPS + ["exited"] * (CLOSED_MEMBERSHIPS // 2)
                        + ["completed"] * (CLOSED_MEMBERSHIPS - CLOSED_MEMBERSHIPS // 2), dtype=object)
    return pd.DataFrame({
        "membership_id": pd.Series(np.char.add("M", np.arange(total).astype("U7")), dtype="str"),
        "prospect_id": pd.Series(owners, dtype="str"),
        "cadence_id": pd.Series(cadences[rng.integers(0, len(cadences), total)], dtype="str"),
        "current_touch": rng.integers(1, 9, total),
        "status": pd.Series(statuses, dtype="str"),
        "updated_at": pd.Series(pd.Timestamp("2024-06-01T00:00:00Z"), index=range(total)).astype("datetime64[us, UTC]"),
    }).drop_duplicates(["prospect_id", "cadence_id"], ignore_index=True)


def run() -> dict[str, object]:
    rng = np.random.default_rng(SEED)
    changes = changed_records(rng)
    memberships = cadence_memberships(rng, changes["prospect_id"])
    now = pd.Timestamp("2024-07-01T12:00:00Z")

    started, cpu_started = time.perf_counter(), time.process_time()
    matches = evaluate_workflows(changes, WORKFLOWS, FIELDS)
    evaluated = time.perf_counter()
    earlier = pd.DataFrame({"membership_id": memberships["membership_id"].iloc[:EARLIER_APPLIED].to_numpy(),
                            "change_key": "an earlier change", "workflow": WORKFLOWS[0].name})
    actions = plan_cadence_actions(matches, memberships, earlier)
    planned = time.perf_counter()
    after, log = apply_cadence_actions(memberships, actions, now)
    applied, cpu_seconds = time.perf_counter(), time.process_time() - cpu_started
    replanned = plan_cadence_actions(matches, after, log[["membership_id", "prospect_id", "change_key", "workflow"]])
    replan_seconds = time.perf_counter() - applied

    total = applied - started
    return {
        "benchmark": "workflows",
        "changed_records": len(changes),
        "workflows": len(WORKFLOWS),
        "criteria": sum(len(w.criteria) for w in WORKFLOWS),
        "active_memberships": int(memberships["status"].eq("active").sum()),
        "memberships": len(memberships),
        "matches": len(matches),
        "actions": len(actions),
        "actions_by_kind": {str(k): int(v) for k, v in actions["action"].value_counts().sort_index().items()},
        "memberships_created": len(after) - len(memberships),
        "log_rows": len(log),
        "evaluate_seconds": round(evaluated - started, 3),
        "plan_seconds": round(planned - evaluated, 3),
        "apply_seconds": round(applied - planned, 3),
        "total_seconds": round(total, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_seconds": TARGET_SECONDS,
        "within_target": total < TARGET_SECONDS,
        "records_per_second": round(len(changes) / total),
        "second_plan_actions": len(replanned),
        "second_plan_seconds": round(replan_seconds, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }


def main() -> None:
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"workflows: {result['workflows']} workflows over {result['changed_records']:,} changed records and "
          f"{result['active_memberships']:,} active memberships in {result['total_seconds']} s "
          f"(evaluate {result['evaluate_seconds']} s, plan {result['plan_seconds']} s, "
          f"apply {result['apply_seconds']} s; {result['cpu_seconds']} s of CPU at load "
          f"{result['load_average_1min']}; "
          f"target {TARGET_SECONDS} s); {result['actions']:,} actions; planned again: {result['second_plan_actions']} "
          f"actions; peak RSS {result['peak_rss_mib']} MiB; written to {RESULTS.relative_to(ROOT)}")
    if not result["within_target"] or result["second_plan_actions"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
