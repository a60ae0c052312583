"""simple-salesforce and pandas as a data engineer writes them: query_all per object into a
DataFrame, COPY into PostgreSQL (text columns, keyed by Id); an incremental run reads what changed
after the table's highest SystemModstamp and upserts it through a staging table."""

from __future__ import annotations

import io

import pandas as pd
import psycopg
import requests
from simple_salesforce import Salesforce

from salesforce_login import load_config, login, report, soql


def copy_frame(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)') as copy:
        copy.write(buffer.getvalue())


def main() -> None:
    config = load_config()
    session = requests.Session()
    instance = login(config, session)
    sf = Salesforce(instance_url=instance, session_id=session.headers["Authorization"].split()[1],
                    session=session, version=config["api_version"])
    records = 0
    with psycopg.connect(config["pg_dsn"], autocommit=True) as conn:
        for sobject, fields in config["objects"].items():
            table = sobject.lower()
            since = None
            if config["mode"] == "incremental":
                since = conn.execute(f'SELECT max("SystemModstamp") FROM "{table}"').fetchone()[0]
            result = sf.query_all(soql(fields, sobject, since), include_deleted=True)
            frame = pd.DataFrame(result["records"], columns=["attributes", *fields]).drop(columns="attributes")
            records += len(frame)
            columns = ", ".join(f'"{c}" text' for c in fields)
            if config["mode"] == "full":
                conn.execute(f'DROP TABLE IF EXISTS "{table}"')
                conn.execute(f'CREATE TABLE "{table}" ({columns}, PRIMARY KEY ("Id"))')
                copy_frame(conn, table, frame)
                continue
            conn.execute(f'CREATE TEMP TABLE "stage_{table}" ({columns})')
            copy_frame(conn, f"stage_{table}", frame)
            updates = ", ".join(f'"{c}" = excluded."{c}"' for c in fields if c != "Id")
            conn.execute(f'INSERT INTO "{table}" SELECT * FROM "stage_{table}" '
                         f'ON CONFLICT ("Id") DO UPDATE SET {updates}')
            conn.execute(f'DROP TABLE "stage_{table}"')
    report(records)


if __name__ == "__main__":
    main()
