"""An export type is registered once: its catalogue entry, and one builder that says what it reads."""

from __future__ import annotations

import inspect
from functools import cached_property

from sparkdesk.catalogue import EXPORT_IDS, EXPORTS, KIND_DTYPES, KINDS, NUMERIC_KINDS, TEXT_KINDS
from sparkdesk.exports.facts import Facts
from sparkdesk.exports.registry import BUILDERS


def test_every_catalogue_type_has_exactly_one_builder_and_every_builder_a_type():
    assert len(set(EXPORT_IDS)) == len(EXPORT_IDS) == 12
    assert sorted(BUILDERS) == sorted(EXPORT_IDS)


def test_a_builder_needs_only_shared_definitions_of_the_facts():
    for type_id, builder in BUILDERS.items():
        assert builder.needs, type_id
        assert len(set(builder.needs)) == len(builder.needs), type_id
        for name in builder.needs:
            assert isinstance(inspect.getattr_static(Facts, name, None), cached_property), (type_id, name)


def test_a_type_with_content_is_the_one_whose_builder_can_leave_it_out():
    for e in EXPORTS:
        takes = "include_content" in inspect.signature(BUILDERS[e.id].build).parameters
        assert takes == e.has_content, e.id
    assert [e.id for e in EXPORTS if e.has_content] == ["message"]


def test_the_window_describes_every_catalogue_type_and_kind():
    from sparkdesk.gui.help import export_description, export_help, kind_help

    for e in EXPORTS:
        assert export_description(e.id) and export_help(e.id), e.id
    assert all(kind_help(kind) for kind in KINDS)


def test_every_column_has_a_known_kind():
    assert set(KINDS) == set(KIND_DTYPES) and TEXT_KINDS | NUMERIC_KINDS < set(KINDS)
    assert {c.kind for e in EXPORTS for c in e.columns} == set(KINDS)
