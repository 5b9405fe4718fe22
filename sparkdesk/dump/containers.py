"""Finding the table files of each dump: folders, .zip archives and loose files.

Only names are looked at here (dump-format.md, "Containers"); reading the cells is
``parse.py``'s job. Zip members are never extracted to disk: every table file gets an
``open_*`` callable that streams it, so a multi-gigabyte archive costs no disk space.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import pyarrow as pa

from sparkdesk.dump.model import DumpRefused
from sparkdesk.dump.schema import TABLE_NAMES

EXTENSIONS = ("csv.gz", "jsonl.gz", "csv", "jsonl", "ndjson", "parquet")
_FORMAT = {
    "csv": "csv",
    "csv.gz": "csv",
    "jsonl": "jsonl",
    "jsonl.gz": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
}
_EXT_RE = re.compile(r"^(?P<stem>.*?)\.(?P<ext>csv\.gz|jsonl\.gz|csv|jsonl|ndjson|parquet)$", re.IGNORECASE)
_TABLES = {t.lower(): t for t in TABLE_NAMES}
MAX_RATIO = 200  # an archive may unpack to at most this many times its own size


class ReadMeter:
    """Bytes a reader has taken from one file so far, for progress inside a long read,
    and a way to stop that read early (the next read from the file fails).

    pyarrow reads a file in one call of a few seconds; counting the bytes it pulls is
    the only way to see how far it got. Both sides only read or set plain attributes.
    """

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.bytes = 0
        self.stopped = False
        self._base = 0.0  # the fraction shown when the file was started again

    @property
    def fraction(self) -> float:
        return self._base + (1.0 - self._base) * min(self.bytes / self.total, 1.0)

    def restart(self) -> None:
        """The reader starts the file again: count anew, without the bar going back."""
        self._base = self.fraction
        self.bytes = 0

    def stop(self) -> None:
        self.stopped = True


class _Counted(io.RawIOBase):
    """A binary file that adds every byte read to a ``ReadMeter``."""

    def __init__(self, raw: BinaryIO, meter: ReadMeter) -> None:
        super().__init__()
        self._raw = raw
        self._meter = meter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - any writable buffer
        if self._meter.stopped:
            raise OSError("reading was stopped")
        n = self._raw.readinto(buffer) or 0
        self._meter.bytes += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class TableFile:
    """One file that holds rows of one table. ``path`` is its path inside the dump (sort key)."""

    table: str
    path: str
    label: str  # what the report shows: the file on disk, or ``archive.zip/inner/path``
    fmt: str  # csv | jsonl | parquet
    gz: bool
    size: int  # bytes as stored (compressed size for .gz), for progress
    open_binary: Callable[[], BinaryIO]  # decompressed bytes, a Python file object
    local_path: str | None = None  # set when the file is on disk (faster native reads)
    unpacked_size: int | None = None  # archive members: bytes once unpacked, for progress

    def open_arrow(self, meter: ReadMeter | None = None) -> pa.NativeFile:
        """A pyarrow input stream of the decompressed bytes (native when on disk).

        With a ``meter``, the bytes go through Python on their way (no slower here:
        2.1-2.2 s for 1.3 GB either way) and are counted: on disk the bytes as stored,
        in an archive the bytes unpacked (``meter.total`` says which).
        """
        if meter is None:
            if self.local_path is not None:
                return pa.input_stream(self.local_path, compression="gzip" if self.gz else None)
            return pa.PythonFile(self.open_binary(), mode="r")
        if self.local_path is not None:
            stream = pa.PythonFile(_Counted(open(self.local_path, "rb", buffering=0), meter), mode="r")
            return pa.CompressedInputStream(stream, "gzip") if self.gz else stream
        return pa.PythonFile(_Counted(self.open_binary(), meter), mode="r")

    def meter(self) -> ReadMeter:
        """A ``ReadMeter`` for ``open_arrow``: its total is what that stream will count."""
        return ReadMeter(self.size if self.local_path is not None else self.unpacked_size or self.size)


@dataclass
class DumpSource:
    """One dump: its table files in reading order, its manifest and the files it ignored."""

    label: str
    files: list[TableFile] = field(default_factory=list)
    manifest: dict | None = None
    manifest_label: str | None = None
    ignored: list[str] = field(default_factory=list)


def match_table(path: str) -> tuple[str, str, bool] | None:
    """(table, format, gzipped) for a path inside a dump, or None when it names no table.

    The parent folder named after a table wins over the file's own name.
    """
    p = PurePosixPath(path)
    m = _EXT_RE.match(p.name)
    if not m:
        return None
    ext = m.group("ext").lower()
    parent = p.parent.name.lower()
    table = _TABLES.get(parent)
    if table is None:
        stem = m.group("stem").lower()
        base, dash, part = stem.partition("-")
        if not dash or part:
            table = _TABLES.get(base)
    if table is None:
        return None
    return table, _FORMAT[ext], ext.endswith(".gz")


def _is_junk(path: str) -> bool:
    """macOS archive litter (``__MACOSX/``, ``._name``): never a table, listed as ignored."""
    parts = PurePosixPath(path).parts
    return any(part == "__MACOSX" for part in parts) or PurePosixPath(path).name.startswith("._")


def _gunzip(opener: Callable[[], BinaryIO], gz: bool) -> Callable[[], BinaryIO]:
    if not gz:
        return opener
    return lambda: gzip.GzipFile(fileobj=opener(), mode="rb")  # type: ignore[return-value]


def _load_manifest(raw: bytes, label: str) -> dict:
    """Parse and check a manifest; an unknown version or bad JSON refuses the dump."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DumpRefused(f"{label} is not a valid JSON manifest ({err}).") from None
    if not isinstance(data, dict):
        raise DumpRefused(f"{label} is not a valid manifest: it must be a JSON object.")
    fmt = data.get("format")
    if fmt is not None and fmt != "sparkdesk-dump":
        raise DumpRefused(f"{label} is not a SparkDesk dump manifest (format {fmt!r}).")
    version = data.get("version", 1)
    if version not in (1, "1") or isinstance(version, bool):
        raise DumpRefused(
            f"{label} has manifest version {version!r}, which this SparkDesk cannot read (only 1)."
        )
    return data


