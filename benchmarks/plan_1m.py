"""Cold compute of exports after loading a dump from the cache, one fresh process per export (issue 14).

    cd <checkout> && python /work/main/benchmarks/plan_1m.py --dump /work/data/d1m
    cd <checkout> && python .../plan_1m.py --dump ... --types user,message --memory-limit 4GiB

Not part of the test suite. The SparkDesk measured is the one in ``--code`` (default: the
current folder), so the same script measures an older checkout (a git worktree) beside the
current one. Each export runs in its own child process: ``load_dumps([dump])`` with the
dump cache on (``SPARKDESK_CACHE_DIR`` must hold a warm entry, or the first child pays the
import), then ``compute(dump, params)`` timed alone, **cold** (no shared facts yet). The
child's peak resident memory (``ru_maxrss``) covers the load and that one export.

With ``--memory-limit`` or ``--parts`` (code that has ``sparkdesk.exports.plan``), the
child also reports how many parts ``make_plan`` chose. One JSON line per export is
appended to ``--out``; a table goes to standard output.
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

TYPES = (
    "resolved-conversation",
    "open-conversation",
    "message",
    "team",
    "contact",
    "topic",
    "tag",
    "user-presence",
    "user",
    "response-times",
    "virtual-agent",
    "contact-attribute",
)
TAG = "@@PLAN1M@@ "


def _child(spec: dict) -> dict:
    sys.path.insert(0, spec["code"])
    import sparkdesk
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import ExportParams, compute

    params = ExportParams(
        spec["type"],
        spec["tz"],
        dt.date.fromisoformat(spec["first_day"]),
        dt.date.fromisoformat(spec["last_day"]),
        (),
    )
    t = time.perf_counter()
    dump = load_dumps([spec["dump"]])
    load_s = time.perf_counter() - t
    kwargs, parts = {}, None
    if spec.get("memory_limit") or spec.get("parts"):
        from sparkdesk.memory import parse_size

        limit = parse_size(spec["memory_limit"]) if spec.get("memory_limit") else None
        kwargs = {"memory_limit": limit, "parts": spec.get("parts"), "workers": spec.get("workers", 1)}
        parts = _planned_parts(dump, params, limit, spec.get("parts"))
    t = time.perf_counter()
    table = compute(dump, params, **kwargs)
    compute_s = time.perf_counter() - t
    return {
        "type": spec["type"],
        "load_s": load_s,
        "compute_s": compute_s,
        "rows": len(table),
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "parts": parts,
        "sparkdesk": str(Path(sparkdesk.__file__).parent),
    }


def _planned_parts(dump, params, limit, forced) -> int:
    """The number of parts make_plan chooses for this question (1: the whole dump as it is)."""
    from dataclasses import replace

    from sparkdesk.catalogue import export_type
    from sparkdesk.exports.plan import make_plan
    from sparkdesk.exports.scope import make_scope

    export = export_type(params.type)
    scope = make_scope(dump, params, range_optional=export.range_optional)
    if not export.uses_channels:
        scope = replace(scope, channels=None)
    plan = make_plan(dump, scope, export.id, memory_limit=limit, parts=forced)
    return 1 if plan.parts is None else plan.parts.n


def _plan_only(args) -> int:
    sys.path.insert(0, str(Path(args.code).resolve()))
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import ExportParams
    from sparkdesk.exports.plan import dump_bytes
    from sparkdesk.memory import MemoryLimitTooSmall, default_memory_limit, format_size, parse_size

    dump = load_dumps([args.dump])
    print(f"dump tables in memory: {format_size(dump_bytes(dump))}")
    first, last = dt.date.fromisoformat(args.first_day), dt.date.fromisoformat(args.last_day)
    for text in args.plan_only.split(","):
        limit = default_memory_limit() if text == "default" else parse_size(text)
        for type_id in args.types.split(","):
            params = ExportParams(type_id, args.tz, first, last, ())
            try:
                shown = f"{_planned_parts(dump, params, limit, None)} part(s)"
            except MemoryLimitTooSmall as err:
                shown = str(err)
            print(f"{text} ({format_size(limit)}) {type_id}: {shown}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--dump", required=False, default="/work/data/d1m")
    ap.add_argument("--code", default=os.getcwd(), help="the checkout whose sparkdesk is measured")
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--from", dest="first_day", default="2025-05-01")
    ap.add_argument("--to", dest="last_day", default="2025-06-30")
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--parts", type=int, default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--plan-only",
        metavar="LIMITS",
        help="comma list of sizes (or 'default', the command line's default budget): load the dump once"
        " and print the parts make_plan chooses per export and limit, or its MemoryLimitTooSmall sentence",
    )
    ap.add_argument("--label", default="")
    ap.add_argument("--out", default=None, help="append one JSON line per export here")
    args = ap.parse_args(argv)
    if args.child:
        print(TAG + json.dumps(_child(json.loads(args.child))), flush=True)
        return 0
    if args.plan_only:
        return _plan_only(args)
    for type_id in args.types.split(","):
        spec = {
            "type": type_id,
            "dump": str(Path(args.dump).resolve()),
            "code": str(Path(args.code).resolve()),
            "tz": args.tz,
            "first_day": args.first_day,
            "last_day": args.last_day,
            "memory_limit": args.memory_limit,
            "parts": args.parts,
            "workers": args.workers,
        }
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True
        )
        wall = time.perf_counter() - t
        lines = [x for x in proc.stdout.splitlines() if x.startswith(TAG)]
        if proc.returncode or not lines:
            result = {"type": type_id, "error": proc.stderr.strip().splitlines()[-1:]}
        else:
            result = json.loads(lines[-1][len(TAG) :])
        result.update(label=args.label, wall_s=wall, memory_limit=args.memory_limit, when=time.time())
        print(json.dumps(result), flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
