"""`crm-pipelines sim serve`: the Salesforce-compatible CRM simulator."""

from __future__ import annotations

import argparse
import time

from crm_pipelines.cli.options import command_group, count, whole_number
from crm_pipelines.sim.org_time import ORG_CLOCK_MODES
from crm_pipelines.cli.output import echo, progress, refuse

# sim.generate's Scale, spelled out here: importing the simulator (pandas and all) to build the
# parser would slow every command; tests check the two agree.
SCALES = ("tiny", "small", "medium", "large", "xlarge")
FAULTS_HELP = """Faults to inject into API calls, e.g. '429=2@0.1,500x3,delay=0.5@0.2'.
Rules are KIND[=ARG][@PROBABILITY|xCOUNT], comma-separated. KIND: 429 (ARG: Retry-After
seconds), 500, 503, delay (ARG: seconds), drop (ARG: before|after; the connection closes with
no response), truncate (the JSON body is cut in half). '@P' fires with probability P on each call,
'xN' on the next N calls, neither on every call. Reproducible by --seed."""


def org_names(value: str) -> tuple[str, ...]:
    """The --orgs specs, `name` or `name:dialect` (salesforce, the default, or insightly)."""
    specs = tuple(spec.strip() for spec in value.split(",") if spec.strip())
    if not specs:
        refuse("--orgs: name at least one org")
    names = [spec.partition(":")[0].strip() for spec in specs]
    if len(set(names)) != len(names):
        refuse(f"--orgs: an org is named twice in {value!r}")
    for spec in specs:
        dialect = spec.partition(":")[2].strip().lower()
        if dialect not in ("", "salesforce", "insightly"):
            refuse(f"--orgs: {spec!r}: the dialect is salesforce or insightly")
    return specs


def serve(args: argparse.Namespace) -> None:
    from crm_pipelines.sim.faults import FaultSpecError, parse_fault_spec
    from crm_pipelines.sim.server import SimulatorServer
    from crm_pipelines.sim.simulator import DEFAULT_API_LIMIT, DEFAULT_ORGS, Simulator

    args.orgs = args.orgs or ",".join(DEFAULT_ORGS)
    args.api_limit = DEFAULT_API_LIMIT if args.api_limit is None else args.api_limit
    try:
        parse_fault_spec(args.faults)
    except FaultSpecError as exc:
        refuse(f"--faults {args.faults!r}: {exc}")
    orgs = org_names(args.orgs)
    started = time.perf_counter()
    with progress(len(orgs), f"generating {args.scale} orgs") as bar:
        simulator = Simulator.generated(orgs, scale=args.scale, seed=args.seed, api_limit=args.api_limit,
                                        faults=args.faults, on_org=lambda name: bar.advance(note=name),
                                        clock=args.clock)
    server = SimulatorServer(simulator, host=args.host, port=args.port, tls=args.tls, log_level="info")
    echo(f"CRM simulator listening on {server.base_url} (port {server.port})")
    echo(f"  built {len(simulator.orgs)} org(s) at scale {args.scale} in {time.perf_counter() - started:.1f} s; "
         f"daily API limit {args.api_limit}" + (f"; faults {args.faults}" if args.faults else ""))
    org_now = next(iter(simulator.orgs.values())).clock.now()
    echo(f"  org clock: {args.clock}, now {org_now.isoformat(timespec='milliseconds')}")
    for name, state in simulator.orgs.items():
        if state.dialect == "insightly":
            echo(f"  org {name}: Insightly API {server.base_url}/v3.1/  (HTTP Basic: API key {name}, empty password)")
            continue
        creds = simulator.credentials(name)
        echo(f"  org {name}: client_id={creds['client_id']} client_secret={creds['client_secret']}"
             f"  (password grant: username={creds['username']} password={creds['password']})")
    echo(f"  token:   POST {server.base_url}/services/oauth2/token grant_type=client_credentials")
    echo(f"  control: {server.base_url}/_sim/orgs")
    if simulator.ca_file:
        echo(f"  TLS CA file: {simulator.ca_file}")
    echo("Press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; stopping is what was asked for
    echo("CRM simulator stopped.")


def _port(text: str) -> int:
    return whole_number(text, at_least=0, at_most=65535, what="a port")


def register(commands: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    sub = command_group(commands, parent, "sim", "The Salesforce-compatible CRM simulator.")
    p = sub.add_parser("serve", parents=[parent], epilog=FAULTS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="Serve Salesforce REST v60.0 for generated orgs until interrupted (Ctrl-C).")
    p.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    p.add_argument("--port", type=_port, default=8765, help="Port to listen on; 0 picks a free one (default 8765).")
    p.add_argument("--orgs", default=None,
                   help="Comma-separated org names; each is also its client_id (default: the simulator's three). "
                        "NAME:insightly serves that org as Insightly's API v3.1 under /v3.1/, its name the API key.")
    p.add_argument("--scale", default="tiny", choices=SCALES, help="How much data each org holds (default tiny).")
    p.add_argument("--seed", type=int, default=1, help="Seed for data and faults (default 1).")
    p.add_argument("--api-limit", type=count, default=None,
                   help="Daily API request limit of each org, rolling 24 hours (default: the simulator's, 100000).")
    p.add_argument("--faults", default=None, help="Fault spec; see below.")
    p.add_argument("--clock", choices=ORG_CLOCK_MODES, default="wall",
                   help="wall (default): the orgs live in real time, their generated history ending now, as a "
                        "real org's does for clients that window by their own clock; fixed: the deterministic "
                        "clock of tests and the demo, starting 2026-06-01T12:00Z, moved only through /_sim/.")
    p.add_argument("--tls", action=argparse.BooleanOptionalAction, default=False,
                   help="Serve https with a throwaway CA (its file is printed).")
    p.set_defaults(run=serve)