def _add_file(
    src: DumpSource,
    inner: str,
    label: str,
    size: int,
    opener: Callable[[], BinaryIO],
    local_path: str | None = None,
    unpacked_size: int | None = None,
) -> None:
    """Classify one file of a dump: a table file, or ignored."""
    hit = None if _is_junk(inner) else match_table(inner)
    if hit is None:
        src.ignored.append(label)
        return
    table, fmt, gz = hit
    src.files.append(
        TableFile(table, inner, label, fmt, gz, size, _gunzip(opener, gz), local_path, unpacked_size)
    )


def _open_local(path: str) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")  # noqa: SIM115 - the caller closes it


def folder_source(root: Path) -> DumpSource:
    """Every file under ``root`` (recursively); ``manifest.json`` only at its top."""
    src = DumpSource(str(root))
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            inner = Path(full).relative_to(root).as_posix()
            if inner.lower() == "manifest.json":
                src.manifest_label = full
                src.manifest = _load_manifest(Path(full).read_bytes(), full)
                continue
            _add_file(src, inner, full, os.path.getsize(full), _open_local(full), full)
    src.files.sort(key=lambda f: f.path)
    return src


def _check_zip(zf: zipfile.ZipFile, label: str, packed: int, max_unpacked_bytes: int) -> None:
    """Refuse archives that escape their folder or unpack too big, from the directory alone."""
    total = 0
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
            raise DumpRefused(
                f"{label} is refused: its entry {info.filename!r} escapes the archive's folder."
            )
        total += info.file_size
    if total > max_unpacked_bytes:
        raise DumpRefused(
            f"{label} is refused: it unpacks to {total:,} bytes, more than the limit of {max_unpacked_bytes:,}."
        )
    if total > MAX_RATIO * max(packed, 1):
        raise DumpRefused(
            f"{label} is refused: it unpacks to {total:,} bytes, more than {MAX_RATIO} times its size."
        )


