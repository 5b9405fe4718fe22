"""Re-opening a dump quickly: the result of ``load_dumps`` kept on disk, keyed by its inputs.

Reading and checking a full-size dump (ten million messages) takes half a minute; the
same validated tables, written as Arrow IPC files and memory-mapped back, open in about
a second. ``load_dumps(..., cache=True)`` (the default) asks ``open_entry`` for the
entry of its inputs, returns ``entry.load()`` when that succeeds, and otherwise reads the
dump and hands the result to ``entry.store()``.

Where: ``<cache>/dumps/<key>/``, ``<cache>`` being ``$SPARKDESK_CACHE_DIR`` when set,
else ``platformdirs.user_cache_dir("SparkDesk")``. An entry holds one Arrow IPC file
(uncompressed, so it can be memory-mapped: text columns stay on disk until used) per
table and per report frame, and ``manifest.json`` with everything else (snapshot,
organization, url template, sources, stats, ignored files, and every column's pandas
dtype, so that a re-open gives a ``Dump`` equal to the first load, dtypes included).

The key is a hash of:

- what reads the dump: ``CACHE_VERSION`` (bump it when the reading rules change), the
  SparkDesk, pandas, pyarrow and numpy versions, a digest of the source files of
  ``sparkdesk/dump/`` (when they are readable), and the report's row cap;
- ``max_unpacked_bytes``;
- every path given, in the order given (as given, since the report's file labels are
  spelled that way, and absolute): for a folder, every file in it (path inside the
  folder, size, ``mtime_ns`` and a hash of its first and last 64 KiB: the whole file
  when it is smaller); for a ``.zip``, its size, ``mtime_ns``, that sample hash, and
  every member's name, CRC-32 and sizes; for a loose file, its size, ``mtime_ns`` and
  sample hash. Adding, removing, touching or rewriting any file changes the key.

Never fatal: an entry that is missing a file, truncated, unreadable or of other dtypes
than its manifest says is deleted and the dump is read again; a cache that cannot be
written (read-only folder, full disk) only costs the re-open. An entry appears by
renaming a finished temporary folder, so a half-written entry is never seen; a refused
or cancelled load writes nothing. Pruning after each write keeps the ``MAX_ENTRIES``
most recently used entries and, among them, only as many (newest first) as fit in
``MAX_BYTES`` (the newest is always kept).

The window does not wait for a save: ``save_in_background`` runs it on a thread, and
``wait_for_saves`` / ``cancel_saves`` (at exit, or before ``clear``) wait for or stop it.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import sparkdesk
from sparkdesk.dump import model, store
from sparkdesk.dump.model import Dump, ImportReport, TableStats
from sparkdesk.tasks import Cancelled, CancelToken, Progress, as_progress

log = logging.getLogger(__name__)

CACHE_VERSION = 5  # bump when what load_dumps returns for the same files changes
ENV_VAR = "SPARKDESK_CACHE_DIR"
MAX_ENTRIES = 5  # most recently used entries kept
MAX_BYTES = 16 * 2**30  # total size kept (the newest entry is kept whatever its size)
FREE_SPACE_MARGIN = 2 * 2**30  # never fill the disk: skip writing when less would remain
SAMPLE_BYTES = 64 * 1024  # hashed at the start and at the end of every input file
BATCH_ROWS = 1 << 18  # largest record batch written: progress and cancel between batches, and the
# unit a selective read (store.Store.read) reads whole (55 MB of messages at most)
COMPRESSION: str | None = None  # None (memory-mapped, zero-copy text) or "lz4" / "zstd"
SAMPLE_ROWS = 64  # rows of each table converted when an entry is opened, to check its dtypes
STALE_TEMP_SECONDS = 3600  # temporary folders of crashed writes older than this are removed
MANIFEST = "manifest.json"
_TMP_PREFIX = ".tmp-"


class _Unusable(Exception):
    """This entry cannot be used (missing, partial, corrupt, other key)."""


# ---------------------------------------------------------------- where


def cache_root() -> Path:
    """``$SPARKDESK_CACHE_DIR/dumps``, else ``<user cache folder>/SparkDesk/dumps``."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        base = Path(env).expanduser()
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("SparkDesk", appauthor=False))
    return base / "dumps"


