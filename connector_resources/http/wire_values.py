"""Python values as an API takes them: the one walk every client sends its request bodies through, and
the one way a query argument is written.

Why one walk: every API here takes money as exact decimals, and a binary float has already lost the
cent it was meant to carry (0.1 is not 0.10), so each client refuses floats and non-finite amounts and
names the record and the field when it does. What differs by API is small and stated as rules: how it
writes a date-time, how it refuses a value (its own input error), whether an amount goes out as a
decimal string or an exact JSON number, how it numbers list items in an error, which attributes are
never sent, and whether a string under a key needs checking. A query argument follows the same rules
(a float in a filter is as wrong as in a body) and adds only ``true`` / ``false`` for booleans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# (record, field path, problem) -> the client's input error; the path is "" for the whole body.
Refusal = Callable[[str, str, str], Exception]


def decimal_string(value: Decimal, record: str, path: str) -> str:
    """An amount as the plain decimal string most APIs document (``245.10``, never ``2.451E+2``)."""
    return format(value, "f")


def same_text(value: str, record: str, path: str) -> str:
    return value


@dataclass(frozen=True)
class WireRules:
    """How one API takes a body (see the module docstring)."""

    refuse: Refusal
    moment: Callable[[datetime, str, str], str]  # (value, record, path) -> the API's date-time text
    amount: Callable[[Decimal, str, str], Any] = decimal_string
    text: Callable[[str, str, str], Any] = same_text  # a string at a path, as the API takes it
    first_index: int = 0  # the number of a list's first item in an error's path
    dropped: frozenset[str] = frozenset()  # attributes never sent (read-only ones)


def wire_body(value: Any, record: str, rules: WireRules, path: str = "") -> Any:
    """``value`` as JSON-ready data under ``rules``; the client's error names ``record`` and the field."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return rules.text(value, record, path)
    if isinstance(value, float):
        problem = f"{value!r} is a binary float; pass amounts as Decimal, int or a decimal string"
        raise rules.refuse(record, path, problem)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise rules.refuse(record, path, f"{value} is not a finite number")
        return rules.amount(value, record, path)
    if isinstance(value, datetime):
        return rules.moment(value, record, path)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                where = f"{path}.{key!r}" if path else repr(key)
                raise rules.refuse(record, where, "field names must be non-empty strings")
            if key not in rules.dropped:
                out[key] = wire_body(item, record, rules, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, list | tuple):
        first = rules.first_index
        return [wire_body(item, record, rules, f"{path}[{n + first}]") for n, item in enumerate(value)]
    raise rules.refuse(record, path, f"a {type(value).__name__} cannot be sent as JSON")


def query_text(value: Any, name: str, rules: WireRules) -> str:
    """One query argument ``name`` as text under ``rules``: booleans ``true`` / ``false``, the rest as in a
    body (the refusal names the record ``filter`` and the field ``name``). Lists are the caller's: APIs
    join or repeat them differently."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | Decimal | date):
        return str(wire_body(value, "filter", rules, name))
    raise rules.refuse("filter", name, f"a {type(value).__name__} cannot be sent as a query value")
