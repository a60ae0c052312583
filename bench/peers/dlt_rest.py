"""dlt with its REST client: one resource per object paging queryAll by nextRecordsUrl, an
incremental cursor on SystemModstamp, merged by Id into a local duckdb. Runs in dlt's own
virtual environment (.data/bench-venvs/dlt)."""

from __future__ import annotations

from pathlib import Path

import dlt
import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from salesforce_login import load_config, login, report, soql


def salesforce_source(config: dict, instance: str, token: str):
    client = RESTClient(base_url=instance, auth=BearerTokenAuth(token),
                        paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"), data_selector="records")

    def object_resource(sobject: str, fields: list[str]):
        @dlt.resource(name=sobject.lower(), primary_key="Id", write_disposition="merge")
        def read(modstamp=dlt.sources.incremental("SystemModstamp", initial_value=None)):
            since = modstamp.last_value
            for page in client.paginate(f"/services/data/v{config['api_version']}/queryAll",
                                        params={"q": soql(fields, sobject, since)}):
                yield [{k: v for k, v in record.items() if k != "attributes"} for record in page]
        return read

    return [object_resource(sobject, fields) for sobject, fields in config["objects"].items()]


def main() -> None:
    config = load_config()
    session = requests.Session()
    instance = login(config, session)
    token = session.headers["Authorization"].split()[1]
    state = Path(config["state_dir"]) / "dlt"
    pipeline = dlt.pipeline(pipeline_name="salesforce", pipelines_dir=str(state / "pipelines"),
                            destination=dlt.destinations.duckdb(str(state / "peers.duckdb")),
                            dataset_name="salesforce")
    info = pipeline.run(salesforce_source(config, instance, token))
    info.raise_on_failed_jobs()
    rows = pipeline.last_trace.last_normalize_info.row_counts
    report(sum(count for table, count in rows.items() if not table.startswith("_dlt")))


if __name__ == "__main__":
    main()
