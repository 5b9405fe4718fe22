"""Which allocator Arrow uses for a dump's buffers.

pyarrow's default pool on Linux is mimalloc, which asks the kernel for transparent huge
pages. When the machine's memory is fragmented (a full page cache is enough), each of
those faults waits for the kernel to compact memory. Measured on a 1,000,000-conversation
import (2 GB of CSV, 6 GiB resident): 9.8-13.2 s of kernel time and 13.5-15.3 s wall with
mimalloc, against 4.4-5.4 s and 9.9-11.1 s with jemalloc; the glibc allocator was in
between (10.4-16.9 s wall), since it hands freed memory back and faults it in again.

jemalloc is not built into every pyarrow wheel (not on Windows), so the default stays
where it is missing. An ``ARROW_DEFAULT_MEMORY_POOL`` set by the user wins.
"""

from __future__ import annotations

import gc
import os

import pyarrow as pa


def prefer_jemalloc() -> str:
    """Make jemalloc Arrow's default pool when it is built in; the backend in use."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except (NotImplementedError, pa.ArrowNotImplementedError):
            pass
    return pa.default_memory_pool().backend_name


def release_memory() -> None:
    """Give freed memory back before the next big step (a part of an export, the staged
    import's index): frames hold reference cycles (a Facts and its dump), and Arrow's
    allocator keeps freed pages for itself, where numpy's arrays cannot use them."""
    gc.collect()
    pa.default_memory_pool().release_unused()
