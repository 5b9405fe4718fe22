"""SparkDesk at scale, measured in one run (issue 5): import, exports, writers, DuckDB peers.

    .venv/bin/python benchmarks/run.py                          # full size: 1,000,000 conversations
    .venv/bin/python benchmarks/run.py --conversations 100000   # a smaller run

Not part of the test suite. Builds (or reuses) the demo dump under benchmarks/data/, then
measures, every step in its own child process so that each time and each peak memory
(``ru_maxrss`` of that child) belongs to that step alone:

- ``floor``: reading every table file with ``pyarrow.csv.read_csv``, all columns as strings (and
  ``floor-jemalloc``: the same with the allocator SparkDesk uses, a stricter reference);
- ``import``: ``load_dumps`` (reading + validation + report), SparkDesk's dump cache off;
- ``first-open`` (when the SparkDesk measured has a dump cache): ``load_dumps`` with the cache
  on and its folder emptied first: the import plus writing the cache entry;
- ``re-open``: ``load_dumps`` of the same folder again, in a fresh process after the first
  open, cache on (without a dump cache in SparkDesk, a second import, and labelled so);
- ``export:<type>`` for the twelve exports: a fresh import (cache off), then ``compute``
  **cold** (no shared facts yet: the import's share is not in it), then **warm** (the same
  export again in that process, every shared fact cached: only the export's own table
  building);
- ``write:csv``: ``write_export`` of the message export (the largest) as CSV;
- ``write:38``: the resolved-conversation export (38 columns) as CSV, and an XLSX of its
  first 100,000 rows (rows repeated when the dump has fewer);
- ``duckdb:<type>``: the SQL of ``benchmarks/duckdb_peers/`` over the same CSV files (load
  with ``all_varchar`` + casts, then the export's query into an Arrow table), with DuckDB's
  default threads and with one thread; after the timings both tables are compared cell by
  cell (same rows, same order), in another child.

Repetitions: ``--repeat K`` runs every step K times. By default (``--repeat auto``) each
step runs once, and then twice more if that first run's child took under
``--slow-seconds`` (30 s): fast steps get the median of 3, slow ones a single run. Runs
are interleaved by rounds (all steps, then the repeats), so background load on the shared
machine hits SparkDesk and its peers alike. The floor and the import, whose ratio is the
noisiest target, run ``--core-rounds`` times (5) side by side. Timings are medians; peaks
are the maximum.

Writes the Markdown table to ``--out`` (benchmarks/RESULTS.md) after every step, so an
interrupted run still leaves what finished, and the raw samples as JSON next to the dump.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import string
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEERS_DIR = HERE / "duckdb_peers"
RESULT_TAG = "@@RESULT@@ "
PEERS = ("message", "user", "resolved-conversation")
XLSX_ROWS = 100_000

# --------------------------------------------------------------------------------------
# Children: each measured step runs in `python run.py --child JSON` and prints one result
# line. Imports happen inside, so a child pays only for what it uses.
# --------------------------------------------------------------------------------------


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB on Linux


def _params(spec: dict):
    from sparkdesk.exports import ExportParams

    return lambda type_id: ExportParams(
        type_id,
        spec["tz"],
        dt.date.fromisoformat(spec["first_day"]),
        dt.date.fromisoformat(spec["last_day"]),
        tuple(spec["channels"]),
    )


def child_generate(spec: dict) -> dict:
    from sparkdesk.demo import write_demo

    folder = Path(spec["folder"])
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    t = time.perf_counter()
    write_demo(tmp, conversations=spec["conversations"], seed=spec["seed"])
    tmp.rename(folder)
    return {"seconds": time.perf_counter() - t}


def child_floor(spec: dict) -> dict:
    import csv

    import pyarrow as pa
    import pyarrow.csv as pv

    files = sorted(Path(spec["folder"]).glob("*.csv"))
    if spec.get("pool") == "jemalloc":  # the allocator SparkDesk's import uses (sparkdesk/dump/memory.py)
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    t = time.perf_counter()
    rows, size = {}, 0
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            names = next(csv.reader(fh))
        # pyarrow's defaults, plus what reading these files correctly needs: quoted new lines
        convert = pv.ConvertOptions(column_types={n: pa.string() for n in names})
        parse = pv.ParseOptions(newlines_in_values=True)
        table = pv.read_csv(path, parse_options=parse, convert_options=convert)
        rows[path.stem] = table.num_rows
        size += path.stat().st_size
        del table
    return {"seconds": time.perf_counter() - t, "rows": rows, "bytes": size}


def _loader():
    """``load(spec, cache=False)``: load_dumps of the dump folder, SparkDesk's dump cache only
    where asked (when it has one). Imported here, so that a step times the load alone, as
    the floor times the read alone (its ``import pyarrow`` is not timed either)."""
    import inspect

    from sparkdesk.dump import load_dumps

    def load(spec: dict, cache: bool = False):
        if "cache" in inspect.signature(load_dumps).parameters:
            return load_dumps([spec["folder"]], cache=cache)
        return load_dumps([spec["folder"]])

    return load


def _load(spec: dict, cache: bool = False):
    return _loader()(spec, cache)


def child_import(spec: dict) -> dict:
    """A true import (cache off); with spec cache 'miss': import + store into an emptied cache
    folder; 'hit': open from that folder (run after a 'miss', in another process)."""
    mode = spec.get("cache")
    if mode == "miss":
        shutil.rmtree(Path(os.environ["SPARKDESK_CACHE_DIR"]) / "dumps", ignore_errors=True)
    load = _loader()
    t = time.perf_counter()
    dump = load(spec, cache=mode in ("miss", "hit"))
    seconds = time.perf_counter() - t
    stats = dump.report.stats
    return {
        "seconds": seconds,
        "rows": {name: len(frame) for name, frame in dump.tables.items()},
        "rejected": len(dump.report.rejected),
        "warnings": len(dump.report.warnings),
        "duplicates": sum(s.duplicates for s in stats.values()),
        "after_snapshot": sum(s.after_snapshot for s in stats.values()),
    }


def _save_parquet(frame, path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def child_export(spec: dict) -> dict:
    from sparkdesk.exports import compute

    params = _params(spec)(spec["type"])
    load = _loader()
    t = time.perf_counter()
    dump = load(spec)
    import_s = time.perf_counter() - t
    t = time.perf_counter()
    table = compute(dump, params)
    cold = time.perf_counter() - t
    peak = _peak_gib()  # import + this export: before the warm run and the saving
    t = time.perf_counter()
    compute(dump, params)
    warm = time.perf_counter() - t
    if spec.get("save"):
        _save_parquet(table, spec["save"])
    return {"import_s": import_s, "seconds": cold, "warm_s": warm, "rows": len(table), "peak_gib": peak}


def child_write_csv(spec: dict) -> dict:
    from sparkdesk.exports import compute
    from sparkdesk.writers import WriteOptions, write_export

    dump = _load(spec)
    table = compute(dump, _params(spec)("message"))
    del dump
    out = Path(spec["scratch"]) / "message.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    write_export(table, "message", out, WriteOptions(tz=spec["tz"]), fmt="csv")
    seconds = time.perf_counter() - t
    size = out.stat().st_size
    out.unlink()
    return {"seconds": seconds, "rows": len(table), "columns": table.shape[1], "bytes": size}


def child_write_38(spec: dict) -> dict:
    import pandas as pd

    from sparkdesk.exports import compute
    from sparkdesk.writers import WriteOptions, write_export

    dump = _load(spec)
    table = compute(dump, _params(spec)("resolved-conversation"))
    del dump
    scratch = Path(spec["scratch"])
    scratch.mkdir(parents=True, exist_ok=True)
    options = WriteOptions(tz=spec["tz"])
    out = scratch / "resolved-conversation.csv"
    t = time.perf_counter()
    write_export(table, "resolved-conversation", out, options, fmt="csv")
    csv_s = time.perf_counter() - t
    out.unlink()
    rows = len(table)
    if rows and rows < XLSX_ROWS:  # a small dump: repeat its rows up to the size measured
        table = pd.concat([table] * -(-XLSX_ROWS // rows), ignore_index=True)
    table = table.iloc[:XLSX_ROWS].reset_index(drop=True)
    out = scratch / "resolved-conversation.xlsx"
    t = time.perf_counter()
    write_export(table, "resolved-conversation", out, options, fmt="xlsx")
    xlsx_s = time.perf_counter() - t
    out.unlink()
    return {
        "seconds": xlsx_s,
        "csv_s": csv_s,
        "csv_rows": rows,
        "xlsx_rows": len(table),
        "columns": table.shape[1],
        "tiled": rows < XLSX_ROWS,
    }


# ----- DuckDB peers ---------------------------------------------------------------------

_BLOCK = re.compile(r"^-- object: (\S+)(?: \| needs: (.*))?$")


def _blocks(path: Path) -> dict[str, tuple[list[str], str]]:
    """`-- object: NAME | needs: A B` blocks of a SQL file, in file order."""
    out: dict[str, tuple[list[str], str]] = {}
    name, needs, lines = None, [], []
    for line in path.read_text(encoding="utf-8").splitlines() + ["-- object: <end>"]:
        m = _BLOCK.match(line)
        if m:
            if name:
                out[name] = (needs, "\n".join(lines).strip())
            name, needs, lines = m.group(1), (m.group(2) or "").split(), []
        elif name:
            lines.append(line)
    return out


def peer_plan(type_id: str) -> tuple[list[str], list[str], str]:
    """(load statements, shared statements, final query) for one export's peer."""
    load = _blocks(PEERS_DIR / "_load.sql")
    shared = _blocks(PEERS_DIR / "_shared.sql")
    query = (PEERS_DIR / f"{type_id}.sql").read_text(encoding="utf-8")
    m = re.search(r"^-- needs: (.*)$", query, re.M)
    wanted: set[str] = set()

    def want(name: str) -> None:
        if name in wanted:
            return
        if name not in load and name not in shared:
            raise KeyError(f"{type_id}.sql needs {name!r}, defined in neither _load.sql nor _shared.sql")
        wanted.add(name)
        for dep in (load.get(name) or shared[name])[0]:
            want(dep)

    for name in m.group(1).split() if m else []:
        want(name)
    return (
        [sql for name, (_, sql) in load.items() if name in wanted],
        [sql for name, (_, sql) in shared.items() if name in wanted],
        query.strip().rstrip(";"),
    )


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _fill(sql: str, spec: dict) -> str:
    channels = spec["channels"]
    channel_filter = (
        "channel_id IN (" + ", ".join(f"'{_sql_text(c)}'" for c in channels) + ")" if channels else "true"
    )
    return string.Template(sql).safe_substitute(
        dump=_sql_text(str(Path(spec["folder"]).resolve())),
        tz=_sql_text(spec["tz"]),
        first_day=spec["first_day"],
        last_day=spec["last_day"],
        channel_filter=channel_filter,
    )


