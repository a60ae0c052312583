"""What every hand-written peer does first: the refresh-token login of a connected app, and the
window of an incremental read. Standard library and requests only: the peers' own virtual
environments import it too."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests


def load_config() -> dict:
    """The run's settings, from the JSON file named by the first argument."""
    return json.loads(Path(sys.argv[1]).read_text())


def login(config: dict, session: requests.Session) -> str:
    """The instance URL, with the session carrying the access token."""
    response = session.post(f"{config['base_url']}/services/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": config["client_id"],
        "client_secret": config["client_secret"], "refresh_token": config["refresh_token"]})
    response.raise_for_status()
    body = response.json()
    session.headers["Authorization"] = f"Bearer {body['access_token']}"
    return body["instance_url"]


def soql(fields: list[str], sobject: str, since: str | None) -> str:
    """All fields read, and only what changed after `since` (a SystemModstamp as the API wrote it)."""
    query = f"SELECT {', '.join(fields)} FROM {sobject}"
    return query + (f" WHERE SystemModstamp > {soql_datetime(since)}" if since else "")


def soql_datetime(stamp: str) -> str:
    return stamp.replace("+0000", "Z")


def report(records: int) -> None:
    """The one line the benchmark reads from a peer's output."""
    print(json.dumps({"records": records}), flush=True)
