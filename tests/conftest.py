"""Shared fixtures. Every test runs with its own user folders, so settings never touch $HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """platformdirs (settings, logs) resolve under a fresh temporary folder."""
    base = tmp_path_factory.mktemp("userdirs")
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(base / var.lower()))
    return base


@pytest.fixture(scope="session", autouse=True)
def _isolated_dump_cache(tmp_path_factory):
    """The dump cache of every test (module fixtures too) lives in a temporary folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SPARKDESK_CACHE_DIR", str(tmp_path_factory.mktemp("dump-cache")))
    yield
    mp.undo()


def pytest_addoption(parser):
    parser.addoption(
        "--staged",
        action="store_true",
        help="stage every import that goes through the cache (dump/staged.py), in small blocks,"
        " to run the suite's cached imports through the staged path",
    )


@pytest.fixture(scope="session", autouse=True)
def _staged_everywhere(request):
    """With ``--staged``, every dump loaded with the cache on is staged (a check run by hand)."""
    if not request.config.getoption("--staged"):
        yield
        return
    from sparkdesk.dump import buckets, staged

    mp = pytest.MonkeyPatch()
    mp.setattr(staged, "STAGED_MIN_BYTES", 0)
    mp.setattr(staged, "BLOCK_BYTES", 64 * 1024)
    mp.setattr(buckets, "BUCKET_INPUT_BYTES", 16 * 1024)  # several buckets for the larger test dumps
    yield
    mp.undo()


# ----- Hypothesis profiles (the property tests, tests/test_properties_*.py) ----------------
# "ci" (the default): the same examples on every run, a modest number of them, and no
# shrinking (one example takes up to a second: shrinking a failure can take five minutes),
# so the property tests take about two minutes on two cores. "shrink": the same examples,
# and a failure is shrunk to a minimal one (run it on a CI failure). "long": thousands of
# random examples per property, to run by hand (see tests/test_properties_exports.py).
try:
    import os

    from hypothesis import HealthCheck, Phase, settings
except ImportError:  # the property tests need it (the `test` extra); the rest of the suite does not
    pass
else:
    _SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile(
        "ci",
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.register_profile("shrink", settings.get_profile("ci"), phases=list(Phase))
    settings.register_profile(
        "long",
        max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "3000")),
        derandomize=False,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def conformance_dump():
    """The public conformance dump, read into memory (skipped where the sets are absent)."""
    if not CONFORMANCE.exists():
        pytest.skip("the conformance sets are not next to this checkout")
    from sparkdesk.dump import load_dumps

    return load_dumps([CONFORMANCE / "dump"], cache=False)


@pytest.fixture(scope="module")
def demo_dump():
    """The bundled demo dump, read into memory."""
    from sparkdesk.dump import load_dumps
    from sparkdesk.resources import bundled_demo_path

    return load_dumps([bundled_demo_path()], cache=False)
