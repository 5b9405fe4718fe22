"""Time each export on a demo dump of a given size (not a test: timings live here).

    .venv/bin/python benchmarks/export_times.py --conversations 100000

Builds (or reuses) the demo dump under benchmarks/data/, loads it once, then computes
every export cold (a fresh load each, so the shared facts are not reused) and warm (after
another export has filled the shared facts), and writes a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import time
from pathlib import Path

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.demo import write_demo
from sparkdesk.dump import load_dumps
from sparkdesk.exports import ExportParams, compute, default_range

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tz", default="Europe/Madrid")
    ap.add_argument("--out", default=None, help="Markdown file for the table (default: print only)")
    args = ap.parse_args(argv)

    folder = HERE / "data" / f"demo-{args.conversations}-{args.seed}"
    if not (folder / "manifest.json").exists():
        t = time.perf_counter()
        write_demo(folder, conversations=args.conversations, seed=args.seed)
        print(f"generated {folder} in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    t = time.perf_counter()
    dump = load_dumps([folder])
    load_s = time.perf_counter() - t
    first, last = default_range(dump, args.tz)
    rows = [("import (read + validate + report)", load_s, "")]
    for type_id in EXPORT_IDS:
        gc.collect()
        cold_dump = load_dumps([folder])
        t = time.perf_counter()
        table = compute(cold_dump, ExportParams(type_id, args.tz, first, last))
        cold = time.perf_counter() - t
        t = time.perf_counter()
        compute(dump, ExportParams(type_id, args.tz, first, last))
        warm = time.perf_counter() - t
        rows.append((f"{type_id} ({len(table):,} rows)", cold, f"{warm:.2f}"))
        print(f"{type_id}: cold {cold:.2f} s, warm {warm:.2f} s, {len(table):,} rows", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    lines = [
        f"Export times, demo dump of {args.conversations:,} conversations "
        f"({len(dump.tables['messages']):,} messages), {dt.date.today()}, range {first}..{last} {args.tz}",
        "",
        "| step | cold (s) | warm (s) |",
        "|---|---:|---:|",
        *[f"| {name} | {cold:.2f} | {warm} |" for name, cold, warm in rows],
        "",
        f"Peak memory: {peak:.2f} GiB",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
