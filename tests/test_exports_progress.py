"""compute() reports progress step by step and stops when cancelled."""

from __future__ import annotations

import pytest

from sparkdesk.dump import load_dumps
from sparkdesk.exports import ExportParams, compute
from sparkdesk.resources import bundled_demo_path
from sparkdesk.tasks import Cancelled, CancelToken


def test_progress_rises_to_one_with_a_text_per_step():
    dump = load_dumps([bundled_demo_path()])
    seen: list[tuple[float, str]] = []
    compute(dump, ExportParams("resolved-conversation", "UTC"), progress=lambda f, t: seen.append((f, t)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("lock sessions" in t for _, t in seen)


def test_cancel_during_the_shared_facts_stops_the_computation():
    dump = load_dumps([bundled_demo_path()])
    token = CancelToken()
    steps: list[str] = []

    def progress(fraction: float, text: str) -> None:
        steps.append(text)
        if "first response" in text:
            token.cancel()

    with pytest.raises(Cancelled):
        compute(dump, ExportParams("resolved-conversation", "UTC"), progress=progress, cancel=token)
    assert "Computing lock sessions" not in steps
