"""The one walk every client sends a body through: money exact, floats refused by record and field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector_resources.http.wire_values import WireRules, query_text, wire_body


class Refused(ValueError):
    def __init__(self, record: str, path: str, problem: str) -> None:
        super().__init__(f"{record} | {path} | {problem}")
        self.path = path


RULES = WireRules(refuse=Refused, moment=lambda value, record, path: value.isoformat())


def test_amounts_dates_and_nesting_go_out_exactly():
    body = {
        "amount": Decimal("245.10"),
        "big": Decimal("1E+2"),
        "on": date(2025, 4, 1),
        "at": datetime(2025, 4, 1, 9, tzinfo=UTC),
        "lines": [{"qty": 3, "ok": True, "note": None}],
    }
    assert wire_body(body, "po 1", RULES) == {
        "amount": "245.10",
        "big": "100",
        "on": "2025-04-01",
        "at": "2025-04-01T09:00:00+00:00",
        "lines": [{"qty": 3, "ok": True, "note": None}],
    }


def test_refusals_name_the_record_and_the_field_path():
    with pytest.raises(Refused, match=r"po 1 \| lines\[1\]\.price \| 0\.1 is a binary float") as caught:
        wire_body({"lines": [{"price": Decimal(1)}, {"price": 0.1}]}, "po 1", RULES)
    assert caught.value.path == "lines[1].price"
    with pytest.raises(Refused, match=r"x \| NaN is not a finite number"):
        wire_body({"x": Decimal("NaN")}, "po 1", RULES)
    with pytest.raises(Refused, match=r"lines\[0\]\.3 \| field names must be non-empty strings"):
        wire_body({"lines": [{3: "a"}]}, "po 1", RULES)
    with pytest.raises(Refused, match=r"tags \| a set cannot be sent as JSON"):
        wire_body({"tags": {"a"}}, "po 1", RULES)


def test_an_api_states_its_own_numbering_dropped_attributes_amounts_and_strings():
    rules = WireRules(
        refuse=Refused,
        moment=RULES.moment,
        first_index=1,
        dropped=frozenset({"Status"}),
        amount=lambda value, record, path: value,
        text=lambda value, record, path: Decimal(value) if path.endswith("amount") else value,
    )
    body = {"Status": "X", "lines": [{"Status": "Y", "amount": "1.50", "name": "a"}], "total": Decimal("2")}
    assert wire_body(body, "bill", rules) == {
        "lines": [{"amount": Decimal("1.50"), "name": "a"}],
        "total": Decimal("2"),
    }
    with pytest.raises(Refused, match=r"lines\[2\] \| 2\.5 is a binary float"):
        wire_body({"lines": [1, 2.5]}, "bill", rules)


def test_query_arguments_follow_the_same_rules():
    assert query_text(True, "active", RULES) == "true"
    assert query_text(Decimal("10.50"), "total", RULES) == "10.50"
    assert query_text(date(2025, 1, 2), "date", RULES) == "2025-01-02"
    with pytest.raises(Refused, match=r"filter \| total \| 1\.5 is a binary float"):
        query_text(1.5, "total", RULES)
    with pytest.raises(Refused, match=r"filter \| ids \| a list cannot be sent as a query value"):
        query_text([1], "ids", RULES)
