"""Serving the simulator over real HTTP with uvicorn, in a background thread or in the foreground.

TLS is optional: with `tls=True` a throwaway certificate authority (trustme) signs a certificate
for 127.0.0.1 and localhost, and `Simulator.ca_file` names the CA's PEM file, so a client that
always builds https URLs (simple-salesforce does) can connect with `session.verify = sim.ca_file`.
With REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE set, requests lets the environment override a session's
`verify`; set `session.trust_env = False` as well.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from crm_pipelines.sim.app import build_app
from crm_pipelines.sim.generate import Scale
from crm_pipelines.sim.org_time import OrgClockMode
from crm_pipelines.sim.simulator import DEFAULT_API_LIMIT, DEFAULT_ORGS, Simulator

_START_TIMEOUT_SECONDS = 30.0


class TlsFiles:
    """A CA and a server certificate for loopback, written to a temporary folder."""

    def __init__(self, folder: Path) -> None:
        import trustme

        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost", "::1")
        self.ca_file = folder / "sim-ca.pem"
        self.cert_file = folder / "sim-server.pem"
        authority.cert_pem.write_to_path(str(self.ca_file))
        certificate.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket says TCP, and without it every keep-alive answer waits 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class SimulatorServer:
    """One uvicorn server for a Simulator, bound when constructed (so the port is known at once)."""

    def __init__(self, simulator: Simulator, *, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False, log_level: str = "warning") -> None:
        self.simulator = simulator
        self._folder = tempfile.TemporaryDirectory(prefix="crm-sim-") if tls else None
        tls_files = TlsFiles(Path(self._folder.name)) if self._folder else None
        self._socket = _bind(host, port)
        self.port = int(self._socket.getsockname()[1])
        scheme = "https" if tls_files else "http"
        simulator.base_url = f"{scheme}://{_url_host(host)}:{self.port}"
        simulator.ca_file = str(tls_files.ca_file) if tls_files else None
        config = uvicorn.Config(
            build_app(simulator), log_level=log_level, access_log=False, lifespan="off",
            # h11 writes a header name as the app spells it (httptools lower-cases every one:
            # see sim/header_case.py for the clients that care).
            http="h11", loop="asyncio", timeout_keep_alive=30,
            date_header=False,  # the API's answers carry the org clock's Date instead
            server_header=False,
            ssl_certfile=str(tls_files.cert_file) if tls_files else None,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.simulator.base_url

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (uvicorn handles Ctrl-C in the main thread)."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self.close()

    def start(self) -> None:
        """Serve from a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self._run_in_thread, name="crm-sim-server", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the simulator server on port {self.port} stopped while starting")
            if waited > _START_TIMEOUT_SECONDS:
                raise TimeoutError(f"the simulator server on port {self.port} did not start "
                                   f"within {_START_TIMEOUT_SECONDS:.0f} s")
            threading.Event().wait(0.01)
            waited += 0.01

    def _run_in_thread(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def stop(self) -> None:
        """Stop at once: idle keep-alive connections (TLS ones wait for a close_notify that
        clients never send) would otherwise hold the shutdown for many seconds."""
        self._server.should_exit = True
        self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                raise RuntimeError(f"the simulator server on port {self.port} did not stop")
        self.close()

    def close(self) -> None:
        self._socket.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


@contextmanager
def serving(simulator: Simulator, *, host: str = "127.0.0.1", port: int = 0,
            tls: bool = False) -> Iterator[Simulator]:
    """Serve an existing Simulator for the length of a `with` block."""
    server = SimulatorServer(simulator, host=host, port=port, tls=tls)
    server.start()
    try:
        yield simulator
    finally:
        server.stop()


@contextmanager
def run_simulator(orgs: Iterable[str] = DEFAULT_ORGS, scale: Scale = "tiny", seed: int = 1,
                  api_limit: int = DEFAULT_API_LIMIT, faults: str | None = None, tls: bool = False,
                  host: str = "127.0.0.1", port: int = 0, clock: OrgClockMode = "fixed") -> Iterator[Simulator]:
    """A simulator with generated orgs, served on a free loopback port for a `with` block.

    Example: `with run_simulator(orgs=("acme",)) as sim:` then POST client_id `acme` and
    client_secret `acme-secret` to `sim.base_url + "/services/oauth2/token"`.
    """
    simulator = Simulator.generated(orgs, scale=scale, seed=seed, api_limit=api_limit, faults=faults, clock=clock)
    with serving(simulator, host=host, port=port, tls=tls) as served:
        yield served
