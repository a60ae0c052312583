"""The demo: the pipeline end to end on the embedded default, told as a story (see run.py)."""

from crm_pipelines.demo.setup import DEMO_ORGS, DEMO_SETTINGS, SIM_FILE, demo_credentials

__all__ = ["DEMO_ORGS", "DEMO_SETTINGS", "SIM_FILE", "demo_credentials", "run_demo"]


def run_demo() -> int:
    # Imported when run, so reading the demo's settings (`make ui`, tests) does not load Dagster.
    from crm_pipelines.demo.run import run_demo as run

    return run()
