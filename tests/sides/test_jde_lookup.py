"""``browse_in`` asks for keys with confirmed operators only, in batches, each key once."""

from typing import Any

from connector_assets.jde.lookup import LOOKUP_BATCH, browse_in
from connector_resources.jde.query import CONFIRMED_OPERATORS


class RecordingSession:
    """Answers each browse with one row per EQUAL value, and keeps what was asked."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def browse(self, table: str, *, columns, conditions, match) -> list[dict]:
        self.calls.append({"table": table, "columns": columns, "conditions": conditions, "match": match})
        return [{f"{table}_AN8": c.value} for c in conditions]


def test_keys_are_asked_as_match_any_of_equal_in_batches_each_once() -> None:
    session = RecordingSession()
    keys = [*range(1, LOOKUP_BATCH + 51), 7, 7]
    rows = list(browse_in(session, "F0101", "AN8", keys, ["AN8", "ALPH"]))
    assert [r["F0101_AN8"] for r in rows] == list(range(1, LOOKUP_BATCH + 51))
    assert [len(c["conditions"]) for c in session.calls] == [LOOKUP_BATCH, 50]
    for call in session.calls:
        assert call["match"] == "MATCH_ANY"
        assert call["columns"] == ["F0101.AN8", "F0101.ALPH"]
        assert {c.operator for c in call["conditions"]} <= CONFIRMED_OPERATORS
        assert {c.column for c in call["conditions"]} == {"F0101.AN8"}


def test_no_keys_make_no_request() -> None:
    session = RecordingSession()
    assert list(browse_in(session, "F0101", "AN8", [], ["AN8"])) == []
    assert session.calls == []