def child_duckdb(spec: dict) -> dict:
    import duckdb

    load, shared, query = peer_plan(spec["type"])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if spec.get("threads"):
        con.execute(f"SET threads = {int(spec['threads'])}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    t = time.perf_counter()
    for sql in load:
        con.execute(_fill(sql, spec))
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    for sql in shared:
        con.execute(_fill(sql, spec))
    result = con.sql(_fill(query, spec)).to_arrow_table()
    query_s = time.perf_counter() - t
    peak = _peak_gib()
    if spec.get("save"):
        import pyarrow.parquet as pq

        pq.write_table(result, spec["save"])
    return {
        "seconds": load_s + query_s,
        "load_s": load_s,
        "query_s": query_s,
        "rows": result.num_rows,
        "threads": threads,
        "peak_gib": peak,
    }


def _norm(kind: str, ref: str) -> str:
    """One cell, comparable across both engines: ms integers, text with '' as empty."""
    if kind == "timestamp":
        return f"epoch_ms({ref})"
    if kind in ("duration", "count", "score"):
        return f"CAST({ref} AS BIGINT)"
    if kind == "percent":
        return f"round(CAST({ref} AS DOUBLE), 2)"
    if kind == "bool":
        return f"CAST({ref} AS BOOLEAN)"
    return f"nullif(CAST({ref} AS VARCHAR), '')"


def child_compare(spec: dict) -> dict:
    """Same rows in the same order, cell by cell after normalising types."""
    import duckdb

    from sparkdesk.catalogue import export_type

    columns = [(c.key, c.kind) for c in export_type(spec["type"]).columns]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    for alias, path in (("a", spec["sparkdesk"]), ("b", spec["duckdb"])):
        con.execute(
            f"CREATE TEMP VIEW {alias} AS SELECT * FROM read_parquet('{_sql_text(path)}', file_row_number = true)"
        )
    n_a = con.execute("SELECT count(*) FROM a").fetchone()[0]
    n_b = con.execute("SELECT count(*) FROM b").fetchone()[0]
    b_cols = {r[0] for r in con.execute("DESCRIBE b").fetchall()}
    missing = [k for k, _ in columns if k not in b_cols]
    compared = [(k, kind) for k, kind in columns if k in b_cols]
    diff_exprs = ",\n".join(
        f'{_norm(kind, f"a.{k}")} IS DISTINCT FROM {_norm(kind, f"b.{k}")} AS "{k}"' for k, kind in compared
    )
    con.execute(
        f"""CREATE TEMP TABLE d AS
        SELECT coalesce(a.file_row_number, b.file_row_number) AS rn,
               a.file_row_number IS NULL OR b.file_row_number IS NULL AS row_missing,
               {diff_exprs}
        FROM a FULL OUTER JOIN b ON a.file_row_number = b.file_row_number"""
    )
    counts = con.execute(
        "SELECT " + ", ".join(f'count(*) FILTER (WHERE "{k}")' for k, _ in compared) + " FROM d"
    ).fetchone()
    per_column = {k: int(n) for (k, _), n in zip(compared, counts, strict=True) if n}
    key = columns[0][0]
    first = []
    for k, kind in compared:
        if k not in per_column:
            continue
        rows = con.execute(
            f"""SELECT d.rn, coalesce(a.{key}, b.{key})::VARCHAR,
                       {_norm(kind, f"a.{k}")}::VARCHAR, {_norm(kind, f"b.{k}")}::VARCHAR
                FROM d LEFT JOIN a ON a.file_row_number = d.rn LEFT JOIN b ON b.file_row_number = d.rn
                WHERE d."{k}" ORDER BY d.rn LIMIT 3"""
        ).fetchall()
        first += [{"row": r[0], key: r[1], "column": k, "sparkdesk": r[2], "duckdb": r[3]} for r in rows]
    first.sort(key=lambda r: r["row"])
    return {
        "rows_sparkdesk": n_a,
        "rows_duckdb": n_b,
        "columns_compared": len(compared),
        "columns_missing": missing,
        "diff_columns": per_column,
        "first_diffs": first[:12],
        "equal": n_a == n_b and not per_column and not missing,
    }


CHILDREN = {
    "generate": child_generate,
    "floor": child_floor,
    "import": child_import,
    "export": child_export,
    "write_csv": child_write_csv,
    "write_38": child_write_38,
    "duckdb": child_duckdb,
    "compare": child_compare,
}


CODE_PATH: Path | None = None  # a clean copy of sparkdesk/ to measure instead of the working tree
CACHE_DIR: Path = HERE / "data" / "cache"  # SPARKDESK_CACHE_DIR of every child (set per run)


def run_child(spec: dict) -> dict:
    """Run one step in a fresh interpreter; its result plus wall time and peak memory."""
    env = dict(os.environ)
    env["SPARKDESK_CACHE_DIR"] = str(CACHE_DIR)  # never the user's own cache folder
    if CODE_PATH is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_PATH), env.get("PYTHONPATH")]))
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    wall = time.perf_counter() - t
    sys.stderr.write(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        last = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ["no message"]
        return {"error": f"exited with {proc.returncode}: {last[0].strip()}", "wall_s": wall}
    result = json.loads(lines[-1][len(RESULT_TAG) :])
    result["wall_s"] = wall
    return result


# --------------------------------------------------------------------------------------
# The parent: steps, rounds, medians, the Markdown table.
# --------------------------------------------------------------------------------------


class Step:
    def __init__(self, name: str, spec: dict, *, save: str | None = None) -> None:
        self.name = name
        self.spec = spec
        self.save = save  # saved once (first run) for the peer comparison, after the timings
        self.samples: list[dict] = []
        self.errors: list[str] = []

    def run(self) -> dict:
        spec = dict(self.spec)
        if self.save and not self.samples:
            spec["save"] = self.save
        result = run_child(spec)
        if "error" in result:
            self.errors.append(result["error"])
        else:
            self.samples.append(result)
        return result

    def median(self, field: str = "seconds") -> float | None:
        values = [s[field] for s in self.samples if s.get(field) is not None]
        return statistics.median(values) if values else None

    def peak(self) -> float | None:
        values = [s.get("peak_gib", s.get("child_peak_gib")) for s in self.samples]
        values = [v for v in values if v is not None]
        return max(values) if values else None

    def first(self, field: str, default=None):
        return self.samples[0].get(field, default) if self.samples else default


def dump_cache_in_code() -> str | bool:
    """Does the SparkDesk measured cache imported dumps? Read from its source, not guessed from times."""
    import importlib.util

    spec = importlib.util.find_spec("sparkdesk")
    root = Path(spec.origin).parent if spec and spec.origin else REPO / "sparkdesk"
    hits = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "user_cache_dir" in text or "user_cache_path" in text:
            hits.append(str(path.relative_to(root.parent)))
    return ", ".join(hits) if hits else False


def clean_copy(commit: str) -> tuple[Path, str]:
    """sparkdesk/ as committed at ``commit``, unpacked once under benchmarks/data/src-<sha>."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short=12", commit], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = HERE / "data" / f"src-{sha}"
    if not (dest / "sparkdesk" / "__init__.py").exists():
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", sha, "sparkdesk"], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    return dest, sha


def machine_facts() -> dict:
    import numpy
    import pandas
    import pyarrow

    try:
        import duckdb

        duck = duckdb.__version__
    except ImportError:
        duck = "not installed"
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    dirty = git("status", "--porcelain", "--", "sparkdesk")
    return {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": int(mem) / 1024 / 1024,
        "os": platform.platform(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
        "duckdb": duck,
        "commit": git("rev-parse", "--short", "HEAD") + (" + local changes in sparkdesk/" if dirty else ""),
        "load_start": os.getloadavg(),
        "nice": os.nice(0),
    }


def fmt_s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def fmt_ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or not b else f"{a / b:.2f} ×"


def fmt_gib(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def fmt_rate(rows: int | None, seconds: float | None) -> str:
    return "–" if not rows or not seconds else f"{rows / seconds:,.0f}"


def render(args, facts: dict, steps: dict[str, Step], compares: dict[str, dict], done: bool) -> str:
    from sparkdesk.catalogue import EXPORT_IDS

    def st(name: str) -> Step | None:
        return steps.get(name)

    def med(name: str, field: str = "seconds") -> float | None:
        s = st(name)
        return s.median(field) if s else None

    def runs(name: str) -> str:
        s = st(name)
        return str(len(s.samples)) if s else "–"

    lines = []
    imp = st("import")
    rows = (imp.first("rows") or {}) if imp else {}
    floor_rows = (st("floor").first("rows") or {}) if st("floor") else {}
    n_conv = rows.get(
        "conversations", floor_rows.get("conversations", 0 if args.dump else args.conversations)
    )
    lines += [f"# Benchmarks: {n_conv:,} conversations", ""]
    if not done:
        lines += ["**Partial: the run was still in progress when this was written.**", ""]
    full = " (full size)" if n_conv >= 1_000_000 else " (not full size: ratios are indicative)"
    lines += [
        f"Run {facts['date']}{full}: `{facts.get('command') or ' '.join(['benchmarks/run.py', *sys.argv[1:]])}`",
        "",
        f"- Machine: {facts['cores']} cores ({facts['cpu']}), {facts['ram_gib']:.1f} GiB RAM, {facts['os']};"
        f" load average at start {facts['load_start'][0]:.2f} (shared machine)"
        + (f", run at nice {facts['nice']}" if facts.get("nice") else "")
        + (f", at end {facts['load_end'][0]:.2f}" if "load_end" in facts else ""),
        f"- Python {facts['python']}, pandas {facts['pandas']}, pyarrow {facts['pyarrow']},"
        f" numpy {facts['numpy']}, DuckDB {facts['duckdb']}; SparkDesk {facts['commit']}",
        f"- Dump: `{args.folder.relative_to(REPO) if args.folder.is_relative_to(REPO) else args.folder}`"
        + (f" (demo, seed {args.seed})" if not args.dump else "")
        + ":"
        f" {rows.get('conversations', 0):,} conversations, {rows.get('messages', 0):,} messages,"
        f" {rows.get('conversation_events', 0):,} events"
        + (
            f", {st('floor').first('bytes') / 1e9:.2f} GB of CSV"
            if st("floor") and st("floor").samples
            else ""
        ),
        f"- Exports: {args.first_day} .. {args.last_day} in {args.tz}"
        + (f", channels {', '.join(args.channel)}" if args.channel else ", every channel"),
        f"- Repetitions: {args.repeat_doc}. Times are medians in seconds; peak memory is the"
        " largest `ru_maxrss` of the step's own child process.",
        "",
        "## Import, writers",
        "",
        "| step | median (s) | runs | peak (GiB) | figure | ratio |",
        "|---|---:|---:|---:|---|---:|",
    ]
    floor = med("floor")
    imp_s = med("import")
    reopen = med("re-open")
    pooled = pooled_imports(steps)
    if st("floor"):
        lines.append(
            f"| pyarrow-only read of every CSV, all columns as strings (the floor) | {fmt_s(floor)} |"
            f" {runs('floor')} | {fmt_gib(st('floor').peak())} | | 1.00 × |"
        )
    floor_je = med("floor-jemalloc")
    if st("floor-jemalloc"):
        lines.append(
            f"| the same read with Arrow's jemalloc pool, the allocator SparkDesk's import uses (a stricter"
            f" floor: pyarrow's default pool loses seconds to page faults here) | {fmt_s(floor_je)} |"
            f" {runs('floor-jemalloc')} | {fmt_gib(st('floor-jemalloc').peak())} | |"
            f" {fmt_ratio(floor_je, floor)} of the floor |"
        )
    if imp:
        extra = ""
        if imp.samples:
            s = imp.samples[0]
            extra = f"{s['rejected']} rejected, {s['duplicates']} duplicates, {s['warnings']} warnings"
        strict = f"; {fmt_ratio(imp_s, floor_je)} of the jemalloc floor" if floor_je else ""
        lines.append(
            f"| SparkDesk import (`load_dumps`: read + validate + report) | {fmt_s(imp_s)} | {runs('import')}"
            f" | {fmt_gib(imp.peak())} | {extra} | {fmt_ratio(imp_s, floor)} of the floor{strict} |"
        )
    if len(pooled) > 1:
        pm = statistics.median(pooled)
        lines.append(
            f"| SparkDesk import, median of every import in this run (the import step and the export"
            f" children: {len(pooled)} runs) | {fmt_s(pm)} | {len(pooled)} | | min {min(pooled):.2f}, max"
            f" {max(pooled):.2f} | {fmt_ratio(pm, floor)} of the floor"
            + (f"; {fmt_ratio(pm, floor_je)} of the jemalloc floor" if floor_je else "")
            + " |"
        )
    first_open = med("first-open")
    if st("first-open"):
        lines.append(
            f"| first open with SparkDesk's dump cache on (an emptied cache folder: import + writing the"
            f" entry) | {fmt_s(first_open)} | {runs('first-open')} | {fmt_gib(st('first-open').peak())} | |"
            f" {fmt_ratio(first_open, imp_s)} of the import |"
        )
    if st("re-open"):
        label = "re-open: `load_dumps` of the same folder again, in a fresh process"
        if facts.get("dump_cache") is False:
            label += " (the SparkDesk measured has no dump cache: this is a second import)"
        elif facts.get("dump_cache"):
            label += " after the first open, cache on (answered from SparkDesk's dump cache)"
        lines.append(
            f"| {label} | {fmt_s(reopen)} | {runs('re-open')} | {fmt_gib(st('re-open').peak())} |"
            f" target ≤ 3 s | {fmt_ratio(reopen, imp_s)} of the import |"
        )
    w = st("write:csv")
    if w:
        r = w.first("rows")
        lines.append(
            f"| write the message export as CSV ({r or 0:,} rows × {w.first('columns', 0)} columns,"
            f" {(w.first('bytes') or 0) / 1e6:,.0f} MB) | {fmt_s(w.median())} | {runs('write:csv')} |"
            f" {fmt_gib(w.peak())} | {fmt_rate(r, w.median())} rows/s | |"
        )
    w = st("write:38")
    if w:
        r = w.first("csv_rows")
        lines.append(
            f"| write resolved-conversation as CSV ({r or 0:,} rows × {w.first('columns', 0)} columns)"
            f" | {fmt_s(w.median('csv_s'))} | {runs('write:38')} | | {fmt_rate(r, w.median('csv_s'))} rows/s"
            " (target ≥ 200,000) | |"
        )
        tiled = ", the export's rows repeated" if w.first("tiled") else ""
        lines.append(
            f"| write resolved-conversation as XLSX ({w.first('xlsx_rows', 0):,} rows × {w.first('columns', 0)}"
            f" columns{tiled}) | {fmt_s(w.median())} | {runs('write:38')} | {fmt_gib(w.peak())} |"
            f" {fmt_rate(w.first('xlsx_rows'), w.median())} rows/s (target ≥ 10,000) | |"
        )

    lines += [
        "",
        "## Exports",
        "",
        "Each export in a fresh process: import, then **cold** (first compute: every shared fact it"
        " needs is computed here), then **warm** (the same export again, shared facts cached). Peak"
        " = import + that one export. DuckDB: **load** = `read_csv(all_varchar)` + casts of the tables"
        " the query needs; **query** = the export's SQL into an Arrow table. Ratios are SparkDesk /"
        " DuckDB: *compute* = cold export / DuckDB query (the issue's target, ≤ 1.5 ×); *end to end* ="
        " (import + cold) / (load + query), both from the CSV files.",
        "",
        "| export | rows | import (s) | cold (s) | warm (s) | peak (GiB) | DuckDB load (s) | DuckDB query (s)"
        " | compute ratio | end-to-end ratio | DuckDB 1 thread query (s) | compute ratio, 1 thread | same table |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    peaks = []
    for type_id in EXPORT_IDS:
        s = st(f"export:{type_id}")
        if not s:
            continue
        if not s.samples:
            lines.append(
                f"| {type_id} | {'failed (see Errors)' if s.errors else 'not run yet'} |" + " |" * 11
            )
            continue
        cold, imp_e = s.median(), s.median("import_s")
        if s.peak() is not None:
            peaks.append((s.peak(), type_id))
        d = st(f"duckdb:{type_id}")
        d1 = st(f"duckdb1:{type_id}")
        dq, dl = (d.median("query_s"), d.median("load_s")) if d else (None, None)
        d1q = d1.median("query_s") if d1 else None
        e2e = fmt_ratio((imp_e or 0) + (cold or 0), (dl or 0) + (dq or 0)) if d and cold else "–"
        cmp = compares.get(type_id)
        same = "–" if not cmp else ("yes" if cmp.get("equal") else "**no** (see below)")
        lines.append(
            f"| {type_id} | {s.first('rows', 0):,} | {fmt_s(imp_e)} | {fmt_s(cold)} | {fmt_s(s.median('warm_s'))}"
            f" | {fmt_gib(s.peak())} | {fmt_s(dl)} | {fmt_s(dq)} | {fmt_ratio(cold, dq)} | {e2e}"
            f" | {fmt_s(d1q)} | {fmt_ratio(cold, d1q)} | {same} |"
        )
    if peaks:
        top = max(peaks)
        lines += [
            "",
            f"Peak memory of import + any one export: **{top[0]:.2f} GiB** ({top[1]}); target ≤ 8 GiB.",
        ]
    duck_threads = {st(f"duckdb:{t}").first("threads") for t in PEERS if st(f"duckdb:{t}")} - {None}
    if duck_threads:
        lines += [
            f"DuckDB ran with threads = {', '.join(map(str, sorted(duck_threads)))} (its default here)"
            " and with threads = 1; SparkDesk (pandas) mostly uses one core."
        ]

    lines += ["", "## Targets (issue 5, at full size)", ""]
    if n_conv < 1_000_000:
        lines += [f"Measured at {n_conv:,} conversations, not full size: indicative only.", ""]
    lines += ["| target | measured | met |", "|---|---|---|"]
    for target, measured, ok in targets(steps, floor, imp_s, reopen, pooled, med("floor-jemalloc")):
        lines.append(f"| {target} | {measured} | {'–' if ok is None else ('yes' if ok else '**no**')} |")

    if compares:
        lines += ["", "## SparkDesk versus DuckDB, cell by cell", ""]
        for type_id, cmp in compares.items():
            if "error" in cmp:
                lines.append(f"- `{type_id}`: comparison failed ({cmp['error']}).")
                continue
            head = (
                f"- `{type_id}`: {cmp['rows_sparkdesk']:,} rows (SparkDesk) vs {cmp['rows_duckdb']:,} (DuckDB),"
                f" {cmp['columns_compared']} columns compared"
            )
            if cmp["equal"]:
                lines.append(head + ": **identical** (same rows, same order, every cell).")
                continue
            lines.append(head + ": **different**.")
            if cmp["columns_missing"]:
                lines.append(f"  - columns the peer does not compute: {', '.join(cmp['columns_missing'])}")
            for col, n in cmp["diff_columns"].items():
                lines.append(f"  - `{col}`: {n:,} rows differ")
            if cmp["first_diffs"]:
                lines.append("  - first differences (row, id, column: SparkDesk | DuckDB):")
                for dif in cmp["first_diffs"]:
                    key = [k for k in dif if k not in ("row", "column", "sparkdesk", "duckdb")][0]
                    lines.append(
                        f"    - row {dif['row']}, {key} {dif[key]}, `{dif['column']}`:"
                        f" {dif['sparkdesk']} | {dif['duckdb']}"
                    )

    errors = [f"{name}: {e}" for name, s in steps.items() for e in s.errors]
    if errors:
        lines += ["", "## Errors", "", *[f"- {e}" for e in errors]]
    lines += [
        "",
        "## Notes",
        "",
        "- Every step is its own child process of `benchmarks/run.py`; the OS file cache is warm"
        " (the CSV files are read once before the first step). The DuckDB SQL is in"
        " `benchmarks/duckdb_peers/`: it follows exports.md and assumes a clean dump (the demo:"
        " the import row above shows SparkDesk's own count of rejected rows, duplicates and"
        " warnings).",
        "- Raw samples: `benchmarks/data/results-<dump>.json` (not committed); `run.py --render` rewrites"
        " this file from them.",
    ]
    if facts.get("dump_cache"):
        lines.append(
            "- Every child runs with `SPARKDESK_CACHE_DIR` set to a folder of the run (deleted at its end),"
            " never the user's own cache; the import, the exports and the writers load with `cache=False`."
        )
    load = facts.get("load_start", [0])[0]
    if load > (facts.get("cores") or 1):
        lines.append(
            f"- The machine was shared: a load average of {load:.1f} on {facts['cores']} cores at the start"
            + (f" and {facts['load_end'][0]:.1f} at the end" if "load_end" in facts else "")
            + ", so other work ran alongside and a single run can be off by 2 × (see the spread of the"
            " imports above). Read the ratios, which interleaved rounds keep fair, rather than the"
            " seconds; rerun on a quiet machine for absolute times."
        )
    return "\n".join(lines) + "\n"


def pooled_imports(steps: dict[str, Step]) -> list[float]:
    """Every timed load_dumps of the run: the import step's and each export child's."""
    out = [x["seconds"] for x in steps["import"].samples] if "import" in steps else []
    for name, step in steps.items():
        if name.startswith("export:"):
            out += [x["import_s"] for x in step.samples if "import_s" in x]
    return out


def targets(
    steps: dict[str, Step], floor, imp_s, reopen, pooled=(), floor_je=None
) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for each target of issue 5 that this run measured."""
    from sparkdesk.catalogue import EXPORT_IDS

    out: list[tuple[str, str, bool | None]] = []
    if floor and imp_s:
        measured = f"{imp_s / floor:.2f} × (import step)"
        ok = imp_s <= 1.5 * floor
        if len(pooled) > 1:
            pm = statistics.median(pooled)
            measured += f", {pm / floor:.2f} × (median of all {len(pooled)} imports)"
            ok = ok and pm <= 1.5 * floor
        out.append(("import ≤ 1.5 × the pyarrow-only read", measured, ok))
        if floor_je:  # not the wording, shown beside it so that nobody reads too much into it
            measured = f"{imp_s / floor_je:.2f} × (import step)"
            ok = imp_s <= 1.5 * floor_je
            if len(pooled) > 1:
                measured += f", {statistics.median(pooled) / floor_je:.2f} × (median of all imports)"
                ok = ok and statistics.median(pooled) <= 1.5 * floor_je
            out.append(("(stricter) import ≤ 1.5 × the same read with SparkDesk's allocator", measured, ok))
    if reopen is not None:
        out.append(("re-opening an imported dump ≤ 3 s", f"{reopen:.2f} s", reopen <= 3))
    for type_id in EXPORT_IDS:
        s, d = steps.get(f"export:{type_id}"), steps.get(f"duckdb:{type_id}")
        if s is None:
            continue
        cold = s.median()
        if cold is None:
            if s.errors:
                out.append((f"`{type_id}` computes", "failed: " + s.errors[0], False))
            continue
        dq = d.median("query_s") if d else None
        if dq:
            out.append((f"`{type_id}` ≤ 1.5 × its DuckDB peer", f"{cold / dq:.2f} ×", cold <= 1.5 * dq))
        else:
            out.append((f"`{type_id}` (no peer) under 30 s", f"{cold:.2f} s", cold < 30))
    w = steps.get("write:38")
    if w and w.samples:
        rate = w.first("csv_rows") / w.median("csv_s") if w.median("csv_s") else 0
        out.append(("CSV writing ≥ 200,000 rows/s at 38 columns", f"{rate:,.0f} rows/s", rate >= 200_000))
        rate = w.first("xlsx_rows") / w.median() if w.median() else 0
        out.append(("XLSX writing ≥ 10,000 rows/s at 38 columns", f"{rate:,.0f} rows/s", rate >= 10_000))
    w = steps.get("write:csv")
    if w and w.samples and w.median():
        rate = w.first("rows") / w.median()
        out.append(
            (
                f"(the message CSV, {w.first('columns')} columns, same bar)",
                f"{rate:,.0f} rows/s",
                rate >= 200_000,
            )
        )
    peaks = [s.peak() for n, s in steps.items() if n.startswith("export:") and s.peak() is not None]
    if peaks:
        out.append(("peak memory ≤ 8 GiB, import + any one export", f"{max(peaks):.2f} GiB", max(peaks) <= 8))
    return out


CORE_STEPS = ("floor", "floor-jemalloc", "import")  # run --core-rounds times


def build_steps(args) -> tuple[list[Step], dict[str, tuple[str, str]]]:
    from sparkdesk.catalogue import EXPORT_IDS

    base = {
        "folder": str(args.folder),
        "tz": args.tz,
        "first_day": args.first_day,
        "last_day": args.last_day,
        "channels": args.channel,
        "scratch": str(args.scratch),
    }
    wanted = set(args.steps.split(","))
    exports = args.exports.split(",") if args.exports else list(EXPORT_IDS)
    peers = [p for p in (args.peers.split(",") if args.peers else PEERS) if p]
    steps: list[Step] = []
    pairs: dict[str, tuple[str, str]] = {}
    if "floor" in wanted:
        steps.append(Step("floor", {**base, "kind": "floor"}))
        steps.append(Step("floor-jemalloc", {**base, "kind": "floor", "pool": "jemalloc"}))
    if "import" in wanted:
        steps.append(Step("import", {**base, "kind": "import"}))
    if "reopen" in wanted:
        if args.dump_cache:
            steps.append(Step("first-open", {**base, "kind": "import", "cache": "miss"}))
            steps.append(Step("re-open", {**base, "kind": "import", "cache": "hit"}))
        else:
            steps.append(Step("re-open", {**base, "kind": "import"}))
    for type_id in exports:
        compare = "duckdb" in wanted and type_id in peers
        sd_path = str(args.scratch / f"{type_id}.sparkdesk.parquet")
        if "exports" in wanted:
            steps.append(
                Step(
                    f"export:{type_id}",
                    {**base, "kind": "export", "type": type_id},
                    save=sd_path if compare else None,
                )
            )
        if compare:
            dk_path = str(args.scratch / f"{type_id}.duckdb.parquet")
            steps.append(Step(f"duckdb:{type_id}", {**base, "kind": "duckdb", "type": type_id}, save=dk_path))
            if args.duckdb_one_thread:
                steps.append(
                    Step(f"duckdb1:{type_id}", {**base, "kind": "duckdb", "type": type_id, "threads": 1})
                )
            pairs[type_id] = (sd_path, dk_path)
    if "write" in wanted:
        steps.append(Step("write:csv", {**base, "kind": "write_csv"}))
        steps.append(Step("write:38", {**base, "kind": "write_38"}))
    return steps, pairs


def rerender(raw_path: Path, out: Path) -> int:
    """The Markdown of an earlier run, from its raw JSON, with this version of render()."""
    import ast

    raw = json.loads(raw_path.read_text())
    a = raw["args"]

    def value(key, default=None):
        v = a.get(key, default)
        return ast.literal_eval(v) if key == "channel" and isinstance(v, str) else v

    ns = argparse.Namespace(
        conversations=int(value("conversations", 0)),
        seed=int(value("seed", 1)),
        folder=Path(value("folder")),
        dump=None if value("dump") in (None, "None") else value("dump"),
        tz=value("tz"),
        first_day=value("first_day"),
        last_day=value("last_day"),
        channel=value("channel", []),
        repeat_doc=value("repeat_doc"),
    )
    code = value("code", "worktree")
    if code != "worktree":
        src = sorted((HERE / "data").glob("src-*"), key=lambda p: p.stat().st_mtime)
        for path in reversed(src):
            if path.name[4:] in raw["facts"].get("commit", ""):
                sys.path.insert(0, str(path))
                break
    raw["facts"].setdefault(
        "command", f"benchmarks/run.py --conversations {ns.conversations} --code {code} (re-rendered)"
    )
    steps = {}
    for name, samples in raw["steps"].items():
        step = Step(name, {})
        step.samples = samples
        step.errors = raw.get("errors", {}).get(name, [])
        steps[name] = step
    raw["facts"].setdefault("dump_cache", dump_cache_in_code())
    done = "load_end" in raw["facts"]
    out.write_text(render(ns, raw["facts"], steps, raw.get("compares", {}), done), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--conversations", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--repeat",
        default="auto",
        help="runs per step: an integer, or 'auto' (default): 3 when a step's first run takes"
        " under --slow-seconds, else 1",
    )
    ap.add_argument("--slow-seconds", type=float, default=30.0)
    ap.add_argument(
        "--core-rounds",
        type=int,
        default=5,
        help="rounds of the floor and import steps (their ratio is the noisiest target)",
    )
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--tz", default="Europe/Madrid")
    ap.add_argument("--from", dest="first_day", default="2025-05-01", help="first day (the demo's first)")
    ap.add_argument("--to", dest="last_day", default="2025-06-30", help="last day (the demo's last)")
    ap.add_argument("--channel", action="append", default=[])
    ap.add_argument(
        "--steps",
        default="floor,import,reopen,exports,write,duckdb",
        help="comma list of floor, import, reopen, exports, write, duckdb",
    )
    ap.add_argument("--exports", default="", help="comma list of export ids (default: all twelve)")
    ap.add_argument("--peers", default="", help="comma list of exports with a DuckDB peer to run")
    ap.add_argument("--no-duckdb-one-thread", dest="duckdb_one_thread", action="store_false")
    ap.add_argument(
        "--code",
        default="worktree",
        help="the SparkDesk measured: 'worktree' (the files as they are, default) or a commit such as HEAD"
        " (a clean copy of its sparkdesk/, so edits made during a long run change nothing)",
    )
    ap.add_argument(
        "--dump", help="measure this dump folder instead of a demo dump (e.g. the conformance dump)"
    )
    ap.add_argument(
        "--keep-tables",
        action="store_true",
        help="keep both engines' tables (Parquet, under benchmarks/data/scratch-*) even when they agree",
    )
    ap.add_argument("--render", metavar="RAW_JSON", help="only rewrite --out from a run's raw samples")
    args = ap.parse_args(argv)

    if args.render:
        return rerender(Path(args.render), Path(args.out))
    if args.child:
        spec = json.loads(args.child)
        result = CHILDREN[spec["kind"]](spec)
        result.setdefault("child_peak_gib", _peak_gib())
        if "sparkdesk" in sys.modules:
            result["sparkdesk_from"] = str(Path(sys.modules["sparkdesk"].__file__).parent.parent)
        print(RESULT_TAG + json.dumps(result), flush=True)
        return 0

    global CODE_PATH, CACHE_DIR
    data = HERE / "data"
    code_label = None
    if args.code != "worktree":
        CODE_PATH, sha = clean_copy(args.code)
        sys.path.insert(0, str(CODE_PATH))  # the parent reads the catalogue of the same code
        code_label = f"{sha} (clean copy of the commit's sparkdesk/)"
    label = Path(args.dump).resolve().name if args.dump else f"demo-{args.conversations}-{args.seed}"
    args.folder = Path(args.dump).resolve() if args.dump else data / label
    args.scratch = data / f"scratch-{label}"
    args.scratch.mkdir(parents=True, exist_ok=True)
    args.label = label
    CACHE_DIR = data / f"cache-{label}"
    args.dump_cache = bool(dump_cache_in_code())
    if not args.dump and not (args.folder / "manifest.json").exists():
        print(f"generating {args.folder} ...", file=sys.stderr, flush=True)
        r = run_child(
            {
                "kind": "generate",
                "folder": str(args.folder),
                "conversations": args.conversations,
                "seed": args.seed,
            }
        )
        if "error" in r:
            print(r["error"], file=sys.stderr)
            return 1
        print(f"generated in {r['seconds']:.1f} s", file=sys.stderr)
    for path in sorted(args.folder.iterdir()):  # warm the OS file cache once, for every step alike
        with path.open("rb") as fh:
            while fh.read(1 << 24):
                pass

    fixed = None if args.repeat == "auto" else max(1, int(args.repeat))
    args.repeat_doc = (
        f"every step run {fixed} time(s)"
        if fixed
        else f"3 runs for a step whose first run (its whole child) took under {args.slow_seconds:.0f} s,"
        " else 1 (`--repeat auto`)"
    )
    if args.core_rounds > (fixed or 3):
        args.repeat_doc += f"; the floor and import steps {args.core_rounds} runs, side by side"
    facts = machine_facts()
    facts["dump_cache"] = dump_cache_in_code()
    facts["command"] = " ".join(["benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    if code_label:
        facts["commit"] = code_label
    steps, pairs = build_steps(args)
    by_name = {s.name: s for s in steps}
    compares: dict[str, dict] = {}
    out = Path(args.out)

    def write(done: bool = False) -> None:
        out.write_text(render(args, facts, by_name, compares, done), encoding="utf-8")
        raw = {
            "args": {
                k: v if isinstance(v, int | float | list | None) else str(v) for k, v in vars(args).items()
            },
            "facts": facts,
            "steps": {n: s.samples for n, s in by_name.items()},
            "errors": {n: s.errors for n, s in by_name.items() if s.errors},
            "compares": compares,
        }
        (data / f"results-{label}.json").write_text(json.dumps(raw, indent=1))

    rounds = fixed or 3
    for rnd in range(max(rounds, args.core_rounds)):
        for step in steps:
            if rnd >= rounds and step.name not in CORE_STEPS:
                continue
            if rnd > 0:
                if not step.samples:
                    continue
                if fixed is None and step.samples[0]["wall_s"] >= args.slow_seconds:
                    continue
            r = step.run()
            desc = r.get("error") or ", ".join(
                f"{k} {v:.2f}" for k, v in r.items() if k.endswith("_s") or k == "seconds"
            )
            print(f"[round {rnd + 1}] {step.name}: {desc}", file=sys.stderr, flush=True)
            write()
        if rnd == 0:
            for type_id, (sd_path, dk_path) in pairs.items():
                if not (Path(sd_path).exists() and Path(dk_path).exists()):
                    continue
                r = run_child({"kind": "compare", "type": type_id, "sparkdesk": sd_path, "duckdb": dk_path})
                compares[type_id] = r
                print(f"compare {type_id}: {'equal' if r.get('equal') else r}", file=sys.stderr, flush=True)
                write()
                if r.get("equal") and not args.keep_tables:  # gigabytes at full size
                    Path(sd_path).unlink()
                    Path(dk_path).unlink()
    facts["load_end"] = os.getloadavg()
    write(done=True)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)  # a full-size entry is gigabytes
    print(out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
