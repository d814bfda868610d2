"""Data-service requests: conditions, BROWSE/COUNT bodies, and how an interrupted read resumes.

Column names: callers may write the data-dictionary alias (``"AN8"``) or the qualified form
(``"F0101.AN8"``); requests always carry ``<table>.<alias>`` and rows come back as ``<table>_<alias>``
(reference §1). Values in conditions are written as AIS expects them: dates in the user's date
format (``DatePattern``), times as ``HHMMSS``, decimals without exponent. Floats and ambiguous
``datetime`` values are refused: an amount must be exact and a date column holds no time.

Resuming (``ResumePlan``): every browse is ordered by the caller's ``order_by`` followed by the
table's primary-key columns, so the order is total. After any interruption the read continues right
after the last row it yielded, expressed with confirmed operators only (``EQUAL`` and
``GREATER``/``LESS`` under ``MATCH_ALL``): for an order ``(a, b, c)`` and last row ``(x, y, z)`` the
continuation is three queries, run in turn::

    a = x AND b = y AND c > z      (the rest of the current group)
    a = x AND b > y
    a > x

Their union is exactly the rows after ``(x, y, z)`` in the server's own order (the server compares,
so its collation is the one that counts), with nothing lost or repeated even if rows were added or
changed meanwhile. A nested ``complexQuery`` could say the same in one request, but its semantics are
unconfirmed, so it is not used. When the caller's conditions are ``MATCH_ANY`` (our conditions cannot
be ANDed to them without ``complexQuery``) or an order value cannot be written back as a condition
(a blank date), the read re-runs the query from the start and skips the rows already yielded,
checking that the last skipped row is the one it yielded last (exact, or a loud error).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from connector_resources.jde.dates import DatePattern, parse_jde_date, time_to_hhmmss
from connector_resources.jde.errors import JdeInputError

MatchType = Literal["MATCH_ALL", "MATCH_ANY"]
Direction = Literal["ASC", "DESC"]

# Operators seen in JSON from public clients (reference §2.5), then the Java API's between / in-list /
# contains / ends-with whose JSON spellings are the reference's likely ones (unconfirmed).
CONFIRMED_OPERATORS = frozenset(
    {"EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "STR_START_WITH"}
)
LIKELY_OPERATORS = frozenset({"BETWEEN", "LIST", "STR_CONTAIN", "STR_END_WITH"})
OPERATORS = CONFIRMED_OPERATORS | LIKELY_OPERATORS
SPECIAL_VALUES = frozenset(
    {
        "LITERAL",
        "TODAY",
        "TODAY_PLUS_DAY",
        "TODAY_MINUS_DAY",
        "TODAY_PLUS_MONTH",
        "TODAY_MINUS_MONTH",
        "TODAY_PLUS_YEAR",
        "TODAY_MINUS_YEAR",
    }
)

# Primary keys of the tables the connector reads (reference §3), in the order rows are sorted by.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "F0101": ("AN8",),
    "F0401": ("AN8",),
    "F0901": ("AID",),
    "F4301": ("KCOO", "DOCO", "DCTO", "SFXO"),
    "F4311": ("KCOO", "DOCO", "DCTO", "SFXO", "LNID"),
    "F0411": ("KCO", "DOC", "DCT", "SFX", "SFXE"),
    "F0411Z1": ("EDUS", "EDBT", "EDTN", "EDLN"),
    "F0911Z1": ("EDUS", "EDBT", "EDTN", "EDLN"),
    "F0911": ("KCO", "DCT", "DOC", "DGJ", "JELN", "EXTL", "LT"),
    "F0010": ("CO",),  # Company Constants: each company's fiscal pattern and current periods
    "F0008": ("DTPN", "DFYJ", "FQ"),  # Date Fiscal Patterns: a pattern's period end dates per fiscal year
    "F0006": ("MCU",),  # Business Unit Master: a business unit a refusal named, looked for once it exists
    "F0013": ("CRCD",),  # Currency Codes: a currency a refusal named (59AE)
    "F0015": ("CRCD", "CRDC", "AN8", "RTTYP", "EFT"),  # Exchange Rates: from, to, address, rate type, date
    "F0414": ("PYID", "RC5"),  # A/P payment detail (payment, line): read for a payment JDE already holds
    "F0116": ("AN8", "EFTB"),  # Address by Date: not in the reference, general JDE knowledge
    "F0115": ("AN8", "IDLN", "RCK7"),  # Contact Phone Numbers (as jde.supplier_details reads them)
    "F01151": ("AN8", "IDLN", "RCK7"),  # Electronic Address (as jde.supplier_details reads them)
}

# Date columns (Julian CYYDDD in the database, rendered as dates by AIS) of the tables we use, from
# the reference's column lists. Listed, not guessed from the name: JDE's "ends in J" convention has
# exceptions both ways (OBJ is the object account, BALJ a flag; DGL, URDT and EDDT are dates). A
# caller reading another date column names it with ``browse(..., date_columns=[...])``.
DATE_ALIASES = frozenset(
    {
        "UPMJ",  # date updated (every table)
        "TRDJ", "DRQJ", "PDDJ", "OPDJ", "ADDJ", "CNDJ", "PEFJ", "PPDJ", "PSDJ",  # orders
        "DSVJ", "DGL", "DIVJ", "DDJ", "DDNJ", "DGJ", "DICJ", "DSYJ", "HDGJ",  # ledgers
        "EDDT",  # EDI transmission date (Z tables)
        "URDT",  # user-reserved date
        "EFTB",  # F0116 beginning effective date (general JDE knowledge, not in the reference)
        "DFYJ", "APFJ", "ARFJ", "DFF",  # fiscal year starts (F0010, F0008)
        "EFT",  # F0015 effective date of an exchange rate
        *(f"D{n:02d}J" for n in range(1, 15)),  # F0008 period end dates
    }
)  # fmt: skip
TIME_ALIASES = frozenset({"UPMT", "TDAY"})

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def is_date_alias(alias: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether a data-dictionary alias names a date column (``DATE_ALIASES`` plus ``extra``)."""
    alias = alias.upper()
    return alias in DATE_ALIASES or alias in extra


