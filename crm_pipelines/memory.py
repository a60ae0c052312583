"""How this process's Arrow allocations hand memory back, set once when the code location loads.

A full sync's pages are parsed, converted and written in three threads (read-ahead, the step,
the writer), each allocating and freeing megabytes of transient Arrow buffers per slice. Arrow's
default pool (mimalloc) kept some 75 MiB resident for at most 26 MiB of live Arrow buffers in a
`medium` sync: most of what the sync held above Dagster's own floor. Arrow's jemalloc pool,
returning freed pages at once, holds the same sync some 40–60 MiB lower. Nothing stored or read
changes: only where freed memory goes.

glibc's mmap threshold is left to glibc: fixing it at 128 KiB saved some 10–25 MiB more in the
sync, but every large numpy and pandas buffer of every step was then mapped and unmapped on its
own, which doubled a pandas workload's system CPU (README, "Against peer extractors").
"""

from __future__ import annotations

import pyarrow as pa

_tuned: dict[str, str] = {}


def tune_allocators() -> dict[str, str]:
    """Arrow's default pool on jemalloc releasing freed pages at once (kept on its default where
    this build of Arrow has no jemalloc). Idempotent; returns what the pool is now."""
    if not _tuned:
        _tuned["arrow_pool"] = _arrow_on_jemalloc()
    return dict(_tuned)


def _arrow_on_jemalloc() -> str:
    if "jemalloc" not in pa.supported_memory_backends():
        return pa.default_memory_pool().backend_name
    # Before the pool's first allocation: the decay applies to the arenas jemalloc creates after it.
    pa.jemalloc_set_decay_ms(0)
    pa.set_memory_pool(pa.jemalloc_memory_pool())
    return pa.default_memory_pool().backend_name
