"""The first import of a dump, with the cache on: time and peak memory, step by step.

    SPARKDESK_CACHE_DIR=<an empty folder> /usr/bin/time -f "%e s %M KB" \\
        .venv/bin/python benchmarks/import_peak.py DUMP

Prints a line whenever the import's progress text changes: seconds so far, the resident
memory now and its peak so far (sampled every 50 ms), the fraction and the text. The
figures of benchmarks/ISSUE14.md, section 15, come from it (peaks confirmed by
``/usr/bin/time``). Without SPARKDESK_CACHE_DIR a new temporary cache is used.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import threading
import time

os.environ.setdefault("SPARKDESK_CACHE_DIR", tempfile.mkdtemp(prefix="sparkdesk-import-peak-"))

from sparkdesk.dump import load_dumps  # noqa: E402 - after the cache folder is chosen

START = time.time()
PEAK = [0.0]


def rss_gib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 2**20
    return 0.0


def sample() -> None:
    while True:
        PEAK[0] = max(PEAK[0], rss_gib())
        time.sleep(0.05)


def main(path: str) -> None:
    threading.Thread(target=sample, daemon=True).start()
    last = [None]

    def progress(fraction: float, text: str) -> None:
        key = text.split(":")[0][:40]
        if key != last[0]:
            last[0] = key
            print(
                f"{time.time() - START:7.1f}s rss {rss_gib():5.2f} peak {PEAK[0]:5.2f} GiB"
                f"  {fraction:.2f} {text[:70]}",
                flush=True,
            )

    load_dumps([path], progress=progress)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{time.time() - START:7.1f}s done; peak {PEAK[0]:.2f} GiB, maxrss {maxrss:.2f} GiB")


if __name__ == "__main__":
    main(sys.argv[1])
