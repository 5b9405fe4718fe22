"""The ranges of jobs.md: a name, read on the run day in the job's zone, gives whole days.

Every range is a pair of calendar days (first, last), both inclusive. The run day is
``as_of`` when given (``--as-of``), else today in the job's zone, so a job run at 00:30
in Madrid on a Monday takes Monday as its run day even though it is still Sunday in UTC.
The days themselves are zone-free: daylight-saving changes and the day Samoa skipped
(Pacific/Apia, 2011-12-30) change the instants a day covers, which the exports handle
(``exports.params.local_midnight``), not which days a range holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NAMED_RANGES = (
    "yesterday",
    "today",
    "last-7-days",
    "last-week",
    "this-week",
    "last-month",
    "month-to-date",
    "since-last-run",
)
MAX_LAST_DAYS = 366
_LAST_N = re.compile(r"last-([1-9][0-9]{0,2})-days")
_FIXED = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})")

DayRange = tuple[dt.date, dt.date]


def range_problem(text: str) -> str | None:
    """Why ``text`` is not a range of jobs.md, or None when it is one."""
    if text in NAMED_RANGES:
        return None
    if m := _LAST_N.fullmatch(text):
        n = int(m.group(1))
        return None if n <= MAX_LAST_DAYS else f"takes last-N-days with N from 1 to {MAX_LAST_DAYS}, not {n}"
    if m := _FIXED.fullmatch(text):
        try:
            first, last = (dt.date.fromisoformat(g) for g in m.groups())
        except ValueError as err:
            return f"{text!r} holds a day that does not exist ({err})"
        return None if first <= last else f"{text!r} ends before it starts"

    if text.startswith("last-") and text.endswith("-days"):
        return f"takes last-N-days with N from 1 to {MAX_LAST_DAYS}, without leading zeros, not {text!r}"
    names = ", ".join(NAMED_RANGES)
    return f"{text!r} is not a range; use one of {names}, last-N-days or YYYY-MM-DD..YYYY-MM-DD"


def run_day(tz: str, now: dt.datetime | None = None) -> dt.date:
    """Today in ``tz`` at the instant ``now`` (an aware datetime; default: the clock)."""
    instant = now if now is not None else dt.datetime.now(dt.UTC)
    if instant.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return instant.astimezone(ZoneInfo(tz)).date()


def resolve_range(
    job_or_range,
    as_of: dt.date | None = None,
    tz: str | None = None,
    week_starts: str | None = None,
    last_state: dt.date | Mapping | None = None,
    *,
    now: dt.datetime | None = None,
) -> DayRange:
    """(first day, last day) of a job's range, or of a range text, on the run day.

    ``job_or_range`` is a ``Job`` (its ``range``, ``tz`` and ``week_starts`` are the
    defaults of the other arguments) or a range text. ``as_of`` is the run day; without it
    the run day is today in ``tz`` (at ``now``). ``last_state`` is, for ``since-last-run``,
    the last day of the last successful run (a date, or the state file's dict with
    ``last_day``); None means there was none, and the range is ``yesterday``.

    ``since-last-run`` when the last run already covered yesterday gives first > last:
    there is nothing new to export (``run_job`` then writes no file).
    """
    text, tz, week_starts = _range_inputs(job_or_range, tz, week_starts)
    problem = range_problem(text)
    if problem:
        raise ValueError(problem)
    day = as_of if as_of is not None else run_day(tz, now)
    yesterday = day - dt.timedelta(days=1)
    if m := _FIXED.fullmatch(text):
        first, last = (dt.date.fromisoformat(g) for g in m.groups())
        return first, last
    if m := _LAST_N.fullmatch(text):
        return yesterday - dt.timedelta(days=int(m.group(1)) - 1), yesterday
    if text == "since-last-run":
        last_day = _state_day(last_state)
        return (yesterday, yesterday) if last_day is None else (last_day + dt.timedelta(days=1), yesterday)
    return _NAMED[text](day, week_starts)


def _range_inputs(job_or_range, tz: str | None, week_starts: str | None) -> tuple[str, str, str]:
    if isinstance(job_or_range, str):
        text = job_or_range
    else:  # a Job
        text = job_or_range.range
        tz = tz or job_or_range.zone
        week_starts = week_starts or job_or_range.week_starts
    if tz is None:
        from sparkdesk.localzone import local_zone_name

        tz = local_zone_name()
    week_starts = week_starts or "monday"
    if week_starts not in WEEKDAYS:
        raise ValueError(f"week_starts must be a day of the week in English, not {week_starts!r}")
    return text, tz, week_starts


def _state_day(last_state) -> dt.date | None:
    if last_state is None or isinstance(last_state, dt.date):
        return last_state
    value = last_state.get("last_day")
    return dt.date.fromisoformat(value) if value else None


def week_start(day: dt.date, week_starts: str) -> dt.date:
    """The first day of ``day``'s week, weeks starting on ``week_starts``."""
    back = (day.weekday() - WEEKDAYS.index(week_starts)) % 7
    return day - dt.timedelta(days=back)


def _last_week(day: dt.date, week_starts: str) -> DayRange:
    start = week_start(day, week_starts)
    return start - dt.timedelta(days=7), start - dt.timedelta(days=1)


def _last_month(day: dt.date, week_starts: str) -> DayRange:
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _yesterday(day: dt.date, week_starts: str) -> DayRange:
    return day - dt.timedelta(days=1), day - dt.timedelta(days=1)


_NAMED = {
    "yesterday": _yesterday,
    "today": lambda day, ws: (day, day),
    "last-7-days": lambda day, ws: (day - dt.timedelta(days=7), day - dt.timedelta(days=1)),
    "last-week": _last_week,
    "this-week": lambda day, ws: (week_start(day, ws), day),
    "last-month": _last_month,
    "month-to-date": lambda day, ws: (day.replace(day=1), day),
}