def check_name(kind: str, name: str) -> str:
    """A table or alias name as AIS spells it; refuse anything else before it reaches a request."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise JdeInputError(f"{kind} {name!r} is not a JDE name (letters and digits, e.g. F0101 / AN8)")
    return name.upper()


def qualify(table: str, column: str) -> str:
    """``"AN8"`` -> ``"F0101.AN8"``; an already qualified ``"F0101.AN8"`` (or a view's underlying
    table) is kept; ``"F0101_AN8"`` (the row spelling) is accepted too."""
    text = column.strip()
    for sep in (".", "_"):
        if sep in text:
            owner, alias = text.split(sep, 1)
            return f"{check_name('table', owner)}.{check_name('column', alias)}"
    return f"{check_name('table', table)}.{check_name('column', text)}"


def alias_of(column: str) -> str:
    """``"F0101.AN8"`` / ``"F0101_AN8"`` / ``"AN8"`` -> ``"AN8"``."""
    for sep in (".", "_"):
        if sep in column:
            return column.split(sep, 1)[1]
    return column


def row_key(qualified: str) -> str:
    """The key a row uses for a qualified column: ``F0101.AN8`` -> ``F0101_AN8``."""
    return qualified.replace(".", "_", 1)


def jde_text(value: Any, what: str, date_pattern: DatePattern) -> str:
    """One value as the string AIS takes, in a query condition and an orchestration input alike: text as
    it is, whole numbers and Decimals exactly, dates in ``date_pattern``, times as HHMMSS. A float (it has
    lost the exact amount), a boolean (JDE has none) or a datetime (JDE keeps the date and the time in
    separate columns) is refused, ``what`` naming the value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise JdeInputError(f"{what}: booleans have no JDE form; send the flag JDE expects (e.g. 'Y'/'N')")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise JdeInputError(f"{what}: {value} is not a finite number")
        return format(value, "f")
    if isinstance(value, float):
        raise JdeInputError(f"{what}: {value!r} is a float; pass a Decimal, an int or a string")
    if isinstance(value, datetime):
        raise JdeInputError(
            f"{what}: {value!r} is a datetime; JDE keeps the date and the time in separate columns, so "
            "pass a date (e.g. UPMJ) and a time (e.g. UPMT) separately"
        )
    if isinstance(value, date):
        return date_pattern.format(value)
    if isinstance(value, time):
        return str(time_to_hhmmss(value))
    raise JdeInputError(f"{what}: cannot send a {type(value).__name__} ({value!r})")


def format_value(value: Any, *, column: str, date_pattern: DatePattern) -> str:
    """One condition value as the ``content`` string AIS expects; JdeInputError names the column."""
    if value is None:
        raise JdeInputError(f"condition on {column}: None is not a value JDE can compare with")
    return jde_text(value, f"condition on {column}", date_pattern)


