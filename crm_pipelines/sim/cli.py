"""`sim` commands: serve the Salesforce-compatible CRM simulator (mounted as `crm-pipelines sim`)."""

from __future__ import annotations

import time
from typing import get_args

import click

from crm_pipelines.sim.faults import FaultSpecError, parse_fault_spec
from crm_pipelines.sim.generate import Scale
from crm_pipelines.sim.server import SimulatorServer
from crm_pipelines.sim.simulator import DEFAULT_API_LIMIT, DEFAULT_ORGS, Simulator

FAULTS_HELP = """Faults to inject into API calls, e.g. '429=2@0.1,500x3,delay=0.5@0.2'.
Rules are KIND[=ARG][@PROBABILITY|xCOUNT], comma-separated. KIND: 429 (ARG: Retry-After
seconds), 500, 503, delay (ARG: seconds), drop (ARG: before|after; the connection closes with
no response), truncate (the JSON body is cut in half). '@P' fires with probability P on each call,
'xN' on the next N calls, neither on every call. Reproducible by --seed."""


def _org_names(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise click.BadParameter("name at least one org")
    if len(set(names)) != len(names):
        raise click.BadParameter(f"an org is named twice in {value!r}")
    return names


def _check_faults(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    try:
        parse_fault_spec(value)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.group(name="sim", context_settings={"help_option_names": ["-h", "--help"]})
def sim() -> None:
    """The Salesforce-compatible CRM simulator."""


@sim.command(epilog=FAULTS_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--orgs", default=",".join(DEFAULT_ORGS), show_default=True,
              help="Comma-separated org names; each is also its client_id.")
@click.option("--scale", default="tiny", show_default=True, type=click.Choice(get_args(Scale)),
              help="How much data each org holds.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed for data and faults.")
@click.option("--api-limit", default=DEFAULT_API_LIMIT, show_default=True, type=click.IntRange(0),
              help="Daily API request limit of each org (rolling 24 hours).")
@click.option("--faults", default=None, callback=_check_faults, help="Fault spec; see below.")
@click.option("--tls/--no-tls", default=False, show_default=True,
              help="Serve https with a throwaway CA (its file is printed).")
def serve(host: str, port: int, orgs: str, scale: str, seed: int, api_limit: int,
          faults: str | None, tls: bool) -> None:
    """Serve Salesforce REST v60.0 for generated orgs until interrupted (Ctrl-C)."""
    started = time.perf_counter()
    simulator = Simulator.generated(_org_names(orgs), scale=scale, seed=seed,  # type: ignore[arg-type]
                                    api_limit=api_limit, faults=faults)
    server = SimulatorServer(simulator, host=host, port=port, tls=tls, log_level="info")
    click.echo(f"CRM simulator listening on {server.base_url} (port {server.port})")
    click.echo(f"  built {len(simulator.orgs)} org(s) at scale {scale} in "
               f"{time.perf_counter() - started:.1f} s; daily API limit {api_limit}"
               + (f"; faults {faults}" if faults else ""))
    for name in simulator.orgs:
        creds = simulator.credentials(name)
        click.echo(f"  org {name}: client_id={creds['client_id']} client_secret={creds['client_secret']}"
                   f"  (password grant: username={creds['username']} password={creds['password']})")
    click.echo(f"  token:   POST {server.base_url}/services/oauth2/token "
               f"grant_type=client_credentials")
    click.echo(f"  control: {server.base_url}/_sim/orgs")
    if simulator.ca_file:
        click.echo(f"  TLS CA file: {simulator.ca_file}")
    click.echo("Press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; stopping is what was asked for
    click.echo("CRM simulator stopped.")