# ---------------------------------------------------------------- the key


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of the reader's source files: editing any reading rule invalidates entries.

    Empty when the sources cannot be read (a frozen build): ``CACHE_VERSION`` and the
    version then carry the change.
    """
    h = hashlib.blake2b(digest_size=16)
    try:
        for p in sorted(Path(__file__).parent.glob("*.py")):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    except OSError:
        return ""
    return h.hexdigest()


def reader_identity() -> dict:
    """Everything besides the input files that decides what ``load_dumps`` returns."""
    return {
        "cache_version": CACHE_VERSION,
        "sparkdesk": sparkdesk.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "numpy": np.__version__,
        "code": _code_digest(),
        "warn_rows_listed": model.WARN_ROWS_LISTED,
    }


def _sample_hash(path: str, size: int) -> str:
    """Hash of the first and last ``SAMPLE_BYTES`` (the whole file when it is smaller)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        if size <= 2 * SAMPLE_BYTES:
            h.update(fh.read())
        else:
            h.update(fh.read(SAMPLE_BYTES))
            fh.seek(size - SAMPLE_BYTES)
            h.update(fh.read(SAMPLE_BYTES))
    return h.hexdigest()


def _file_facts(path: str) -> list:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, _sample_hash(path, st.st_size)]


def _folder_facts(root: Path) -> list:
    """Every file under ``root``, as ``containers.folder_source`` walks it."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            out.append([Path(full).relative_to(root).as_posix(), *_file_facts(full)])
    out.sort(key=lambda r: r[0])
    return out


def _zip_facts(path: Path) -> list:
    with zipfile.ZipFile(path) as zf:
        members = [[i.filename, i.CRC, i.file_size, i.compress_size] for i in zf.infolist()]
    return [*_file_facts(str(path)), members]


def input_facts(paths: Sequence[str | os.PathLike]) -> list:
    """Per path given, in order: how it was spelled, where it is, and what it holds."""
    out = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            kind, facts = "folder", _folder_facts(p)
        elif p.suffix.lower() == ".zip":
            kind, facts = "zip", _zip_facts(p)
        elif p.is_file():
            kind, facts = "file", _file_facts(str(p))
        else:
            raise FileNotFoundError(str(p))
        out.append({"given": str(p), "absolute": os.path.abspath(p), "kind": kind, "facts": facts})
    return out


def cache_key(paths: Sequence[str | os.PathLike], max_unpacked_bytes: int) -> tuple[str, dict]:
    """(key, the document it hashes). Raises OSError or BadZipFile when an input cannot be looked at."""
    doc = {
        "reader": reader_identity(),
        "max_unpacked_bytes": int(max_unpacked_bytes),
        "inputs": input_facts(paths),
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32], doc


# ---------------------------------------------------------------- frames <-> Arrow IPC


def _frame_to_arrow(df: pd.DataFrame) -> tuple[pa.Table, dict]:
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1):
        raise _Unusable("only frames with a default RangeIndex are cached")
    if not all(isinstance(c, str) for c in df.columns) or df.columns.has_duplicates:
        raise _Unusable("only frames with distinct text column names are cached")
    tbl = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    meta = {"columns": list(df.columns), "dtypes": [str(t) for t in df.dtypes], "rows": len(df)}
    return tbl, meta


def report_frames(dump: Dump) -> dict[str, tuple[pa.Table, dict]]:
    """The entry's frames besides the tables: the import report and the channels."""
    return {
        "_rejected": _frame_to_arrow(dump.report.rejected),
        "_warnings": _frame_to_arrow(dump.report.warnings),
        "_channels": _frame_to_arrow(dump.channels()),
    }


def write_options() -> pa.ipc.IpcWriteOptions:
    """How an entry's Arrow files are written (``COMPRESSION``)."""
    return pa.ipc.IpcWriteOptions(compression=COMPRESSION)


def _write_arrow(tbl: pa.Table, path: Path, prog: Progress, lo: float, hi: float, text: str) -> dict:
    """Write ``tbl`` as an entry's file; its manifest facts (``file_facts``)."""
    options = write_options()
    batches = tbl.to_batches(max_chunksize=BATCH_ROWS)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, tbl.schema, options=options) as w:
        for i, batch in enumerate(batches):
            prog.step(lo + (hi - lo) * i / max(len(batches), 1), text)
            w.write_batch(batch)
    return file_facts(path, [b.num_rows for b in batches])


