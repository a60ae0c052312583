"""`crm-pipelines demo`: the pipeline end to end on the embedded default, with a summary."""

from __future__ import annotations

import argparse


def demo(args: argparse.Namespace) -> int:
    from crm_pipelines.demo import run_demo

    return run_demo()


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = commands.add_parser("demo", parents=[parent],
                            help="Run the demo end to end (its own data under <data dir>/demo) and print what it did.")
    p.set_defaults(run=demo)
