"""XLSX engines side by side: rows/s of ``write_xlsx`` per engine (not a test).

    .venv/bin/python benchmarks/xlsx_engines.py                  # 100,000 rows x 38, median of 3
    .venv/bin/python benchmarks/xlsx_engines.py --rows 20000 --repeat 1 --engines rustpy-xlsxwriter

Every engine writes the same synthetic ``resolved-conversation`` table (38 columns, the
catalogue's storage types) through SparkDesk's own ``write_xlsx``, so each figure includes
the cell rules (time zone conversion, text cleaning, typed arrays) as well as the
library. The table is built to look like real exports: ids with leading zeros, text
starting with ``=``, ``+``, ``-`` or ``@``, accents and emoji, timestamps, durations,
counts, scores and a good share of empty cells. Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.catalogue import export_type
from sparkdesk.writers import WriteOptions
from sparkdesk.writers import xlsx as xlsx_writer
from sparkdesk.writers.cells import join

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xlsxwriter_engine  # noqa: E402 - the XlsxWriter peer, next to this script

# the peer is measured too when XlsxWriter is installed (it is not one of SparkDesk's engines)
xlsx_writer.ENGINES.setdefault(
    xlsxwriter_engine.NAME, (xlsxwriter_engine.MODULE, xlsxwriter_engine.XlsxWriterEngine)
)

TYPE_ID = "resolved-conversation"


def _ids(rng: np.random.Generator, n: int, prefix: str, high: int, width: int) -> pa.Array:
    digits = pa.array(rng.integers(0, high, n)).cast(pa.large_string())
    return join(prefix, pc.utf8_lpad(digits, width, "0"))


def _pick(rng: np.random.Generator, n: int, choices: list[str | None], empty: float = 0.0) -> pd.Series:
    values = np.array(choices, dtype=object)[rng.integers(0, len(choices), n)]
    if empty:
        values[rng.random(n) < empty] = None
    return pd.Series(values, dtype="str")


def _text(arr: pa.Array, rng: np.random.Generator, empty: float = 0.0) -> pd.Series:
    series = pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype).astype("str"))
    if empty:
        series[rng.random(len(series)) < empty] = None
    return series


def _stamps(
    rng: np.random.Generator, n: int, base: np.ndarray | None = None, empty: float = 0.0
) -> pd.Series:
    start = np.datetime64("2025-01-01T00:00:00", "ms").astype(np.int64)
    ms = (
        (start + rng.integers(0, 365 * 86_400_000, n))
        if base is None
        else base + rng.integers(0, 86_400_000, n)
    )
    series = pd.Series(pd.to_datetime(ms, unit="ms", utc=True)).astype("datetime64[ms, UTC]")
    if empty:
        series[rng.random(n) < empty] = pd.NaT
    return series


def _ints(rng: np.random.Generator, n: int, low: int, high: int, empty: float = 0.0) -> pd.Series:
    series = pd.Series(rng.integers(low, high, n), dtype="Int64")
    if empty:
        series[rng.random(n) < empty] = pd.NA
    return series


def resolved_table(rows: int, seed: int = 1) -> pd.DataFrame:
    """A realistic ``resolved-conversation`` table of ``rows`` rows, in catalogue order."""
    rng = np.random.default_rng(seed)
    n = rows
    conv = _ids(rng, n, "pc-", 10_000_000, 7)
    created = _stamps(rng, n)
    created_ms = created.astype("int64").to_numpy() // 1_000_000
    agents = ["p-007", "p-laura", "p-marco", "p-0042", "p-ana"]
    names = ["Laura Pérez", "Marco Rossi", "Ana Núñez", "=cmd|' /C calc'!A0", "Zoë Ødegaard"]
    comments = [
        "=SUM(A1:A9) was in the customer's message",
        "+34 600 123 456 called back",
        "-- resolved by macro --",
        "@team please check",
        "Gracias por esperar 😊, todo resuelto.",
        "Customer asked for a refund; sent link https://example.com/r/123",
        "línea 1\nlínea 2",
    ]
    columns = {
        "conversation_id": _text(conv, rng),
        "medium": _pick(rng, n, ["TWITTER", "WHATSAPP", "WEB_MESSENGER", "FACEBOOK", "EMAIL"]),
        "channel_name": _pick(rng, n, ["X Demo", "WA España", "Web Demo", "Soporte Atención"]),
        "channel_display_name": _pick(rng, n, ["WhatsApp, ES", "Demo web", "Atención 24h"], empty=0.3),
        "contact_id": _text(_ids(rng, n, "pk-", 1_000_000, 6), rng),
        "contact_primary_identifier": _pick(
            rng, n, ["+34 600 000 001", "@handle", "ana@example.com", "0034600"]
        ),
        "contact_secondary_identifier": _pick(rng, n, ["-", "VIP", "=1+1", "José"], empty=0.7),
        "created_at": created,
        "last_change_user_id": _pick(rng, n, agents, empty=0.1),
        "last_change_user_name": _pick(rng, n, names, empty=0.1),
        "last_change_user_reference": _pick(rng, n, ["LP-1", "+34 600", "007", None]),
        "last_change_team_id": _pick(rng, n, ["t-01", "t-02", "t-003"], empty=0.2),
        "last_change_team_name": _pick(rng, n, ["Soporte", "Ventas", "Équipe FR"], empty=0.2),
        "current_status": _pick(rng, n, ["RESOLVED"]),
        "resolved_by": _pick(rng, n, ["USER", "SYSTEM", "VIRTUAL_AGENT"]),
        "resolve_reason": _pick(rng, n, ["Answered", "No reply", "Spam", "Duplicado"], empty=0.2),
        "resolve_comment": _pick(rng, n, comments, empty=0.5),
        "triggered_by": _pick(rng, n, ["USER", "RULE", "TIMEOUT"]),
        "resolved_at": _stamps(rng, n, base=created_ms),
        "resolved_user_id": _pick(rng, n, agents, empty=0.1),
        "resolved_user_name": _pick(rng, n, names, empty=0.1),
        "resolved_user_reference": _pick(rng, n, ["LP-1", "-x", "MR-2"], empty=0.3),
        "inbound_messages": _ints(rng, n, 0, 40),
        "outbound_messages": _ints(rng, n, 0, 40),
        "first_response_time": _ints(rng, n, 0, 7_200_000, empty=0.15),
        "handle_time": _ints(rng, n, 0, 3_600_000, empty=0.1),
        "no_reply_time": _ints(rng, n, 0, 600_000, empty=0.1),
        "cherry_picking_time": _ints(rng, n, 0, 60_000, empty=0.5),
        "resolution_time": _ints(rng, n, 0, 86_400_000),
        "topic_ids": _pick(rng, n, ["tp-01", "tp-01;tp-07", "tp-0003"], empty=0.4),
        "topic_names": _pick(rng, n, ["Billing", "Billing;Envíos", "Refunds"], empty=0.4),
        "conversation_url": _text(join("https://inbox.example.com/conversations/", conv), rng),
        "last_updated": _stamps(rng, n, base=created_ms, empty=0.05),
        "language": _pick(rng, n, ["es", "en", "pt", "fr"], empty=0.1),
        "csat_score": _ints(rng, n, 1, 6, empty=0.8),
        "csat_status": _pick(rng, n, ["ANSWERED", "SENT", "EXPIRED"], empty=0.6),
        "csat_question": _pick(rng, n, ["¿Qué tal te atendimos?", "How did we do?"], empty=0.6),
        "csat_answer": _pick(rng, n, ["5", '=HYPERLINK("x")', "Muy bien 👍", "-1"], empty=0.8),
    }
    keys = export_type(TYPE_ID).keys
    assert list(columns) == keys, set(columns) ^ set(keys)
    return pd.DataFrame(columns)


def measure(engine: str, table: pd.DataFrame, folder: Path, options: WriteOptions) -> float:
    """Seconds for one ``write_xlsx`` of ``table`` with ``engine``."""
    path = folder / f"{engine}.xlsx"
    factory = xlsx_writer.engine_named(engine)
    start = time.perf_counter()
    xlsx_writer.write_xlsx([("Resolved", table, TYPE_ID)], path, options, engine_factory=factory)
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", nargs="*", default=None, help="default: every installed engine")
    ap.add_argument("--tz", default="Europe/Madrid")
    args = ap.parse_args(argv)

    engines = args.engines or xlsx_writer.available_engines()
    table = resolved_table(args.rows)
    options = WriteOptions(tz=args.tz)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="xlsx-engines-") as tmp:
        # Interleaved rounds, so a noisy moment of the machine hits every engine alike.
        for round_ in range(args.repeat):
            for engine in engines:
                seconds = measure(engine, table, Path(tmp), options)
                results.setdefault(engine, []).append(seconds)
                print(f"round {round_ + 1}: {engine} {seconds:.2f} s", file=sys.stderr)
    base = statistics.median(results["openpyxl"]) if "openpyxl" in results else None
    print(
        f"XLSX writing, {args.rows:,} rows x {len(table.columns)} columns ({TYPE_ID}), "
        f"median of {args.repeat}, default engine: {xlsx_writer.default_engine_name()}\n"
    )
    print("| engine | seconds | rows/s | vs openpyxl |")
    print("|---|---:|---:|---:|")
    for engine, times in sorted(results.items(), key=lambda kv: statistics.median(kv[1])):
        median = statistics.median(times)
        ratio = f"{base / median:.1f} x" if base else ""
        print(f"| {engine} | {median:.2f} | {args.rows / median:,.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
