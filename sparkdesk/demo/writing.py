"""Writing: the manifest, the small tables and the fact tables in chunks, into a folder or a
reproducible zip, each file whole or absent."""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.demo import chunked
from sparkdesk.demo.cells import LS, join_cells
from sparkdesk.demo.generation import FACT_TABLES, Data, generate
from sparkdesk.demo.organisation import ORGANIZATION, SNAPSHOT, URL_TEMPLATE
from sparkdesk.demo.tables import BigTable, big_tables, small_tables
from sparkdesk.files import atomic_output
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress

DEMO_ZIP_NAME = "sparkdesk-demo.zip"
CHUNK_ROWS = 500_000  # rows formatted and written at a time


def _write_big(out: IO[bytes], table: BigTable, progress: Progress) -> None:
    out.write((",".join(table.header) + "\n").encode())
    for lo, cols in table.batches(CHUNK_ROWS):
        progress.step(lo / max(table.rows, 1), f"Writing {table.name}")
        cols[-1] = join_cells([cols[-1], "\n"])
        joined = pc.binary_join_element_wise(*cols, pa.scalar(",", LS))
        _write_array_bytes(out, joined)


def _write_array_bytes(out: IO[bytes], arr: pa.Array) -> None:
    """Write the concatenated bytes of a string array (its data buffer, between its offsets)."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    out.write(memoryview(bufs[2])[int(offsets[0]) : int(offsets[-1])])


def _write_small(out: IO[bytes], header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    out.write(buf.getvalue().encode())


# What the demo does on purpose, in its manifest (the reader ignores keys it does not know):
# the warnings `sparkdesk inspect` may print for it, in inspect's words, and why; then the
# oddities that are no warning but may look like mistakes. A README next to the tables would
# be listed as an ignored file in every import report.
INSPECT_WARNINGS_ON_PURPOSE = {
    "LOCKED session still open at the snapshot (closed there)": (
        "agents still held these conversations when the dump was taken, and the exports close"
        " the sessions there. A few per 100,000 conversations (the bundled 500 have none): an"
        " agent's next lock, a steal or a status change ends most sessions within minutes"
    ),
}
ODDITIES_ON_PURPOSE = (
    "Conversations still NEW or PENDING, locks held and surveys unanswered at the snapshot:"
    " the dump is taken while the inbox is at work",
    "Conversations that an agent opens with a template before the contact writes, and about"
    " 1 in 100 that no agent ever picks up",
    "About 1 event in 97 without event_id and 3 surveys in 100 without survey_id: both are optional",
    "Text that needs CSV quoting (commas, quotes, line breaks), emoji, and cells that start"
    " with =, +, - or @: for the quoting and the formula guard",
    "Two overlapping Friday business-hours rows on ch-web (they merge); holidays on three channels",
    "Reference rows with gaps: a channel without display name, agents without email or"
    " reference, a team without created_at, an attribute without type, contacts without name,"
    " updated_at or (some web visitors) primary identifier; an inactive topic and tag",
    "A few agents forget to log off: their next presence event is AVAILABLE the next morning",
)


def _manifest(conversations: int, seed: int) -> bytes:
    doc = {
        "format": "sparkdesk-dump",
        "version": 1,
        "organization": ORGANIZATION,
        "snapshot_at": SNAPSHOT,
        "conversation_url_template": URL_TEMPLATE,
        "demo": {
            "conversations": conversations,
            "seed": seed,
            "inspect_warnings_on_purpose": INSPECT_WARNINGS_ON_PURPOSE,
            "oddities_on_purpose": list(ODDITIES_ON_PURPOSE),
        },
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


class _FolderSink:
    """Writes each file next to its final name, then renames it into place (``atomic_output``)."""

    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        return atomic_output(self.folder / name)


class _ZipSink:
    """Streams each file into a zip entry with a fixed date, so archives are reproducible."""

    DATE = (2025, 6, 30, 20, 0, 0)

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        info = zipfile.ZipInfo(name, date_time=self.DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self.zf.open(info, "w", force_zip64=True) as fh:
            yield fh


def _write_all(sink: _FolderSink | _ZipSink, data: Data, manifest: bytes, progress: Progress) -> None:
    with sink.open("manifest.json") as fh:
        fh.write(manifest)
    for name, (header, rows) in small_tables(data.world).items():
        with sink.open(f"{name}.csv") as fh:
            _write_small(fh, header, rows)
    tables = big_tables(data)
    total = sum(t.rows for t in tables) or 1
    done = 0
    for table in tables:
        with sink.open(f"{table.name}.csv") as fh:
            _write_big(fh, table, progress.sub(done / total, (done + table.rows) / total))
        if table.name in FACT_TABLES:
            data.facts.release(table.name)
        done += table.rows


def write_demo(
    out_dir: str | os.PathLike[str],
    conversations: int = 500,
    seed: int = 1,
    *,
    as_zip: bool = False,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> pathlib.Path:
    """Write a synthetic dump and return its path.

    Without ``as_zip``, ``out_dir`` is the dump folder (created if needed; the manifest and
    the 17 table files are overwritten, nothing else is touched but a hidden scratch folder
    for dumps above ``chunked.IN_MEMORY_UP_TO`` conversations, removed at the end). With ``as_zip``, a path
    ending in ``.zip`` is the archive to write, anything else is a folder that receives
    ``sparkdesk-demo.zip``; the archive is written to a temporary name and renamed at the
    end, so it is whole or absent. The same ``conversations`` and ``seed`` always give the
    same bytes. ``progress``/``cancel`` work as in ``sparkdesk.tasks`` (raises
    ``Cancelled``).
    """
    if conversations < 1:
        raise ValueError("conversations must be at least 1")
    prog = as_progress(progress, cancel)
    conversations, seed = int(conversations), int(seed)
    manifest = _manifest(conversations, seed)
    target = pathlib.Path(out_dir)
    if as_zip and target.suffix.lower() != ".zip":
        target.mkdir(parents=True, exist_ok=True)
        target = target / DEMO_ZIP_NAME
    with _scratch(conversations, target if not as_zip else target.parent) as scratch:
        if scratch is None:
            data = generate(conversations, seed, prog.sub(0.0, 0.45))
        else:
            data = chunked.generate_chunked(conversations, seed, scratch, prog.sub(0.0, 0.45))
        if not as_zip:
            _write_all(_FolderSink(target), data, manifest, prog.sub(0.45, 1.0))
        else:
            with (
                atomic_output(target) as out,
                zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf,
            ):
                _write_all(_ZipSink(zf), data, manifest, prog.sub(0.45, 1.0))
    prog.step(1.0, "Done", force=True)
    return target


@contextmanager
def _scratch(conversations: int, near: pathlib.Path) -> Iterator[pathlib.Path | None]:
    """A scratch folder for the chunked generation (None when the dump is made in memory).

    It is a hidden folder inside ``near`` (the dump folder, or the zip's folder), on the
    disk that receives the dump, and it is removed at the end, also on error or cancel.
    """
    if conversations <= chunked.IN_MEMORY_UP_TO:
        yield None
        return
    near.mkdir(parents=True, exist_ok=True)
    folder = pathlib.Path(tempfile.mkdtemp(prefix=".sparkdesk-demo-chunks-", dir=near))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