def file_facts(path: Path, batch_rows: Sequence[int]) -> dict:
    """What the manifest says of an entry's file besides its columns and dtypes: its bytes
    and the rows of each record batch. Opening an entry checks them without reading the
    batches, which a compressed file would have to decompress."""
    return {"bytes": path.stat().st_size, "batches": [int(n) for n in batch_rows]}


def _int64_as_nullable(t: pa.DataType) -> object:
    return pd.Int64Dtype() if t == pa.int64() else None


def _read_frame(path: Path, meta: dict) -> pd.DataFrame:
    """Memory-map one IPC file back into the frame it was written from, dtypes checked."""
    if path.stat().st_size != meta["bytes"]:
        raise _Unusable(f"{path.name} has {path.stat().st_size} bytes, not {meta['bytes']}")
    tbl = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    tbl.validate()
    if tbl.num_rows != meta["rows"]:
        raise _Unusable(f"{path.name} does not hold the rows of its manifest")
    return _to_frame(tbl, meta, path.name)


def _check_file(path: Path, meta: dict) -> np.ndarray:
    """The file's size, columns, batches and dtypes are its manifest's: its footer and first
    batch are read, not the rest. The rows of each record batch (``store.Store`` reads a
    table batch by batch)."""
    if path.stat().st_size != meta["bytes"]:
        raise _Unusable(f"{path.name} has {path.stat().st_size} bytes, not {meta['bytes']}")
    batch_rows = np.array(meta["batches"], np.int64)
    with pa.memory_map(str(path), "r") as source:
        reader = pa.ipc.open_file(source)
        if (
            reader.schema.names != meta["columns"]
            or reader.num_record_batches != len(batch_rows)
            or batch_rows.sum() != meta["rows"]
        ):
            raise _Unusable(f"{path.name} does not hold the columns or rows of its manifest")
        if len(batch_rows):
            first = reader.get_batch(0)
            if first.num_rows != batch_rows[0]:
                raise _Unusable(f"{path.name} does not hold the batches of its manifest")
            sample = pa.Table.from_batches([first.slice(0, SAMPLE_ROWS)], schema=reader.schema)
        else:
            sample = reader.schema.empty_table()
        _to_frame(sample, meta, path.name)  # its first rows give back the manifest's dtypes
        return batch_rows


def _to_frame(tbl: pa.Table, meta: dict, label: str) -> pd.DataFrame:
    """The frame an Arrow table of a cached table stands for: the manifest's columns and dtypes."""
    columns, dtypes = meta["columns"], meta["dtypes"]
    if tbl.column_names != columns:
        raise _Unusable(f"{label} does not hold the columns of its manifest")
    plain = [c for c, d in zip(columns, dtypes, strict=True) if d == "int64"]  # e.g. _seq
    df = tbl.drop_columns(plain).to_pandas(types_mapper=_int64_as_nullable)
    for c in plain:
        df.insert(columns.index(c), c, tbl[c].to_numpy().astype(np.int64, copy=False))
    for c, d in zip(columns, dtypes, strict=True):
        if str(df[c].dtype) != d:
            df[c] = df[c].astype(d)
    if list(df.columns) != columns or [str(t) for t in df.dtypes] != dtypes:
        raise _Unusable(f"{label} does not give back the dtypes of its manifest")
    return df