@dataclass(frozen=True)
class Condition:
    """One data-service condition: ``Condition("F4301.UPMJ", "GREATER_EQUAL", date(2025, 2, 1))``.

    ``column`` is an alias or a qualified name; ``operator`` one of ``OPERATORS``; ``value`` a
    string, int, Decimal, date or time, or for ``BETWEEN`` a pair and for ``LIST`` a sequence.
    ``special`` is ``LITERAL`` or one of the ``TODAY...`` specials (``value`` then is the number of
    days / months / years).
    """

    column: str
    operator: str
    value: Any
    special: str = "LITERAL"

    def __post_init__(self) -> None:
        operator = str(self.operator).strip().upper()
        if operator not in OPERATORS:
            raise JdeInputError(
                f"condition on {self.column}: unknown operator {self.operator!r}; one of {sorted(OPERATORS)}"
            )
        object.__setattr__(self, "operator", operator)
        special = str(self.special).strip().upper()
        if special not in SPECIAL_VALUES:
            raise JdeInputError(f"condition on {self.column}: unknown special value {self.special!r}")
        object.__setattr__(self, "special", special)
        if operator == "BETWEEN" and (not _is_sequence(self.value) or len(self.value) != 2):
            raise JdeInputError(f"condition on {self.column}: BETWEEN needs a (low, high) pair")
        if operator == "LIST" and (not _is_sequence(self.value) or not self.value):
            raise JdeInputError(f"condition on {self.column}: LIST needs a non-empty sequence of values")

    def values(self) -> list[Any]:
        return list(self.value) if self.operator in ("BETWEEN", "LIST") else [self.value]

    def to_json(self, table: str, date_pattern: DatePattern) -> dict[str, Any]:
        column = qualify(table, self.column)
        return {
            "controlId": column,
            "operator": self.operator,
            "value": [
                {
                    "content": format_value(v, column=column, date_pattern=date_pattern),
                    "specialValueId": self.special,
                }
                for v in self.values()
            ],
        }


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def query_json(
    table: str, conditions: Sequence[Condition], match: MatchType, date_pattern: DatePattern
) -> dict[str, Any]:
    return {
        "autoFind": True,
        "matchType": match,
        "autoClear": False,
        "condition": [c.to_json(table, date_pattern) for c in conditions],
    }


def target_type(table: str) -> str:
    """Business views are named ``V...``; everything else is a table."""
    return "view" if table.upper().startswith("V") else "table"


def count_body(
    table: str, conditions: Sequence[Condition], match: MatchType, date_pattern: DatePattern
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "targetName": table,
        "targetType": target_type(table),
        "dataServiceType": "COUNT",
        "outputType": "GRID_DATA",
        "aliasNaming": True,
    }
    if conditions:
        body["query"] = query_json(table, conditions, match, date_pattern)
    return body


@dataclass(frozen=True)
class OrderColumn:
    column: str  # qualified
    direction: Direction = "ASC"


