"""What the window remembers between runs: recent dumps, last choices, geometry, language.

Stored as JSON in the user's config folder (platformdirs). A missing, unreadable, corrupt
or old-format file is ignored (the defaults are used), never fatal; writes are atomic.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from sparkdesk.files import atomic_output

log = logging.getLogger(__name__)

APP_NAME = "SparkDesk"
VERSION = 1
MAX_RECENT = 10


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def settings_path() -> Path:
    return config_dir() / "settings.json"


@dataclass
class Settings:
    recent_dumps: list[str] = field(default_factory=list)
    export_type: str = "resolved-conversation"
    tz: str = ""  # empty: the computer's zone
    header_lang: str = "en"
    time_format: str = "local"
    include_content: bool = True
    bom: bool = True
    formula_guard: bool = True
    keep_dump_copies: bool = True  # save imported dumps in the user cache folder (quick re-open)
    memory_limit: int = 0  # bytes the computation may hold (cli.md's --memory-limit); 0: automatic
    ui_lang: str = ""  # empty: from the system locale
    geometry: str = ""  # base64 of QWidget.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    last_dir: str = ""

    def add_recent(self, path: str) -> None:
        path = str(path)
        self.recent_dumps = [path] + [p for p in self.recent_dumps if p != path]
        del self.recent_dumps[MAX_RECENT:]


def _coerce(raw: dict) -> Settings:
    """Keep only known keys of the right type; anything else falls back to the default."""
    default = Settings()
    values = {}
    for f in fields(Settings):
        if f.name not in raw:
            continue
        value, want = raw[f.name], getattr(default, f.name)
        if isinstance(want, bool):
            ok = isinstance(value, bool)
        elif isinstance(want, list):
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, type(want))
        if ok:
            values[f.name] = value
    s = Settings(**values)
    del s.recent_dumps[MAX_RECENT:]
    return s


def load(path: Path | None = None) -> Settings:
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as err:
        log.warning("Ignoring unreadable settings file %s: %s", path, err)
        return Settings()
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        log.warning("Ignoring settings file %s of an unknown format", path)
        return Settings()
    return _coerce(raw.get("settings") if isinstance(raw.get("settings"), dict) else {})


def save(settings: Settings, path: Path | None = None) -> None:
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"version": VERSION, "settings": asdict(settings)}, indent=2, ensure_ascii=False)
        with atomic_output(path) as fh:
            fh.write(data.encode("utf-8"))
    except OSError as err:  # a read-only config folder must not stop the app
        log.warning("Could not save settings to %s: %s", path, err)