class LazyTables(Mapping[str, pd.DataFrame]):
    """A cached dump's tables, each read from its file when first asked for.

    Opening a cached dump so costs nothing for the tables a question does not read: an
    export over a few days reads the rows it needs through ``store.Store`` instead.
    """

    def __init__(self, names: list[str], read: Callable[[str], pd.DataFrame]) -> None:
        self._names = list(names)
        self._read = read
        self._open: dict[str, pd.DataFrame] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> pd.DataFrame:
        with self._lock:
            if name not in self._open:
                if name not in self._names:
                    raise KeyError(name)
                self._open[name] = self._read(name)
            return self._open[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def opened(self) -> list[str]:
        """The tables read so far."""
        with self._lock:
            return list(self._open)


# ---------------------------------------------------------------- the manifest's plain values


def _snapshot_to_json(ts: pd.Timestamp) -> dict:
    """The value in the Timestamp's own unit: nanoseconds overflow after the year 2262."""
    return {"value": int(ts.asm8.view("i8")), "unit": ts.unit, "tz": None if ts.tz is None else str(ts.tz)}


def _snapshot_from_json(d: dict) -> pd.Timestamp:
    return pd.Timestamp(d["value"], unit=d["unit"], tz=d["tz"]).as_unit(d["unit"])


# ---------------------------------------------------------------- one entry


class CacheEntry:
    """The cache entry of one set of inputs: ``load`` it, or ``store`` a fresh load in it."""

    def __init__(self, root: Path, key: str, doc: dict, paths: list, max_unpacked_bytes: int) -> None:
        self.root = root
        self.key = key
        self.doc = doc
        self.folder = root / key
        self._paths = paths
        self._max = max_unpacked_bytes

    # ----- reading

    def load(self, prog: Progress) -> Dump | None:
        """The cached Dump, or None (nothing there, or a broken entry, now removed)."""
        manifest = self.folder / MANIFEST
        if not manifest.is_file():
            return None
        try:
            dump = self._load(manifest, prog)
        except Cancelled:
            raise
        except Exception as err:  # noqa: BLE001 - a broken entry is never fatal
            log.warning("dump cache: entry %s is unusable (%s); reading the dump again", self.key, err)
            _remove(self.folder)
            return None
        try:
            os.utime(manifest)  # most recently used, for pruning
        except OSError:
            pass
        prog.step(1.0, "Done", force=True)
        return dump

    def _load(self, manifest: Path, prog: Progress) -> Dump:
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if m.get("cache_version") != CACHE_VERSION or m.get("key") != self.key:
            raise _Unusable("the manifest is of another version or key")
        names = m["tables"]
        # a missing, truncated or foreign file is found now, not at first use
        batches = {name: _check_file(self.folder / f"{name}.arrow", m["frames"][name]) for name in names}
        prog.step(0.5, "Opening the import report")

        def read(name: str) -> pd.DataFrame:
            try:
                return _read_frame(self.folder / f"{name}.arrow", m["frames"][name])
            except OSError as err:
                raise store.gone(self.folder, err) from err

        tables = LazyTables(names, read)

        def frame_of(name: str, tbl: pa.Table) -> pd.DataFrame:
            return _to_frame(tbl, m["frames"][name], name)

        index = store.Store(
            self.folder,
            {n: m["frames"][n]["rows"] for n in names},
            {n: m["frames"][n]["bytes"] for n in names},
            frame_of,
            batches,
        )
        rejected = _read_frame(self.folder / "_rejected.arrow", m["frames"]["_rejected"])
        warnings = _read_frame(self.folder / "_warnings.arrow", m["frames"]["_warnings"])
        report = ImportReport(
            stats={t: TableStats(**s) for t, s in m["stats"].items()},
            rejected=rejected,
            warnings=warnings,
            ignored_files=list(m["ignored_files"]),
        )
        span = m["time_span"]
        known = {
            "rows": {n: m["frames"][n]["rows"] for n in names},
            "time_span": None if span is None else tuple(_snapshot_from_json(t) for t in span),
            "channels": _read_frame(self.folder / "_channels.arrow", m["frames"]["_channels"]),
        }
        return Dump(
            sources=list(m["sources"]),
            tables=tables,
            snapshot=_snapshot_from_json(m["snapshot"]),
            report=report,
            organization=m["organization"],
            url_template=m["url_template"],
            store=index,
            known=known,
        )

    # ----- writing

    def store(self, dump: Dump, prog: Progress) -> bool:
        """Write ``dump`` as this entry (atomically), then prune. False when not written."""
        try:
            saved = self._store(dump, prog)
        except Cancelled:
            raise
        except Exception as err:  # noqa: BLE001 - failing to save only costs the next re-open
            log.warning("dump cache: could not save entry %s (%s)", self.key, err)
            saved = False
        prog.step(1.0, "Done", force=True)
        return saved

    def _store(self, dump: Dump, prog: Progress) -> bool:
        if self.inputs_changed():
            log.info("dump cache: an input changed while it was read; not saved")
            return False
        frames = {}
        for name, df in dump.tables.items():
            prog.step(0.0, "Preparing the dump for a quick re-open")  # a Cancel is seen between tables
            frames[name] = _frame_to_arrow(df)
        frames.update(report_frames(dump))
        prog.step(0.0, "Indexing the dump's conversations for quick questions")
        index = store.build_index(dump.tables)
        need = sum(t.nbytes for t, _m in frames.values()) + sum(a.nbytes for a in index.values())
        if not self.room_for(need):
            log.info("dump cache: not enough free disk space for %d bytes; not saved", need)
            return False
        tmp = self.temp_folder()
        try:
            metas = write_frames(frames, tmp, prog, need)
            store.write_index(index, tmp)
            self.finish(tmp, dump, metas)
        finally:
            _remove(tmp)  # nothing left there after a successful rename
        return True

    def inputs_changed(self) -> bool:
        """Did an input change since the key was made (while it was read)?"""
        return cache_key(self._paths, self._max)[0] != self.key

    def room_for(self, need: int) -> bool:
        """Is there room for ``need`` more bytes, leaving ``FREE_SPACE_MARGIN`` free?"""
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).free >= need + FREE_SPACE_MARGIN

    def temp_folder(self) -> Path:
        """A new folder to write this entry in; ``finish`` makes it the entry. Pruning
        removes one a crashed process left behind."""
        tmp = self.root / f"{_TMP_PREFIX}{self.key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        return tmp

    def finish(self, tmp: Path, dump: Dump, metas: dict) -> None:
        """Write the manifest of ``dump`` (whose files ``metas`` describes) in ``tmp``,
        make ``tmp`` this entry, then prune."""
        span = dump.time_span()
        manifest = {
            "cache_version": CACHE_VERSION,
            "key": self.key,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "sources": list(dump.sources),
            "snapshot": _snapshot_to_json(dump.snapshot),
            "organization": dump.organization,
            "url_template": dump.url_template,
            "tables": list(dump.tables),
            "stats": {t: asdict(s) for t, s in dump.report.stats.items()},
            "ignored_files": list(dump.report.ignored_files),
            "frames": metas,
            "time_span": None if span is None else [_snapshot_to_json(t) for t in span],
            "inputs": self.doc,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.rename(tmp, self.folder)
        except OSError:  # another process saved it first: fine
            log.info("dump cache: entry %s was saved by another process", self.key)
        prune(self.root, keep=self.key)


def write_frames(frames: dict[str, tuple[pa.Table, dict]], folder: Path, prog: Progress, total: int) -> dict:
    """Write an entry's frames (``name -> (table, meta)``) in ``folder``; their metas, with
    the files' facts. ``total``: the bytes of all, for progress."""
    metas = {}
    done = 0
    prog.step(0.0, "Saving the dump for a quick re-open", force=True)
    for name, (tbl, meta) in frames.items():
        lo = done / max(total, 1)
        done += tbl.nbytes
        hi = done / max(total, 1)
        meta.update(
            _write_arrow(tbl, folder / f"{name}.arrow", prog, lo, hi, "Saving the dump for a quick re-open")
        )
        metas[name] = meta
    return metas


def open_entry(paths: Sequence[str | os.PathLike], max_unpacked_bytes: int) -> CacheEntry | None:
    """The entry for these inputs, or None when they cannot be looked at (``load_dumps`` says why)."""
    try:
        key, doc = cache_key(paths, max_unpacked_bytes)
        return CacheEntry(cache_root(), key, doc, list(paths), max_unpacked_bytes)
    except Exception as err:  # noqa: BLE001 - the reader reports missing or unreadable inputs
        log.info("dump cache: inputs cannot be fingerprinted (%s); not cached", err)
        return None


def open_folder(folder: str | os.PathLike) -> Dump:
    """The dump saved in the entry ``folder``, opened as ``CacheEntry.load`` opens it, without
    fingerprinting the inputs again: a worker process (exports/workers.py) is handed the
    folder of the dump its parent already opened. Unlike ``load``, a broken entry raises
    (the parent's dump stands on it) and is left in place."""
    folder = Path(folder)
    entry = CacheEntry(folder.parent, folder.name, {}, [], 0)
    return entry._load(folder / MANIFEST, Progress(None))


# ---------------------------------------------------------------- saving in the background


_SAVES: list[tuple[threading.Thread, CancelToken]] = []
EXIT_WAIT_SECONDS = 2.0  # how long leaving Python waits for a cancelled save to clean up


def save_in_background(entry: CacheEntry, dump: Dump) -> None:
    """Save ``dump`` on a daemon thread; cancelled at exit so it leaves no temporary folder."""
    token = CancelToken()

    def save() -> None:
        try:
            entry.store(dump, as_progress(None, token))
        except Cancelled:
            log.info("dump cache: save of %s stopped at exit", entry.key)

    saver = threading.Thread(target=save, name="sparkdesk-cache-save", daemon=True)
    if not _SAVES:
        atexit.register(cancel_saves, EXIT_WAIT_SECONDS)
    _SAVES.append((saver, token))
    saver.start()


def wait_for_saves(timeout: float | None = None) -> bool:
    """Wait for the background saves ``load_dumps`` started; True when none is left."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while _SAVES:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        _SAVES[0][0].join(left)
        if _SAVES[0][0].is_alive():
            return False
        _SAVES.pop(0)
    return True


def cancel_saves(timeout: float | None = None) -> bool:
    """Stop the background saves under way (at exit): a save stopped removes its temporary
    folder, where a daemon thread killed mid-write would leave one (up to 3.3 GB) behind."""
    for _saver, token in _SAVES:
        token.cancel()
    return wait_for_saves(timeout)


# ---------------------------------------------------------------- housekeeping


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _size(folder: Path) -> int:
    """Bytes of an entry's files, its index folder's included."""
    try:
        return sum(
            e.stat().st_size if e.is_file() else _size(Path(e.path))
            for e in os.scandir(folder)
            if e.is_file() or e.is_dir(follow_symlinks=False)
        )
    except OSError:
        return 0


def stored_bytes(root: Path | None = None) -> int:
    """Bytes the saved dumps take now (their Arrow files)."""
    root = root or cache_root()
    try:
        return sum(_size(Path(e.path)) for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
    except OSError:
        return 0


def clear(root: Path | None = None) -> int:
    """Delete every saved dump; the bytes freed.

    They are copies of customer data (message text included) that a user may not want
    kept on the computer. A file still in use (a dump open in a window, memory-mapped,
    on Windows) stays, and goes at a later prune.
    """
    root = root or cache_root()
    before = stored_bytes(root)
    try:
        children = [Path(e.path) for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return 0
    for folder in children:
        _remove(folder)
    return max(before - stored_bytes(root), 0)


def prune(root: Path, keep: str | None = None) -> None:
    """Keep the ``MAX_ENTRIES`` most recently used entries that fit in ``MAX_BYTES``.

    The newest (or ``keep``) is always kept, and so is every entry a dump of this process
    was opened from (its tables are read when first used). Entries without a manifest and
    temporary folders of crashed writes older than ``STALE_TEMP_SECONDS`` are removed.
    """
    try:
        children = list(os.scandir(root))
    except OSError:
        return
    now = time.time()
    entries: list[tuple[float, str, Path]] = []
    for e in children:
        if not e.is_dir(follow_symlinks=False):
            continue
        path = Path(e.path)
        try:
            if e.name.startswith(_TMP_PREFIX):
                if now - e.stat().st_mtime > STALE_TEMP_SECONDS:
                    _remove(path)
                continue
            entries.append((os.stat(path / MANIFEST).st_mtime, e.name, path))
        except OSError:
            _remove(path)  # no manifest: never a finished entry
    entries.sort(key=lambda t: (t[1] != keep, -t[0]))
    total = 0
    open_here = store.folders_in_use()  # a dump of this process reads them when it needs them
    for i, (_used, _name, path) in enumerate(entries):
        total += _size(path)
        if i and (i >= MAX_ENTRIES or total > MAX_BYTES) and path not in open_here:
            _remove(path)
