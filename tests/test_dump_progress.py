"""Progress and Cancel while the reader waits for a long read or for its checks.

pyarrow reads a 1.3 GB file in one call of a few seconds; the reader counts the bytes it
pulls (``ReadMeter``) and looks at them every ``POLL_SECONDS``, so the bar moves and
Cancel is noticed while another thread reads. These tests slow a read down by hand.
"""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest

from sparkdesk.dump import DumpRefused, combine, load_dumps, reader, state
from sparkdesk.dump.containers import discover
from sparkdesk.dump.parse import read_file
from sparkdesk.tasks import Cancelled, CancelToken, Progress

CONV = "conversation_id,channel_id,contact_id,created_at\n"


def dump(tmp_path: Path, rows: int = 50) -> Path:
    root = tmp_path / "d"
    root.mkdir()
    body = "".join(f"c{i},ch1,k1,2025-03-10T10:00:00Z\n" for i in range(rows))
    (root / "conversations.csv").write_text(CONV + body, encoding="utf-8")
    (root / "channels.csv").write_text("channel_id,medium,name\nch1,WA,A\n", encoding="utf-8")
    return root


def test_meter_counts_every_byte_of_a_file_on_disk(tmp_path):
    root = dump(tmp_path)
    tf = next(f for f in discover([root], 2**30, [])[0].files if f.table == "conversations")
    meter = tf.meter()
    raw = read_file(tf, meter)
    assert raw.n_rows == 50
    assert meter.bytes == meter.total == (root / "conversations.csv").stat().st_size
    assert meter.fraction == 1.0


def test_meter_counts_unpacked_bytes_of_an_archive_member(tmp_path):
    root = dump(tmp_path)
    z = tmp_path / "d.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(root / "conversations.csv", "conversations.csv")
    zips: list[zipfile.ZipFile] = []
    tf = discover([z], 2**30, zips)[0].files[0]
    meter = tf.meter()
    assert read_file(tf, meter).n_rows == 50
    assert meter.bytes == meter.total == (root / "conversations.csv").stat().st_size
    for zf in zips:
        zf.close()


def test_a_stopped_meter_stops_the_read(tmp_path):
    tf = next(f for f in discover([dump(tmp_path)], 2**30, [])[0].files if f.table == "conversations")
    meter = tf.meter()
    meter.stop()
    with pytest.raises(DumpRefused):
        read_file(tf, meter)


def _slow_read(seconds: float, seen_stop: threading.Event | None = None):
    """A read_file that advances its meter step by step over ``seconds`` (or until stopped)."""
    real = reader.read_file

    def slow(tf, meter=None):
        if tf.table == "conversations" and meter is not None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if meter.stopped:
                    if seen_stop is not None:
                        seen_stop.set()
                    raise DumpRefused("stopped")
                meter.bytes = min(meter.total - 1, meter.bytes + meter.total // 20)
                time.sleep(seconds / 25)
        return real(tf, meter)

    return slow


def test_progress_moves_while_one_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(reader, "read_file", _slow_read(0.5))
    reports: list[tuple[float, str]] = []
    load_dumps([dump(tmp_path)], progress=lambda f, t: reports.append((f, t)), cache=False)
    during = [f for f, t in reports if ": reading " in t and t.endswith("conversations.csv")]
    assert len(set(during)) >= 5, during  # the bar moved inside the one read
    assert during == sorted(during)


def test_cancel_during_a_read_returns_at_once_and_stops_the_read(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "POLL_SECONDS", 0.02)
    stopped = threading.Event()
    monkeypatch.setattr(reader, "read_file", _slow_read(30.0, stopped))
    token = CancelToken()
    started: list[float] = []

    def on_progress(_f: float, text: str) -> None:
        if ": reading " in text and text.endswith("conversations.csv") and not started:
            started.append(time.monotonic())
            threading.Timer(0.1, token.cancel).start()

    with pytest.raises(Cancelled):
        load_dumps([dump(tmp_path)], progress=on_progress, cancel=token, cache=False)
    assert time.monotonic() - started[0] < 2.0  # not the 30 s the read would take
    assert stopped.wait(2.0)  # and the read itself gave up


def _cancel_inside(monkeypatch, module, name: str, is_target, token: CancelToken, seconds: float) -> None:
    """Replace ``module.name`` by a version that, for the call whose first argument
    ``is_target`` picks, cancels ``token`` and then works on for ``seconds``."""
    real = getattr(module, name)

    def slow(first, *rest):
        if is_target(first):
            token.cancel()
            time.sleep(seconds)
        return real(first, *rest)

    monkeypatch.setattr(module, name, slow)


def test_cancel_while_checks_run_is_noticed(tmp_path, monkeypatch):
    """The reader waits for its duplicate checks with the same polling."""
    monkeypatch.setattr(state, "POLL_SECONDS", 0.02)
    token = CancelToken()
    _cancel_inside(
        monkeypatch, combine, "duplicate_mask", lambda spec: spec.name == "conversations", token, 1.0
    )
    t = time.monotonic()
    with pytest.raises(Cancelled):
        load_dumps([dump(tmp_path)], cancel=token, cache=False)
    assert time.monotonic() - t < 0.9


def test_writing_a_large_report_moves_progress_and_heeds_cancel(tmp_path, monkeypatch):
    """A dump with many rejected rows spends seconds finding and writing them: progress
    moves block by block (text naming the file), and Cancel stops it there."""
    from sparkdesk.dump import parse

    monkeypatch.setattr(parse, "RAW_BLOCK", 7)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)  # every step reported
    root = tmp_path / "d"
    root.mkdir()
    body = "".join(f"c{i},ch1,{'' if i % 2 else 'k1'},2025-03-10T10:00:00Z\n" for i in range(60))
    (root / "conversations.csv").write_text(CONV + body, encoding="utf-8")
    seen: list[tuple[float, str]] = []
    d = load_dumps([root], progress=lambda f, t: seen.append((f, t)), cache=False)
    assert len(d.report.rejected) == 30
    blocks = [
        f for f, t in seen if t.startswith("Writing the raw rows of") and t.endswith("conversations.csv")
    ]
    assert len(blocks) >= 4 and blocks == sorted(blocks)
    token = CancelToken()

    def cancel_when_reporting(_f: float, text: str) -> None:
        if text.startswith("Writing the raw rows"):
            token.cancel()

    with pytest.raises(Cancelled):
        load_dumps([root], progress=Progress(cancel_when_reporting, token), cache=False)


def test_cancel_is_seen_while_a_file_is_checked(tmp_path, monkeypatch):
    """Step one of a huge file (ten million bad timestamps: seconds) heeds Cancel: the
    reader waits for each converting column in short polls."""
    from sparkdesk.dump import validate

    token = CancelToken()
    _cancel_inside(monkeypatch, validate, "convert_values", lambda col: col.name == "created_at", token, 5.0)
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        load_dumps([dump(tmp_path)], cancel=token, cache=False)
    assert time.monotonic() - t0 < 1.5