@dataclass
class BrowseSpec:
    """Everything that defines one browse; ``body`` writes the request for one (sub-)query."""

    table: str
    columns: tuple[str, ...] | None  # qualified; None = all columns
    conditions: tuple[Condition, ...]
    match: MatchType
    order: tuple[OrderColumn, ...]
    page_size: int
    date_aliases: frozenset[str] = frozenset()  # dates beyond ``DATE_ALIASES``

    @classmethod
    def build(
        cls,
        table: str,
        *,
        page_size: int,
        columns: Sequence[str] | None = None,
        conditions: Sequence[Condition] = (),
        match: str = "MATCH_ALL",
        order_by: Sequence[tuple[str, str]] = (),
        key_columns: Sequence[str] | None = None,
        date_columns: Sequence[str] = (),
    ) -> BrowseSpec:
        """Validate the caller's request and complete the order with the key (see module doc)."""
        table = check_name("table", table)
        match = str(match).upper()
        if match not in ("MATCH_ALL", "MATCH_ANY"):
            raise JdeInputError(f"browse {table}: match must be MATCH_ALL or MATCH_ANY, got {match!r}")
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise JdeInputError(f"browse {table}: page_size must be a positive integer, got {page_size!r}")
        for condition in conditions:
            if not isinstance(condition, Condition):
                raise JdeInputError(
                    f"browse {table}: conditions must be Condition objects, got {condition!r}"
                )
        keys = tuple(key_columns) if key_columns is not None else TABLE_KEYS.get(table)
        if not keys:
            raise JdeInputError(
                f"browse {table}: its key columns are not known; pass key_columns=... so an "
                "interrupted read can resume exactly where it stopped"
            )
        order: list[OrderColumn] = []
        for item in order_by:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise JdeInputError(
                    f"browse {table}: order_by items are (column, 'ASC'|'DESC'), got {item!r}"
                )
            column, direction = item
            direction = str(direction).upper()
            if direction not in ("ASC", "DESC"):
                raise JdeInputError(f"browse {table}: order direction for {column} must be ASC or DESC")
            order.append(OrderColumn(qualify(table, column), direction))  # type: ignore[arg-type]
        present = {o.column for o in order}
        for key in keys:
            qualified = qualify(table, key)
            if qualified not in present:
                order.append(OrderColumn(qualified, "ASC"))
                present.add(qualified)
        wanted: tuple[str, ...] | None = None
        if columns is not None:
            listed = [qualify(table, c) for c in columns]
            # The order columns must come back: resuming needs the last row's values.
            wanted = tuple(dict.fromkeys(listed + [o.column for o in order]))
        dates = frozenset(alias_of(qualify(table, c)) for c in date_columns)
        return cls(table, wanted, tuple(conditions), match, tuple(order), page_size, dates)  # type: ignore[arg-type]

    @cached_property
    def order_keys(self) -> tuple[str, ...]:
        """The row keys (``F4311_DOCO``) of the order columns."""
        return tuple(row_key(o.column) for o in self.order)

    @property
    def can_continue_by_key(self) -> bool:
        """Our continuation conditions can be ANDed to the caller's (see module doc)."""
        return self.match == "MATCH_ALL" or len(self.conditions) <= 1

    def body(
        self,
        extra: Sequence[Condition],
        date_pattern: DatePattern,
        *,
        paged: bool = True,
        next_page_interval_ms: int | None = None,
    ) -> dict[str, Any]:
        """The BROWSE request for the caller's conditions plus ``extra`` (continuation) ones.

        ``paged``: ask for next-page links (``enableNextPageProcessing``), with ``nextPageTimeInterval``
        when ``next_page_interval_ms`` is given (Oracle, "Example - Links Section in a Data Service
        Response": omitted, the server pre-fetches in the background every 5 s; 1000 ms or less, never;
        more, for that long)."""
        conditions = list(self.conditions) + list(extra)
        match = self.match if not extra else "MATCH_ALL"
        body: dict[str, Any] = {
            "targetName": self.table,
            "targetType": target_type(self.table),
            "dataServiceType": "BROWSE",
            "maxPageSize": str(self.page_size),
            "findOnEntry": "TRUE",
            "outputType": "GRID_DATA",
            "aliasNaming": True,
            "enableNextPageProcessing": paged,
            "aggregation": {"orderBy": [{"column": o.column, "direction": o.direction} for o in self.order]},
        }
        if paged and next_page_interval_ms is not None:
            body["nextPageTimeInterval"] = next_page_interval_ms
        if self.columns is not None:
            body["returnControlIDs"] = "|".join(self.columns)
        if conditions:
            body["query"] = query_json(self.table, conditions, match, date_pattern)  # type: ignore[arg-type]
        return body


@dataclass(frozen=True)
class ResumePoint:
    """The order values of the last row yielded, as the server sent them (raw JSON values)."""

    values: tuple[Any, ...]


def resume_value(
    raw: Any, column: str, date_pattern: DatePattern, extra_dates: frozenset[str] = frozenset()
) -> Any | None:
    """A raw order value written back so a condition can compare with it; None when it cannot be.

    Strings and numbers go back exactly as the server sent them. Dates are re-written in the
    condition date format, since rows and conditions may use different formats (unconfirmed).
    """
    if raw is None or isinstance(raw, bool):
        return None
    if is_date_alias(alias_of(column), extra_dates):
        try:
            # A date object: Condition.to_json writes it in the condition date format.
            return parse_jde_date(raw, date_pattern)
        except ValueError:
            return None
    if isinstance(raw, str | int | Decimal):
        return raw
    return None


def continuation(
    spec: BrowseSpec, point: ResumePoint | None, date_pattern: DatePattern
) -> list[list[Condition]] | None:
    """The extra condition lists whose queries, in turn, read exactly the rows after ``point``.

    ``[[]]`` (the original query) when nothing was yielded yet; None when continuing by key is not
    possible and the caller must re-read and skip instead.
    """
    if point is None:
        return [[]]
    if not spec.can_continue_by_key:
        return None
    values = [
        resume_value(v, o.column, date_pattern, spec.date_aliases)
        for v, o in zip(point.values, spec.order, strict=True)
    ]
    if any(v is None for v in values):
        return None
    queries: list[list[Condition]] = []
    for depth in range(len(spec.order), 0, -1):
        extra = [
            Condition(o.column, "EQUAL", v) for o, v in zip(spec.order[: depth - 1], values, strict=False)
        ]
        last = spec.order[depth - 1]
        extra.append(
            Condition(last.column, "GREATER" if last.direction == "ASC" else "LESS", values[depth - 1])
        )
        queries.append(extra)
    return queries


def order_values(spec: BrowseSpec, raw_row: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The row's raw values for the order columns, or None if the server left one out."""
    try:
        return tuple([raw_row[key] for key in spec.order_keys])
    except KeyError:
        return None
