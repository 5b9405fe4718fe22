"""The ranges of jobs.md, worked out by hand on a calendar: ordinary days, month and year
ends, a leap February, and weeks that cross a daylight-saving change (Europe/Madrid,
America/New_York) or the day Samoa skipped (Pacific/Apia, 2011-12-30)."""

from __future__ import annotations

import datetime as dt

import pytest

from sparkdesk.jobs import Job, resolve_range
from sparkdesk.jobs.ranges import NAMED_RANGES, range_problem, run_day

D = dt.date


def days(a: str, b: str) -> tuple[dt.date, dt.date]:
    return D.fromisoformat(a), D.fromisoformat(b)


# (as_of, week_starts, range, first, last); every line checked against a printed calendar
CASES = [
    # Wednesday 2025-06-18, an ordinary day
    ("2025-06-18", "monday", "yesterday", "2025-06-17", "2025-06-17"),
    ("2025-06-18", "monday", "today", "2025-06-18", "2025-06-18"),
    ("2025-06-18", "monday", "last-7-days", "2025-06-11", "2025-06-17"),
    ("2025-06-18", "monday", "last-1-days", "2025-06-17", "2025-06-17"),
    ("2025-06-18", "monday", "last-30-days", "2025-05-19", "2025-06-17"),
    ("2025-06-18", "monday", "last-366-days", "2024-06-17", "2025-06-17"),
    ("2025-06-18", "monday", "last-week", "2025-06-09", "2025-06-15"),
    ("2025-06-18", "monday", "this-week", "2025-06-16", "2025-06-18"),
    ("2025-06-18", "sunday", "last-week", "2025-06-08", "2025-06-14"),
    ("2025-06-18", "sunday", "this-week", "2025-06-15", "2025-06-18"),
    ("2025-06-18", "wednesday", "this-week", "2025-06-18", "2025-06-18"),  # the run day starts the week
    ("2025-06-18", "wednesday", "last-week", "2025-06-11", "2025-06-17"),
    ("2025-06-18", "thursday", "this-week", "2025-06-12", "2025-06-18"),
    ("2025-06-18", "monday", "last-month", "2025-05-01", "2025-05-31"),
    ("2025-06-18", "monday", "month-to-date", "2025-06-01", "2025-06-18"),
    ("2025-06-18", "monday", "since-last-run", "2025-06-17", "2025-06-17"),  # first run: yesterday
    ("2025-06-18", "monday", "2025-01-01..2025-01-31", "2025-01-01", "2025-01-31"),  # fixed
    ("2025-06-18", "monday", "2025-02-03..2025-02-03", "2025-02-03", "2025-02-03"),
    # month ends: Friday 2024-03-01 (after a leap February), Monday 2025-03-31, 2025-05-31
    ("2024-03-01", "monday", "yesterday", "2024-02-29", "2024-02-29"),
    ("2024-03-01", "monday", "last-month", "2024-02-01", "2024-02-29"),
    ("2024-03-01", "monday", "month-to-date", "2024-03-01", "2024-03-01"),
    ("2024-03-01", "monday", "last-7-days", "2024-02-23", "2024-02-29"),
    ("2024-03-01", "monday", "last-week", "2024-02-19", "2024-02-25"),
    ("2024-03-01", "monday", "this-week", "2024-02-26", "2024-03-01"),
    ("2025-05-31", "monday", "month-to-date", "2025-05-01", "2025-05-31"),
    ("2025-05-31", "monday", "last-month", "2025-04-01", "2025-04-30"),
    ("2025-03-01", "monday", "last-month", "2025-02-01", "2025-02-28"),
    # year ends: Thursday 2026-01-01, Wednesday 2025-12-31
    ("2026-01-01", "monday", "yesterday", "2025-12-31", "2025-12-31"),
    ("2026-01-01", "monday", "last-month", "2025-12-01", "2025-12-31"),
    ("2026-01-01", "monday", "month-to-date", "2026-01-01", "2026-01-01"),
    ("2026-01-01", "monday", "last-week", "2025-12-22", "2025-12-28"),
    ("2026-01-01", "monday", "this-week", "2025-12-29", "2026-01-01"),
    ("2026-01-01", "monday", "last-7-days", "2025-12-25", "2025-12-31"),
    ("2026-01-01", "monday", "last-366-days", "2024-12-31", "2025-12-31"),
    ("2025-12-31", "monday", "month-to-date", "2025-12-01", "2025-12-31"),
    ("2025-12-31", "sunday", "this-week", "2025-12-28", "2025-12-31"),
    # weeks crossing DST: Europe/Madrid springs forward on Sunday 2025-03-30 ...
    ("2025-03-31", "monday", "last-week", "2025-03-24", "2025-03-30"),
    ("2025-03-31", "monday", "this-week", "2025-03-31", "2025-03-31"),
    ("2025-03-31", "monday", "yesterday", "2025-03-30", "2025-03-30"),
    # ... and falls back on Sunday 2025-10-26
    ("2025-10-27", "monday", "last-week", "2025-10-20", "2025-10-26"),
    # America/New_York: Sunday 2025-03-09 and Sunday 2025-11-02, weeks from Sunday
    ("2025-03-12", "sunday", "this-week", "2025-03-09", "2025-03-12"),
    ("2025-03-16", "sunday", "last-week", "2025-03-09", "2025-03-15"),
    ("2025-11-05", "sunday", "this-week", "2025-11-02", "2025-11-05"),
    ("2025-11-05", "sunday", "last-week", "2025-10-26", "2025-11-01"),
    # Pacific/Apia skipped Friday 2011-12-30: the days of a range are calendar days
    ("2012-01-02", "monday", "last-week", "2011-12-26", "2012-01-01"),
    ("2011-12-31", "monday", "yesterday", "2011-12-30", "2011-12-30"),
    ("2012-01-01", "monday", "last-7-days", "2011-12-25", "2011-12-31"),
]


