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


def test_cancel_lands_inside_a_shared_definition(monkeypatch):
    """A cancel set while lock sessions compute stops them at the next checkpoint."""
    from sparkdesk.exports import facts as facts_module

    dump = load_dumps([bundled_demo_path()])
    token = CancelToken()
    real = facts_module.next_in_group
    calls = []

    def cancelling_next_in_group(*args, **kwargs):
        calls.append(1)
        token.cancel()  # as if the user pressed Cancel during the first grouped scan
        return real(*args, **kwargs)

    monkeypatch.setattr(facts_module, "next_in_group", cancelling_next_in_group)
    with pytest.raises(Cancelled):
        compute(dump, ExportParams("resolved-conversation", "UTC"), cancel=token)
    assert len(calls) == 1  # stopped right after the first scan, not at the end of the definition
    assert "lock_sessions" not in vars(facts_module.facts_for(dump))


def test_progress_moves_inside_a_long_shared_definition(monkeypatch):
    """Checkpoints inside lock sessions report fractions within that definition's share."""
    from sparkdesk.tasks import Progress

    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)  # report every step, not ten a second
    dump = load_dumps([bundled_demo_path()])
    seen: list[tuple[float, str]] = []
    compute(dump, ExportParams("user", "UTC"), progress=lambda f, t: seen.append((f, t)))
    texts = [t for _, t in seen]
    start = texts.index("Computing lock sessions")
    inside = [f for f, t in seen[start + 1 :] if t == "Computing lock sessions"][:5]
    assert len(inside) == 5  # the five checkpoints of lock_sessions
    assert seen[start][0] < inside[0] < inside[-1]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_even_steps_report_their_share_of_the_current_step(monkeypatch):
    """``checkpoints(n)``: n even parts, reported as a tick, a part's own step, or a block."""
    from sparkdesk.tasks import Progress, checkpoint, checkpoints, in_steps, running

    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    seen: list[float] = []
    with running(Progress(lambda f, t: seen.append(round(f, 6))).sub(0.0, 0.5)):
        tick = checkpoints(4)
        tick()
        step = tick.part()
        step(0.5)
        step(1.0)
        with tick.within():
            checkpoint(0.5)  # half of the third part
        tick()
        tick()  # one more than asked: stays at the end
    assert seen == [0.125, 0.1875, 0.25, 0.3125, 0.375, 0.5, 0.5]
    seen.clear()
    with running(Progress(lambda f, t: seen.append(round(f, 6)))):
        assert in_steps(lambda: checkpoint(0.5), lambda: 7) == [None, 7]
    assert seen == [0.25, 0.5, 1.0]


def test_a_definition_computed_inside_another_never_moves_the_bar_back(monkeypatch):
    """Asked for alone, the wide per-conversation table computes every definition it needs
    inside its own step: those it gives no share of its own only check Cancel."""
    from sparkdesk.exports.facts import facts_for
    from sparkdesk.tasks import Progress, running

    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    dump = load_dumps([bundled_demo_path()])
    seen: list[float] = []
    with running(Progress(lambda f, t: seen.append(f))):
        facts_for(dump).conversation_facts  # noqa: B018
    assert len(seen) > 30 and seen == sorted(seen) and seen[-1] == 1.0


def test_a_cancel_stops_a_definition_computed_inside_another():
    from sparkdesk.exports import facts as facts_module
    from sparkdesk.tasks import Progress, running

    dump = load_dumps([bundled_demo_path()])
    facts = facts_module.facts_for(dump)
    token = CancelToken()
    with running(Progress(None, token)):
        facts.events  # noqa: B018
        token.cancel()
        with pytest.raises(Cancelled):
            facts.lock_warnings  # noqa: B018 - the lock sessions, computed inside, notice the cancel
    assert "lock_sessions" not in vars(facts) and "lock_warnings" not in vars(facts)
