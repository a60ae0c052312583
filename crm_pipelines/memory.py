"""How this process's allocators hand memory back, set once when the code location loads.

A full sync's pages are parsed, converted and written in three threads (read-ahead, the step,
the writer), each allocating and freeing megabytes of transient buffers per slice. Arrow's
default pool (mimalloc) kept some 75 MiB resident for at most 26 MiB of live Arrow buffers in a
`medium` sync, and glibc, whose mmap threshold rises to the largest block freed so far, kept the
threads' later megabyte-sized buffers in arenas it does not give back: together most of what the
sync held above Dagster's own floor. Arrow's jemalloc pool, returning freed pages at once, and a
fixed mmap threshold (glibc's initial 128 KiB, which stops the rise) hold the same sync some 60 MiB
lower, for about 1 s more system CPU (freed pages fault in again when reused; README, "Against
peer extractors"). Nothing stored or read changes: only where freed memory goes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import pyarrow as pa

# glibc's mallopt parameter number for the mmap threshold (malloc.h), and the value it starts at.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024

_tuned: dict[str, str] = {}


def tune_allocators() -> dict[str, str]:
    """Arrow's default pool on jemalloc releasing freed pages at once (kept on its default where
    this build of Arrow has no jemalloc), and glibc's mmap threshold fixed (only on glibc). Idempotent;
    returns what each allocator is now set to."""
    if not _tuned:
        _tuned["arrow_pool"] = _arrow_on_jemalloc()
        _tuned["glibc_mmap_threshold"] = _fixed_mmap_threshold()
    return dict(_tuned)


def _arrow_on_jemalloc() -> str:
    if "jemalloc" not in pa.supported_memory_backends():
        return pa.default_memory_pool().backend_name
    # Before the pool's first allocation: the decay applies to the arenas jemalloc creates after it.
    pa.jemalloc_set_decay_ms(0)
    pa.set_memory_pool(pa.jemalloc_memory_pool())
    return pa.default_memory_pool().backend_name


def _fixed_mmap_threshold() -> str:
    if platform.libc_ver()[0] != "glibc":
        return "not glibc: left as it is"
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:
        return "refused: left as it is"
    return str(MMAP_THRESHOLD_BYTES)