@pytest.mark.parametrize(("as_of", "week_starts", "rng", "first", "last"), CASES)
@pytest.mark.parametrize("tz", ["Europe/Madrid", "America/New_York", "Pacific/Apia"])
def test_every_range_on_the_run_day(as_of, week_starts, rng, first, last, tz):
    """With --as-of the run day is given, so the zone does not move any range."""
    got = resolve_range(rng, D.fromisoformat(as_of), tz, week_starts)
    assert got == days(first, last)


def test_every_named_range_is_in_the_cases():
    assert set(NAMED_RANGES) <= {rng for _, _, rng, _, _ in CASES}
    assert {ws for _, ws, _, _, _ in CASES} >= {"monday", "sunday", "wednesday", "thursday"}


def test_a_job_gives_its_range_zone_and_week():
    job = Job(dumps=("d",), types=("user",), range="this-week", out_dir="o", tz="UTC", week_starts="sunday")
    assert resolve_range(job, D(2025, 6, 18)) == days("2025-06-15", "2025-06-18")
    assert resolve_range(job, D(2025, 6, 18), week_starts="monday") == days("2025-06-16", "2025-06-18")


@pytest.mark.parametrize(
    ("last_state", "first", "last"),
    [
        (None, "2025-06-17", "2025-06-17"),
        (D(2025, 6, 10), "2025-06-11", "2025-06-17"),
        ({"last_day": "2025-06-15"}, "2025-06-16", "2025-06-17"),
        (D(2025, 6, 16), "2025-06-17", "2025-06-17"),
        (D(2025, 6, 17), "2025-06-18", "2025-06-17"),  # nothing new: first > last
    ],
)
def test_since_last_run_starts_after_the_last_runs_last_day(last_state, first, last):
    assert resolve_range("since-last-run", D(2025, 6, 18), "UTC", "monday", last_state) == days(first, last)


# The run day without --as-of: today in the job's zone at the run's instant.
@pytest.mark.parametrize(
    ("now", "tz", "day"),
    [
        ("2025-03-30T21:59:59+00:00", "Europe/Madrid", "2025-03-30"),  # 23:59:59 CEST
        ("2025-03-30T22:00:00+00:00", "Europe/Madrid", "2025-03-31"),  # 00:00 CEST, a Monday
        ("2025-03-29T22:59:59+00:00", "Europe/Madrid", "2025-03-29"),  # 23:59:59 CET, before the change
        ("2025-03-29T23:00:00+00:00", "Europe/Madrid", "2025-03-30"),
        ("2025-11-03T04:59:59+00:00", "America/New_York", "2025-11-02"),  # 23:59:59 EST
        ("2025-11-03T05:00:00+00:00", "America/New_York", "2025-11-03"),
        ("2025-03-09T04:59:59+00:00", "America/New_York", "2025-03-08"),  # 23:59:59 EST
        ("2025-03-09T05:00:00+00:00", "America/New_York", "2025-03-09"),
        ("2011-12-30T09:59:59+00:00", "Pacific/Apia", "2011-12-29"),  # 23:59:59 at -10
        ("2011-12-30T10:00:00+00:00", "Pacific/Apia", "2011-12-31"),  # midnight at +14: the 30th never was
    ],
)
def test_the_run_day_is_today_in_the_jobs_zone(now, tz, day):
    instant = dt.datetime.fromisoformat(now)
    assert run_day(tz, instant) == D.fromisoformat(day)


def test_without_as_of_a_monday_run_in_madrid_takes_the_week_before():
    """00:30 on Monday 2025-03-31 in Madrid is still Sunday in UTC and in New York."""
    now = dt.datetime(2025, 3, 30, 22, 30, tzinfo=dt.UTC)
    assert resolve_range("last-week", None, "Europe/Madrid", "monday", now=now) == days(
        "2025-03-24", "2025-03-30"
    )
    assert resolve_range("last-week", None, "America/New_York", "monday", now=now) == days(
        "2025-03-17", "2025-03-23"
    )


@pytest.mark.parametrize(
    "text",
    ["", "Yesterday", "last-0-days", "last-367-days", "last-07-days", "last--1-days", "2025-01-01..", "x..y"],
)
def test_what_is_not_a_range(text):
    assert range_problem(text) is not None
    with pytest.raises(ValueError):
        resolve_range(text, D(2025, 1, 1), "UTC", "monday")
