"""PySide6 6.12.0 corrupts reference counts on CPython 3.11 and aborts the interpreter.

pyproject pins PySide6-Essentials==6.11.3. This test stresses what the window does all
day — spinning the event loop and sending queued signals from worker threads to the UI
thread — in a child interpreter, and asserts that the child is still alive at the end
(exit status 0). A crash shows as a negative status (a signal such as SIGABRT/SIGSEGV).

Checked in throwaway venvs on CPython 3.11.7: with PySide6-Essentials 6.12.0 the child
aborts (status -6, "Fatal Python error: none_dealloc: deallocating None") inside the
processEvents() loop, three runs out of three; with 6.11.3 it exits 0 every time. To
check another build: ``python tests/test_pyside_regression.py /path/to/venv/bin/python``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

STRESS = textwrap.dedent(
    """
    import sys, threading
    from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, QTimer

    app = QCoreApplication(sys.argv)

    # 1. 20,000 processEvents() calls with posted work in between.
    hits = []
    for i in range(20_000):
        if i % 100 == 0:
            QTimer.singleShot(0, lambda i=i: hits.append(i))
        QCoreApplication.processEvents()
    QCoreApplication.processEvents()
    assert len(hits) == 200, len(hits)

    # 2. A worker thread emitting 50,000 progress signals (float, str and an object)
    #    queued to a receiver on the main thread.
    N = 50_000

    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0
            self.total = 0.0

        def on_progress(self, value, text, payload):
            self.count += 1
            self.total += value
            assert text.startswith("step") and payload["i"] >= 0
            if self.count == N:
                app.quit()

    class Worker(QObject):
        progress = Signal(float, str, object)

        def run(self):
            for i in range(N):
                self.progress.emit(i / N, f"step {i}", {"i": i, "text": "x" * (i % 7)})

    receiver = Receiver()
    worker = Worker()
    thread = QThread()
    worker.moveToThread(thread)
    worker.progress.connect(receiver.on_progress, Qt.ConnectionType.QueuedConnection)
    thread.started.connect(worker.run)
    QTimer.singleShot(120_000, app.quit)  # a hang must not hang the test run
    thread.start()
    app.exec()
    thread.quit()
    thread.wait()
    assert receiver.count == N, receiver.count

    # 3. Plain Python threads emitting through one QObject, as the task runner does.
    class Hub(QObject):
        ping = Signal(object)

    hub = Hub()
    got = []
    hub.ping.connect(lambda obj: got.append(obj), Qt.ConnectionType.QueuedConnection)

    def spam():
        for i in range(10_000):
            hub.ping.emit((i, "p"))

    threads = [threading.Thread(target=spam) for _ in range(2)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) or len(got) < 20_000:
        QCoreApplication.processEvents()
    for t in threads:
        t.join()
    assert len(got) == 20_000
    print("alive", receiver.count, len(got))
    """
)


def run_stress(python: str = sys.executable, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [python, "-X", "faulthandler", "-c", STRESS],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_interpreter_survives_event_loop_and_cross_thread_signals():
    pytest.importorskip("PySide6")
    result = run_stress()
    assert result.returncode == 0, (
        f"the interpreter died (status {result.returncode}); PySide6 regression?\n"
        f"stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-4000:]}"
    )
    assert "alive 50000 20000" in result.stdout


if __name__ == "__main__":  # run the stress against another interpreter: python this_file.py /path/to/python
    res = run_stress(sys.argv[1] if len(sys.argv) > 1 else sys.executable)
    print("exit status:", res.returncode)
    print(res.stdout[-500:])
    print(res.stderr[-3000:])
