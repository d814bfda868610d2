"""Turns AIS data-service query JSON into SQL over the simulated tables.

Supported: the operators public clients send (EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER,
GREATER_EQUAL, STR_START_WITH) and, as the reference's most likely spellings of the Java API's
between / in-list / contains / ends-with conditions (unconfirmed), BETWEEN, LIST, STR_CONTAIN and
STR_END_WITH; ``matchType`` MATCH_ALL / MATCH_ANY; nested ``complexQuery``; ``specialValueId``
LITERAL and the TODAY family. String comparisons are case-sensitive, as on the real database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from .currency import COMMON_SCALE, comparable_sql
from .dates import COMPACT_PATTERN, ISO_PATTERN, DatePattern, add_months, from_julian, to_julian
from .errors import bad_request
from .store import quote
from .tables import Column, Kind, Table

_COMPARISONS = {
    "EQUAL": "=",
    "NOT_EQUAL": "<>",
    "LESS": "<",
    "LESS_EQUAL": "<=",
    "GREATER": ">",
    "GREATER_EQUAL": ">=",
}
_STRING_OPERATORS = {"STR_START_WITH", "STR_END_WITH", "STR_CONTAIN"}
OPERATORS = frozenset({*_COMPARISONS, *_STRING_OPERATORS, "BETWEEN", "LIST"})
# The Java API's between / in-list / contains / ends-with: JSON spellings unconfirmed (reference 2.5).
UNCONFIRMED_OPERATORS = frozenset({"BETWEEN", "LIST", "STR_CONTAIN", "STR_END_WITH"})
_DAY_SPECIALS = {"TODAY_PLUS_DAY": 1, "TODAY_MINUS_DAY": -1}
_MONTH_SPECIALS = {
    "TODAY_PLUS_MONTH": 1,
    "TODAY_MINUS_MONTH": -1,
    "TODAY_PLUS_YEAR": 12,
    "TODAY_MINUS_YEAR": -12,
}
SPECIAL_VALUES = frozenset({"LITERAL", "TODAY", *_DAY_SPECIALS, *_MONTH_SPECIALS})


@dataclass(frozen=True)
class ValueContext:
    """What a condition value is interpreted against: the user's date format and the server's today."""

    date_pattern: DatePattern
    today: dt.date
    lenient_dates: bool
    # False plays a server that knows only the operators public clients were seen sending (setting
    # ``unconfirmed_operators``): BETWEEN, LIST, STR_CONTAIN and STR_END_WITH are then refused.
    unconfirmed_operators: bool = True


def resolve_column(table: Table, control_id: Any, where: str) -> Column:
    """``F4301.DOCO`` -> the column; a bad id names the request field it came from."""
    if not isinstance(control_id, str) or "." not in control_id:
        raise bad_request(f"{where}: {control_id!r} is not a column id of the form {table.name}.<ALIAS>")
    table_name, alias = control_id.split(".", 1)
    if table_name != table.name:
        raise bad_request(f"{where}: {control_id!r} belongs to {table_name}, but the target is {table.name}")
    column = table.by_alias.get(alias)
    if column is None:
        raise bad_request(f"{where}: {control_id!r} is not a column of {table.name} in this sandbox")
    return column


def _parse_date(text: str, context: ValueContext, where: str) -> int:
    try:
        return to_julian(context.date_pattern.parse(text))
    except ValueError as exc:
        if not context.lenient_dates:
            raise bad_request(f"{where}: {exc} (the logged-in user's simpleDateFormat)") from exc
    # Lenient fallback behind a setting: formats integrators commonly assume (reference 2.5).
    stripped = text.strip()
    for pattern in (COMPACT_PATTERN, ISO_PATTERN):
        try:
            return to_julian(pattern.parse(stripped))
        except ValueError:
            continue
    if stripped.isdigit() and len(stripped) <= 6:
        try:
            from_julian(int(stripped))
            return int(stripped)
        except ValueError:
            pass
    raise bad_request(
        f"{where}: {text!r} is neither {context.date_pattern.pattern}, yyyyMMdd, yyyy-MM-dd nor CYYDDD"
    )


def _special_date(special: str, content: Any, context: ValueContext, where: str) -> int:
    if special == "TODAY":
        return to_julian(context.today)
    try:
        amount = int(str(content).strip() or "0")
    except ValueError as exc:
        raise bad_request(f"{where}: {special} needs a whole number in content, got {content!r}") from exc
    if special in _DAY_SPECIALS:
        return to_julian(context.today + dt.timedelta(days=amount * _DAY_SPECIALS[special]))
    return to_julian(add_months(context.today, amount * _MONTH_SPECIALS[special]))


def stored_value(column: Column, item: Any, context: ValueContext, where: str, *, pad: bool = True) -> Any:
    """One ``{"content", "specialValueId"}`` value as the database stores it for ``column``."""
    if not isinstance(item, dict):
        raise bad_request(f"{where}: each value must be an object with content and specialValueId")
    special = item.get("specialValueId", "LITERAL")  # absent is treated as LITERAL
    content = item.get("content", "")
    if special not in SPECIAL_VALUES:
        raise bad_request(f"{where}: specialValueId {special!r} is not one of {sorted(SPECIAL_VALUES)}")
    if special != "LITERAL":
        if column.kind is not Kind.DATE:
            raise bad_request(f"{where}: {special} applies to date columns; {column.alias} is not a date")
        return _special_date(special, content, context, where)
    text = "" if content is None else str(content)
    if column.kind is Kind.STRING:
        text = text.rstrip()  # JDE stores character data without trailing blanks; " " means blank
        if len(text) > column.length:
            raise bad_request(f"{where}: {text!r} is longer than {column.alias}'s {column.length} characters")
        return text.rjust(column.length) if column.right_justified and pad and text else text
    if column.kind is Kind.DATE:
        return _parse_date(text, context, where)
    try:
        number = Decimal(text.strip())
    except InvalidOperation as exc:
        raise bad_request(f"{where}: {text!r} is not a number for {column.alias}") from exc
    scaled = number.scaleb(column.decimals)
    if scaled != scaled.to_integral_value():
        raise bad_request(f"{where}: {text!r} has more than {column.decimals} decimals for {column.alias}")
    return int(scaled)


def condition_sql(table: Table, condition: Any, context: ValueContext, where: str) -> tuple[str, list[Any]]:
    if not isinstance(condition, dict):
        raise bad_request(f"{where}: a condition must be an object")
    column = resolve_column(table, condition.get("controlId"), f"{where}.controlId")
    operator = condition.get("operator")
    known = OPERATORS if context.unconfirmed_operators else OPERATORS - UNCONFIRMED_OPERATORS
    if operator not in known:
        raise bad_request(f"{where}.operator: {operator!r} is not one of {sorted(known)}")
    values = condition.get("value")
    if not isinstance(values, list) or not values:
        raise bad_request(f"{where}.value: a non-empty list of values is required")
    target = quote(column.alias)
    foreign = table.foreign_by_alias.get(column.alias)
    if foreign is not None:
        # Rows of different currencies store the same amount at different scales: compare at a common one.
        target = comparable_sql(table, foreign, column.decimals)
        column = replace(column, decimals=COMMON_SCALE)
    if operator in _STRING_OPERATORS:
        if column.kind is not Kind.STRING:
            raise bad_request(f"{where}.operator: {operator} needs a character column; {column.alias} is not")
        # Business units are compared on their trimmed value for string matching.
        target = f"ltrim({target})" if column.right_justified else target
        text = stored_value(column, values[0], context, f"{where}.value[0]", pad=False)
        if operator == "STR_START_WITH":
            return f"substr({target}, 1, length(?)) = ?", [text, text]
        if operator == "STR_END_WITH":
            return f"(length(?) = 0 OR substr({target}, -length(?)) = ?)", [text, text, text]
        return f"instr({target}, ?) > 0", [text]
    converted = [stored_value(column, item, context, f"{where}.value[{i}]") for i, item in enumerate(values)]
    if operator == "BETWEEN":
        if len(converted) != 2:
            raise bad_request(f"{where}.value: BETWEEN takes exactly two values, got {len(converted)}")
        return f"{target} BETWEEN ? AND ?", converted
    if operator == "LIST":
        return f"{target} IN ({', '.join('?' for _ in converted)})", converted
    return f"{target} {_COMPARISONS[operator]} ?", [converted[0]]


def query_sql(table: Table, query: Any, context: ValueContext, where: str = "query") -> tuple[str, list[Any]]:
    """WHERE clause (without the keyword) for a ``query`` object; ``"1=1"`` when it has no conditions."""
    if query is None:
        return "1=1", []
    if not isinstance(query, dict):
        raise bad_request(f"{where}: must be an object")
    match_type = query.get("matchType", "MATCH_ALL")
    if match_type not in ("MATCH_ALL", "MATCH_ANY"):
        raise bad_request(f"{where}.matchType: {match_type!r} is not MATCH_ALL or MATCH_ANY")
    conditions = query.get("condition") or []
    if not isinstance(conditions, list):
        raise bad_request(f"{where}.condition: must be a list")
    parts, params = [], []
    for index, condition in enumerate(conditions):
        sql, values = condition_sql(table, condition, context, f"{where}.condition[{index}]")
        parts.append(f"({sql})")
        params.extend(values)
    clause = (" AND " if match_type == "MATCH_ALL" else " OR ").join(parts)
    complex_query = query.get("complexQuery") or []
    if not isinstance(complex_query, list):
        raise bad_request(f"{where}.complexQuery: must be a list")
    for index, entry in enumerate(complex_query):
        path = f"{where}.complexQuery[{index}]"
        if not isinstance(entry, dict):
            raise bad_request(f"{path}: must be an object with andOr and query")
        joiner = entry.get("andOr", "AND")
        if joiner not in ("AND", "OR"):
            raise bad_request(f"{path}.andOr: {joiner!r} is not AND or OR")
        sql, values = query_sql(table, entry.get("query"), context, f"{path}.query")
        # Entries fold left to right onto what came before; the first entry's andOr has nothing to join.
        clause = f"({clause}) {joiner} ({sql})" if clause else f"({sql})"
        params.extend(values)
    return clause or "1=1", params


def order_sql(table: Table, aggregation: Any) -> str:
    """ORDER BY for ``aggregation.orderBy``, always ending with the primary key so paging is stable."""
    order_by: Sequence[Any] = []
    if aggregation is not None:
        if not isinstance(aggregation, dict):
            raise bad_request("aggregation: must be an object")
        order_by = aggregation.get("orderBy") or []
        if not isinstance(order_by, list):
            raise bad_request("aggregation.orderBy: must be a list")
    terms, seen = [], set()
    for index, entry in enumerate(order_by):
        where = f"aggregation.orderBy[{index}]"
        if not isinstance(entry, dict):
            raise bad_request(f"{where}: must be an object with column and direction")
        column = resolve_column(table, entry.get("column"), f"{where}.column")
        direction = entry.get("direction", "ASC")
        if direction not in ("ASC", "DESC"):
            raise bad_request(f"{where}.direction: {direction!r} is not ASC or DESC")
        foreign = table.foreign_by_alias.get(column.alias)
        term = comparable_sql(table, foreign, column.decimals) if foreign else quote(column.alias)
        terms.append(f"{term} {direction}")
        seen.add(column.alias)
    terms.extend(f"{quote(alias)} ASC" for alias in table.key if alias not in seen)
    return ", ".join(terms)
