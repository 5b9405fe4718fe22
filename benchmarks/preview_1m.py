"""How long the preview takes to show, scroll, sort and filter a 1,000,000-row export.

Not a test: run it by hand and read the numbers.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/preview_1m.py [--rows N] [--type message]

The table is synthetic but typed exactly like a computed export (the catalogue's kinds:
ids and text as pandas strings, timestamps as datetime64[ms, UTC], durations and counts as
Int64 ...), and it goes through the same path as a real result: ``MainWindow._computed``
sets the lazy model, fits the columns from the first rows and the view paints. "Show" is
from handing the result to the window until the first paint of the grid has finished.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

import numpy as np
import pandas as pd


def synthetic_export(type_id: str, rows: int, seed: int = 1) -> pd.DataFrame:
    from sparkdesk.catalogue import export_type

    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-05-01T00:00:00", "ms").astype(np.int64)
    cols = {}
    for c in export_type(type_id).columns:
        if c.kind == "id":
            cols[c.key] = pd.array(np.char.add("id-", rng.integers(0, 10**9, rows).astype(str)), dtype="str")
        elif c.kind in ("text", "enum"):
            words = np.array(
                ["WhatsApp", "Acme Soporte", "INBOUND", "OUTBOUND", "Hola, ¿en qué puedo ayudar?", ""]
            )
            vals = words[rng.integers(0, len(words), rows)]
            cols[c.key] = pd.array(np.where(vals == "", None, vals), dtype="str")
        elif c.kind == "timestamp":
            ms = start + rng.integers(0, 60 * 86_400_000, rows)
            cols[c.key] = pd.to_datetime(ms, unit="ms", utc=True).as_unit("ms")
        elif c.kind == "duration":
            cols[c.key] = pd.array(rng.integers(0, 10**7, rows), dtype="Int64")
        elif c.kind in ("count", "score"):
            cols[c.key] = pd.array(rng.integers(0, 100, rows), dtype="Int64")
        elif c.kind == "percent":
            cols[c.key] = pd.array(np.round(rng.random(rows) * 100, 2), dtype="Float64")
        elif c.kind == "bool":
            cols[c.key] = pd.array(rng.random(rows) < 0.5, dtype="boolean")
    return pd.DataFrame(cols)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--type", default="message")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from sparkdesk.exports import ExportParams
    from sparkdesk.gui import jobs
    from sparkdesk.gui import settings as settings_mod
    from sparkdesk.gui.window import MainWindow

    t = time.perf_counter()
    frame = synthetic_export(args.type, args.rows)
    print(f"built a {len(frame):,} x {frame.shape[1]} table in {time.perf_counter() - t:.2f} s (not counted)")

    w = MainWindow(settings_mod.Settings(tz="Europe/Madrid"))
    w.resize(1280, 720)
    w.show()
    app.processEvents()
    params = ExportParams(args.type, "Europe/Madrid", dt.date(2025, 5, 1), dt.date(2025, 6, 30))
    view = w.preview.view

    def paint() -> None:
        view.viewport().repaint()
        app.processEvents()

    t = time.perf_counter()
    w._computed(jobs.Computed(frame, params, 0.0))
    paint()
    show = time.perf_counter() - t
    print(f"show:   {show * 1000:8.1f} ms  (result handed over -> first grid paint finished)")

    m = w.preview.model
    timings = []
    for row in np.linspace(0, m.rowCount() - 1, 25).astype(int):
        t = time.perf_counter()
        view.scrollTo(m.index(int(row), 0))
        paint()
        timings.append(time.perf_counter() - t)
    print(
        f"scroll: {np.median(timings) * 1000:8.1f} ms median, {max(timings) * 1000:.1f} ms worst (jump + repaint, 25 jumps)"
    )

    for label, fn, sig in (
        ("sort", lambda: w.sort_preview(1, True), None),
        ("filter", lambda: w.filter_preview("whatsapp"), None),
    ):
        del sig
        done = []
        w.idle.connect(lambda d=done: d.append(1))
        t = time.perf_counter()
        fn()
        while not done and time.perf_counter() - t < 120:
            app.processEvents()
            time.sleep(0.001)
        t_done = time.perf_counter()
        paint()
        print(
            f"  ({label}: result in {(t_done - t) * 1000:.1f} ms, paint {(time.perf_counter() - t_done) * 1000:.1f} ms)"
        )
        print(
            f"{label + ':':7} {(time.perf_counter() - t) * 1000:8.1f} ms  (on the thread pool; "
            f"{m.rowCount():,} rows shown)"
        )
        w.idle.disconnect()
    w.runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
