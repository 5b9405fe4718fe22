"""Property tests of the import (Hypothesis): the import report's counts, and reading order.

- for every table, rows read = rows accepted + rejected + duplicates dropped, and rows read
  is the number of rows the files hold (dump-format.md, "Bad input");
- two dumps given in either order give the same exports when no key repeats and rows that
  share an instant sit in one dump (the spec makes order matter only for duplicates, where
  the last one read wins, and for ties, which keep their reading order).

Profiles and the long run: see tests/test_properties_exports.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    TABLE_NAMES,
    TS_COLUMNS,
    Raw,
    compute_all,
    dump_specs,
    load_or_reject,
    ranges,
    row_key,
    split_spec,
    tie_groups,
    write_spec,
)

NEAR = (-2_208_988_800_000, 7_258_118_400_000)  # 1900 to 2200: no far instant in the rows


def near_only(rows: list[dict]) -> bool:
    return all(
        not isinstance(v, int) or isinstance(v, Raw) or NEAR[0] <= v < NEAR[1]
        for r in rows
        for k, v in r.items()
        if k in TS_COLUMNS
    )


def read_time_snapshot(dump) -> bool:
    return dump.report.warnings["reason"].str.contains("the snapshot is the time of reading").any()


@settings(max_examples=settings.default.max_examples * 4)  # ~50 ms an example
@given(spec=dump_specs())
def test_rows_read_are_accepted_rejected_or_duplicates(spec):
    with tempfile.TemporaryDirectory() as tmp:
        dump = load_or_reject(write_spec(spec, Path(tmp) / "dump"))
    report = dump.report
    for name in TABLE_NAMES:
        st_ = report.stats[name]
        table = spec.tables.get(name)
        assert st_.read == spec.rows_written(name), name
        assert st_.read == st_.accepted + st_.rejected + st_.duplicates, (name, st_)
        assert st_.rejected == int((report.rejected["table"] == name).sum()), name
        assert len(dump.tables[name]) == st_.accepted - st_.after_snapshot, (name, st_)
        if table is None:
            continue
        assert st_.rejected >= len(table.bad), f"{name}: a row the reader must reject was accepted"
        if near_only(table.rows):  # every good row passes step one: the duplicates are known
            distinct = len({row_key(name, r) for r in table.rows})
            assert st_.duplicates == len(table.rows) - distinct, (name, st_)


@given(data=st.data())
def test_two_dumps_in_either_order_give_the_same_exports(data):
    spec = data.draw(dump_specs(duplicates=False), label="dump")
    sides = {}
    for name, table in spec.tables.items():
        if table is None:
            continue
        groups = tie_groups(spec, name)
        labels = sorted(set(groups))
        pick = data.draw(st.lists(st.integers(0, 1), min_size=len(labels), max_size=len(labels)), label=name)
        side_of = dict(zip(labels, pick, strict=True))
        sides[name] = [side_of[g] for g in groups]
    rng = data.draw(ranges(spec), label="range")
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a", Path(tmp) / "b"
        split_spec(spec, sides, a, b)
        ab, ba = load_or_reject(a, b), load_or_reject(b, a)
    if not read_time_snapshot(ab):  # a dump without any timestamp has the time of reading
        assert ab.snapshot == ba.snapshot
    for name in TABLE_NAMES:
        x, y = ab.report.stats[name], ba.report.stats[name]
        assert (x.read, x.accepted, x.rejected, x.duplicates) == (
            y.read,
            y.accepted,
            y.rejected,
            y.duplicates,
        )
    first, second = compute_all(ab, spec.tz, rng), compute_all(ba, spec.tz, rng)
    for type_id, table in first.items():
        pd.testing.assert_frame_equal(table, second[type_id], obj=f"{type_id}, dumps a+b against b+a")
