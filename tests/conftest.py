"""Shared fixtures. Every test runs with its own user folders, so settings never touch $HOME."""

from __future__ import annotations

import pytest


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
