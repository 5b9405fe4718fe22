"""One process against parts on worker processes, from a cache entry (issue 14, item 3).

    python benchmarks/procs_1m.py --entry /work/data/cache/dumps/<key> \\
        --types resolved-conversation,user --runs whole,procs2

Not part of the test suite. Each run is a fresh Python process that opens the entry
(``cache.open_folder``: no re-hash of the inputs, so an entry written by another checkout
can be measured) and times ``compute`` over the range, cold:

- ``whole``: ``compute(dump, params)`` as the command line does it today without a budget;
- ``procsN`` / ``procsNwM``: ``compute(dump, params, parts=N, workers=N or M)``, N parts on
  N (M) worker processes;
- ``seqN``: ``compute(dump, params, parts=N)``, N parts one after the other in this process;
- ``limitSIZE`` / ``limitSIZEwM``: ``compute(dump, params, memory_limit=SIZE, workers=M)``.

Memory: the run's peak resident memory (``ru_maxrss``), its workers' largest
(``RUSAGE_CHILDREN`` after the pool is shut down), and the peak of the sum of the whole
process tree's resident memory, sampled every 250 ms from /proc by the driver, as Rss
(a cache file's page counted in every process that touched it) and as Pss (shared out). CPU seconds (user + system) of the run and of its workers say what the
work costs whatever else the machine is doing. A frame
digest (``hash_pandas_object``) shows the runs give the same table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

TAG = "@@PROCS1M@@ "


def _run(spec: dict) -> dict:
    import pandas as pd

    from sparkdesk.dump.cache import open_folder
    from sparkdesk.exports import ExportParams, compute, workers
    from sparkdesk.memory import parse_size

    dump = open_folder(spec["entry"])
    day = dt.date.fromisoformat
    params = ExportParams(spec["type"], spec["tz"], day(spec["first"]), day(spec["last"]), ())
    run = spec["run"]
    t = time.perf_counter()
    if run == "whole":
        frame = compute(dump, params)
    elif run.startswith("procs"):
        n, _, w = run.removeprefix("procs").partition("w")
        frame = compute(dump, params, parts=int(n), workers=int(w or n))
    elif run.startswith("limit"):  # limit6GiB, limit6GiBw2: the budget chooses the parts
        limit, _, w = run.removeprefix("limit").partition("w")
        frame = compute(dump, params, memory_limit=parse_size(limit), workers=int(w or 1))
    else:
        frame = compute(dump, params, parts=int(run.removeprefix("seq")))
    seconds = time.perf_counter() - t
    workers.shutdown()
    digest = int(pd.util.hash_pandas_object(frame, index=False).sum()) & 0xFFFFFFFFFFFF
    return {
        "type": spec["type"],
        "run": run,
        "seconds": round(seconds, 2),
        "rows": len(frame),
        "digest": f"{digest:012x}",
        "parent_cpu_s": round(_cpu(resource.RUSAGE_SELF), 1),
        "workers_cpu_s": round(_cpu(resource.RUSAGE_CHILDREN), 1),
        "parent_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "worker_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    }


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _tree_memory(pid: int) -> tuple[int, int]:
    """(Rss, Pss) bytes of ``pid`` and every process below it. Rss counts a page of a
    memory-mapped cache file in every process that touched it; Pss shares it out."""
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


def _drive(spec: dict) -> dict:
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)], stdout=subprocess.PIPE, text=True
    )
    peak = peak_pss = 0
    while child.poll() is None:
        rss, pss = _tree_memory(child.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(0.25)
    out = child.stdout.read()
    line = next(x for x in out.splitlines() if x.startswith(TAG))
    result = json.loads(line[len(TAG) :])
    result["tree_peak_mib"] = peak // 2**20
    result["tree_peak_pss_mib"] = peak_pss // 2**20
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entry")
    ap.add_argument("--types", default="resolved-conversation,user")
    ap.add_argument("--runs", default="whole,procs2")
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--first", default="2025-05-01")
    ap.add_argument("--last", default="2025-06-30")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        print(TAG + json.dumps(_run(json.loads(args.child))), flush=True)
        return
    print(f"load before: {os.getloadavg()}", flush=True)
    for type_id in args.types.split(","):
        for run in args.runs.split(","):
            spec = {"entry": str(Path(args.entry)), "type": type_id, "run": run, "tz": args.tz}
            spec |= {"first": args.first, "last": args.last}
            print(json.dumps(_drive(spec)), f"load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
