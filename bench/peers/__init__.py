"""The peers of bench_peers: each extractor as its own program, run in its own process (and, for
Airbyte, Singer and dlt, in its own virtual environment)."""