def zip_source(path: Path, zf: zipfile.ZipFile, max_unpacked_bytes: int) -> DumpSource:
    """Table files anywhere in the archive; the manifest at its root or in its single top folder."""
    label = str(path)
    _check_zip(zf, label, path.stat().st_size, max_unpacked_bytes)
    entries = [i for i in zf.infolist() if not i.is_dir()]
    real = [i for i in entries if not _is_junk(i.filename)]
    tops = {i.filename.split("/", 1)[0] for i in real if "/" in i.filename}
    at_root = [i for i in real if "/" not in i.filename]
    single_top = next(iter(tops)) if len(tops) == 1 and not at_root else None
    manifest_names = {"manifest.json"} | ({f"{single_top}/manifest.json".lower()} if single_top else set())
    src = DumpSource(label)
    for info in entries:
        name = info.filename
        inner_label = f"{label}/{name}"
        if name.lower() in manifest_names:
            src.manifest_label = inner_label
            src.manifest = _load_manifest(zf.read(info), inner_label)
            continue
        _add_file(src, name, inner_label, info.compress_size, _zip_opener(zf, info), None, info.file_size)
    src.files.sort(key=lambda f: f.path)
    return src


def _zip_opener(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    return lambda: zf.open(info)  # type: ignore[return-value]


def loose_source(paths: list[Path]) -> DumpSource:
    """Loose files given together: one dump, read in order of file name (then full path)."""
    src = DumpSource(str(paths[0]))
    for p in paths:
        full = str(p)
        if p.name.lower() == "manifest.json":
            src.manifest_label = full
            src.manifest = _load_manifest(p.read_bytes(), full)
            continue
        inner = f"{p.parent.name}/{p.name}" if p.parent.name else p.name
        _add_file(src, inner, full, p.stat().st_size, _open_local(full), full)
    src.files.sort(key=lambda f: (PurePosixPath(f.path).name, f.label))
    if not src.files:
        raise DumpRefused(f"{paths[0]} is not a folder, a .zip archive or a recognised table file.")
    return src


def discover(
    paths: Sequence[str | os.PathLike], max_unpacked_bytes: int, keep_open: list[zipfile.ZipFile]
) -> list[DumpSource]:
    """The dumps given, in order; loose files together take the place of the first of them.

    Open archives are appended to ``keep_open``; the caller closes them when done.
    """
    if not paths:
        raise DumpRefused("No dump was given: pass a folder, a .zip archive or table files.")
    slots: list[DumpSource | None] = []
    loose: list[Path] = []
    loose_slot = -1
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise DumpRefused(f"{p} does not exist.")
        if p.is_dir():
            slots.append(folder_source(p))
        elif p.suffix.lower() == ".zip":
            slots.append(_open_zip(p, max_unpacked_bytes, keep_open))
        elif p.is_file():
            if loose_slot < 0:
                loose_slot = len(slots)
                slots.append(None)
            loose.append(p)
        else:
            raise DumpRefused(f"{p} is not a folder, a .zip archive or a table file.")
    if loose:
        slots[loose_slot] = loose_source(loose)
    sources = [s for s in slots if s is not None]
    for s in sources:
        if not s.files:
            raise DumpRefused(f"{s.label} holds no recognised table file (such as conversations.csv).")
    return sources


def _open_zip(path: Path, max_unpacked_bytes: int, keep_open: list[zipfile.ZipFile]) -> DumpSource:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise DumpRefused(f"{path} is not a readable .zip archive ({err}).") from None
    keep_open.append(zf)
    return zip_source(path, zf, max_unpacked_bytes)


def read_all(tf: TableFile) -> bytes:
    """The whole decompressed file (Parquet needs random access)."""
    with tf.open_binary() as fh:
        return fh.read()


def as_buffer_reader(tf: TableFile) -> pa.NativeFile:
    """Random-access reader for Parquet: the file itself on disk, else its bytes in memory."""
    if tf.local_path is not None and not tf.gz:
        return pa.memory_map(tf.local_path)
    return pa.BufferReader(read_all(tf))
