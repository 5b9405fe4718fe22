"""The fast XLSX engine, behind the ``xlsx_engine.XlsxEngine`` interface.

It takes the typed chunks that ``xlsx`` makes (one arrow array per column, the cell
rules already applied, see ``xlsx_engine``) and only lays them out; it is not imported
unless it is used.

``RustpyEngine``: rustpy-xlsxwriter, Python bindings of rust_xlsxwriter. Each sheet is
handed over as an arrow ``RecordBatchReader`` whose batches are our chunks, made only
when the Rust side pulls them: the cells are laid out from the arrow buffers with no
Python per cell or per row, in constant-memory mode (rows stream to a temporary file,
strings are inline, escaped as OOXML says by the library), and progress and cancel
still happen between chunks. A chunk that raises (``Cancelled``) surfaces from the
library as a ``RuntimeError``; the original exception is raised instead. Timestamps
arrive as Excel serials (float64: the library's own date conversion is wrong before
1970); a sheet holding a timestamp before 1900-03-01 (text in a date column, see
``xlsx``) goes to the library as Python rows instead, slower but rare.

The pure-Python XlsxWriter peer, measured against it, is ``benchmarks/xlsxwriter_engine.py``.

A note on what the files hold: rust_xlsxwriter writes every number with a decimal
point (``<v>10.0</v>``). XLSX has one number type (a double), so Excel and
``pandas.read_excel`` show 10, but openpyxl reads such a cell back as the float 10.0.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from .xlsx_engine import NUMBER_FORMATS, Chunk, Finishing, SheetLayout, arrow_type, python_values

# --- rustpy-xlsxwriter --------------------------------------------------------------------


class RustpyEngine:
    """rustpy-xlsxwriter: the Rust writer reads each sheet's chunks as an arrow stream.

    The library writes a whole workbook in one call and then spends about as long again
    compressing it, with the GIL released. That call runs on a worker thread, so the
    caller's thread can report progress and notice a cancel during the compression too.
    The worker writes to a scratch file of its own (handing the library a Python file
    object would make it copy the whole workbook into it with the GIL held, a second
    per million rows), which is then copied to ``out``. A cancelled worker is left to
    finish into its scratch file, which it then deletes.
    """

    name = "rustpy-xlsxwriter"
    rows_share = 0.45
    TICK = 0.1  # seconds between two finishing reports
    # The library holds the GIL while it lays out a batch: 1,000 rows x 38 columns take
    # about 20 ms, so a UI thread waiting for the GIL is never held up long.
    BATCH_ROWS = 1_000
    COPY_BYTES = 1 << 20

    def __init__(self) -> None:
        import rustpy_xlsxwriter

        self._lib = rustpy_xlsxwriter
        self._sheets: list[tuple[SheetLayout, Iterable[Chunk]]] = []

    def add_sheet(self, layout: SheetLayout, chunks: Iterable[Chunk]) -> None:
        self._sheets.append((layout, chunks))

    def save(self, out: BinaryIO, finishing: Finishing | None = None) -> None:
        scratch = _Scratch()
        try:
            pull = _Pull(len(self._sheets))
            book = self._book(os.fspath(scratch.path), pull)
            failed: list[BaseException] = []

            def run() -> None:
                try:
                    book.save()
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    failed.append(exc)
                finally:
                    scratch.release()

            worker = threading.Thread(target=run, name="xlsx-rustpy", daemon=True)
            started = time.monotonic()

            def finished_share() -> float:
                """The finishing takes about as long as the rows did: approach 1, never reach it."""
                if pull.rows_done_at is None:
                    return 0.0
                rows_took = max(pull.rows_done_at - started, 0.05)
                return 1.0 - math.exp(-(time.monotonic() - pull.rows_done_at) / rows_took)

            scratch.hold()  # for the worker, which lets go when the library returns
            try:
                worker.start()
            except BaseException:
                scratch.release()
                raise
            while worker.is_alive():
                worker.join(self.TICK)
                if finishing is not None and pull.rows_done_at is not None and worker.is_alive():
                    finishing(finished_share())
            if failed:
                if pull.failures:  # a chunk raised (Cancelled, ...): that, not the library's wrapper
                    raise pull.failures[0] from None
                raise failed[0]
            with open(scratch.path, "rb") as workbook:  # about a second per 200 MB: keep reporting
                while block := workbook.read(self.COPY_BYTES):
                    out.write(block)
                    if finishing is not None:
                        finishing(finished_share())
        finally:
            scratch.release()

    def _book(self, target: str, pull: _Pull) -> Any:
        lib = self._lib
        book = lib.FastExcel(target, output_format="xlsx").freeze(row=1)
        bold = lib.Format().set_bold()
        formats = {kind: lib.Format().set_num_format(code) for kind, code in NUMBER_FORMATS.items()}
        for layout, chunks in self._sheets:
            if layout.early_timestamps:
                # A column of serials and text cannot be one arrow type the library reads:
                # this (rare) sheet goes as Python rows, each cell typed by its value.
                source: Any = pull.records(layout.headers, chunks)
            else:
                fields = [
                    pa.field(h, arrow_type(k)) for h, k in zip(layout.headers, layout.kinds, strict=True)
                ]
                schema = pa.schema(fields)
                source = pa.RecordBatchReader.from_batches(
                    schema, pull.batches(schema, chunks, self.BATCH_ROWS)
                )
            book.sheet(
                layout.name,
                source,
                column_widths=list(layout.widths),
                column_formats=[formats.get(kind) for kind in layout.kinds],
                header_format=bold,
                autofilter=True,
            )
        return book

    def discard(self) -> None:
        """Nothing to delete: the library's temporary files go when its call ends."""
        self._sheets.clear()


class _Scratch:
    """A temporary file shared by the caller and the worker: the last to let go deletes it."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="sparkdesk-", suffix=".xlsx")
        os.close(fd)
        self.path = Path(name)
        self._holders = 1
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders:
                return
        self.path.unlink(missing_ok=True)


class _Pull:
    """The sheets' batch streams: what a chunk raised, and when the last row was pulled."""

    def __init__(self, sheets: int) -> None:
        self.failures: list[BaseException] = []
        self.rows_done_at: float | None = None if sheets else time.monotonic()
        self._left = sheets

    def batches(self, schema: pa.Schema, chunks: Iterable[Chunk], rows: int) -> Iterator[pa.RecordBatch]:
        """Each chunk as zero-copy slices of at most ``rows`` rows."""
        try:
            for chunk in chunks:
                batch = pa.RecordBatch.from_arrays(list(chunk), schema=schema)
                for offset in range(0, batch.num_rows, rows):
                    yield batch.slice(offset, rows)
        except BaseException as exc:
            self.failures.append(exc)
            raise
        self._sheet_done()

    def records(self, headers: list[str], chunks: Iterable[Chunk]) -> Iterator[dict[str, object]]:
        """Each chunk's rows as ``{header: value}`` (the catalogue's headers are unique per export)."""
        try:
            for chunk in chunks:
                for row in zip(*(python_values(cells) for cells in chunk), strict=True):
                    yield dict(zip(headers, row, strict=True))
        except BaseException as exc:
            self.failures.append(exc)
            raise
        self._sheet_done()

    def _sheet_done(self) -> None:
        self._left -= 1
        if self._left == 0:
            self.rows_done_at = time.monotonic()
