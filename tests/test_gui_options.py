"""The option panel's choices as one value, and the core values it gives (no window needed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

from sparkdesk.gui.options import Choices, write_options_for

MAY = (dt.date(2025, 5, 1), dt.date(2025, 5, 31))
CHOICES = Choices(
    type="resolved-conversation",
    tz="Europe/Madrid",
    days=MAY,
    range_checked=False,
    channels=("ch-sms",),
    include_content=False,
    header_lang="es",
    time_format="iso",
    bom=False,
    formula_guard=True,
)


def test_params_carry_the_choices():
    p = CHOICES.params_for()
    assert (p.type, p.tz, p.first_day, p.last_day) == ("resolved-conversation", "Europe/Madrid", *MAY)
    assert p.channels == ("ch-sms",) and p.include_content is False


def test_a_range_optional_export_has_a_range_only_with_its_box_checked():
    """The rule holds for the chosen type and for every type of "Export all"."""
    assert CHOICES.date_range("open-conversation") == (None, None)
    assert CHOICES.params_for("open-conversation").first_day is None
    assert CHOICES.params_for("team").first_day == MAY[0]
    checked = replace(CHOICES, range_checked=True)
    assert checked.date_range("open-conversation") == MAY
    opened = replace(CHOICES, type="open-conversation")
    assert opened.date_range() == (None, None) and opened.date_range("message") == MAY


def test_all_data_is_the_cores_default_range():
    everything = replace(CHOICES, days=None, range_checked=True)
    assert {everything.date_range(t) for t in ("team", "open-conversation")} == {(None, None)}


def test_an_export_without_channels_gets_every_channel():
    assert CHOICES.params_for("user-presence").channels == ()
    assert CHOICES.params_for("user").channels == ("ch-sms",)


def test_write_options_take_the_zone_the_result_was_computed_in():
    result = SimpleNamespace(params=SimpleNamespace(tz="UTC"))  # computed before the zone changed
    o = write_options_for(result, CHOICES)
    assert (o.tz, o.lang, o.time_format, o.bom, o.formula_guard) == ("UTC", "es", "iso", False, True)
    assert write_options_for(None, CHOICES).tz == "Europe/Madrid"  # "Export all" computes now
    assert write_options_for(result, CHOICES, preview=True).formula_guard is False
