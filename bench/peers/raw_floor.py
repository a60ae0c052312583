"""The floor: requests over every page of queryAll, each page parsed with orjson, nothing stored.
An incremental run reads what changed after the highest SystemModstamp the last run saw."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import requests

from salesforce_login import load_config, login, report, soql


def main() -> None:
    config = load_config()
    cursors_file = Path(config["state_dir"]) / "raw_floor.json"
    cursors = json.loads(cursors_file.read_text()) if config["mode"] == "incremental" else {}
    session = requests.Session()
    instance = login(config, session)
    records = 0
    for sobject, fields in config["objects"].items():
        url = f"{instance}/services/data/v{config['api_version']}/queryAll"
        params = {"q": soql(fields, sobject, cursors.get(sobject))}
        latest = cursors.get(sobject, "")
        while url:
            response = session.get(url, params=params)
            response.raise_for_status()
            page = orjson.loads(response.content)
            records += len(page["records"])
            latest = max([latest, *(r["SystemModstamp"] for r in page["records"])])
            url = f"{instance}{page['nextRecordsUrl']}" if page.get("nextRecordsUrl") else None
            params = None
        cursors[sobject] = latest or None
    cursors_file.write_text(json.dumps(cursors))
    report(records)


if __name__ == "__main__":
    main()
