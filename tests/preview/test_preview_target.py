"""The preview's target wrapper on its own: what it answers in a held write's place, and what it notes."""

from __future__ import annotations

from typing import Any

import pytest
from jde_coupa_parts import SUPPLIERS_FLOW

from connector_assets.flows.records import Created, Mapped
from connector_assets.flows.target_boundary import UNWRAPPED, is_placeholder
from connector_assets.preview.target import PLACEHOLDER, Capture, PreviewTarget, capturing
from connector_resources.coupa.errors import CoupaAmbiguousMatchError
from connector_resources.http.write_hold import hold_write, writes_held


class Target:
    """A target as the write step sees one: its find reads (nothing there), its create and update send a
    write through the HTTP core's hold, as every client's requests do."""

    def __init__(self) -> None:
        self.updated: list[str] = []

    def find(self, record: Mapped) -> str | None:
        return None

    def create(self, record: Mapped) -> str:
        hold_write(
            "coupa",
            "POST",
            "http://coupa.test/api/suppliers",
            authenticate=True,
            kwargs={"json": record.body},
        )
        return "made"

    def update(self, target_id: str, record: Mapped) -> None:
        self.updated.append(target_id)
        hold_write(
            "coupa", "PUT", f"http://coupa.test/api/suppliers/{target_id}", authenticate=True, kwargs={}
        )


def _spec() -> Any:
    return SUPPLIERS_FLOW


def _record(key: str, **natural: Any) -> Mapped:
    return Mapped(key, {"number": key, **natural}, {}, natural_key=natural)


def test_a_second_record_of_a_key_a_held_create_took_finds_that_create(tmp_path):
    capture, target = Capture(tmp_path / "held.sqlite"), Target()
    wrapped = PreviewTarget(_spec(), target, capture)
    first, twin, other = (
        _record("1017", name="Acme Ltd", tax_id="DE1"),
        _record("1018", name=" ACME LTD", tax_id="DE1"),
        _record("1019", name="Acme Ltd", tax_id="DE2"),
    )
    with writes_held():
        assert wrapped.find(first) is None
        made = wrapped.create(first)
        assert isinstance(made, Created) and made.target_id == f"{PLACEHOLDER} 1017"
        assert capture.note_of("suppliers", "1017")["changes"] == first.body  # the body it would POST
        # Same whole key (trimmed, case-folded): a real run's search finds the first one's create.
        assert wrapped.find(twin) == f"{PLACEHOLDER} 1017"
        assert wrapped.find(other) is None  # one field differs: not the same record
    capture.close()


def test_an_update_of_a_record_this_preview_would_create_is_noted_not_sent(tmp_path):
    capture, target = Capture(tmp_path / "held.sqlite"), Target()
    wrapped = PreviewTarget(_spec(), target, capture)
    with writes_held():
        assert wrapped.update(f"{PLACEHOLDER} 1017", _record("1017", name="Acme")) is None
        assert target.updated == []  # the real target never sees a placeholder id
        assert wrapped.update("42", _record("1020", name="Bolt")) is None  # a held PUT: noted as an update
    assert capture.note_of("suppliers", "1017") == {"verdict": "update", "after_create": True, "changes": {}}
    assert capture.note_of("suppliers", "1020")["verdict"] == "update"
    assert target.updated == ["42"]
    capture.close()


def test_a_search_that_matches_several_records_is_ambiguous_and_still_fails_as_in_a_run(tmp_path):
    class Twice(Target):
        def find(self, record: Mapped) -> str | None:
            raise CoupaAmbiguousMatchError(
                "Coupa has 2 suppliers matching name 'Acme' (ids 7, 9); cannot tell which one to use",
                entity="suppliers",
                record="Acme",
            )

    capture = Capture(tmp_path / "held.sqlite")
    wrapped = PreviewTarget(_spec(), Twice(), capture)
    with writes_held(), pytest.raises(CoupaAmbiguousMatchError):  # the run queues it, with these words
        wrapped.find(_record("1017", name="Acme"))
    assert capture.note_of("suppliers", "1017") == {"verdict": "ambiguous"}
    capture.close()


class Putting(Target):
    """A target whose update sends the record's body."""

    def update(self, target_id: str, record: Mapped) -> None:
        hold_write(
            "coupa",
            "PUT",
            f"http://coupa.test/api/suppliers/{target_id}",
            authenticate=True,
            kwargs={"json": record.body},
        )


def test_the_kit_sees_what_the_preview_held_and_the_target_as_it_is_otherwise(tmp_path):
    target, read = Putting(), lambda: {"id": "42", "name": "Bolt", "active": True}
    assert UNWRAPPED.wrap(_spec(), target) is target  # no preview: the write step's target is itself
    with capturing(tmp_path / "held.sqlite") as boundary, writes_held():
        through = boundary.wrap(_spec(), target)
        assert isinstance(through, PreviewTarget)
        made = through.create(_record("1017", name="Acme"))
        through.update("42", _record("1020", name="Bolt Ltd"))
        assert is_placeholder(made.target_id) and boundary.created(made.target_id)
        # A later flow reading them back: the create's body (never read), the update's fields over the read.
        assert (
            boundary.as_written("supplier", made.target_id, lambda: pytest.fail("read"))
            == _record("1017", name="Acme").body
        )
        renamed = {"id": "42", "name": "Bolt Ltd", "active": True, "number": "1020"}
        assert boundary.as_written("supplier", "42", read) == renamed
    assert not UNWRAPPED.created(made.target_id)  # a run outside the preview: nothing held
    assert UNWRAPPED.as_written("supplier", "42", read) == read()
    assert not is_placeholder("42") and not is_placeholder(None)
