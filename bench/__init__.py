"""Benchmarks behind `make bench`; each writes its figures to bench/results/<name>.json."""
