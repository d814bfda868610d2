"""List endpoints the Django REST Framework way: django-filter filters, ordering, page-number paging.

The rules a client meets here, all DRF / django-filter defaults:

* unknown query parameters are ignored silently (a client that only *thinks* it filtered gets
  everything, and the call counts of ``/sandbox/state`` show it);
* an empty value means "no filter"; a malformed value of a known filter is a 400 naming the filter
  (``{"modified_date": ["Enter a valid date."]}``); an id that does not exist in a foreign-key filter is
  a 400 too, not an empty page;
* ``X_0`` / ``X_1`` are inclusive from/to bounds; a date bound on a datetime column covers the whole day;
* ``order_by`` takes a comma-separated list of fields, ``-`` for descending; unknown fields are
  ignored; the primary key is always the last sort key so pages never overlap;
* ``page`` is 1-based; ``page_size`` above the cap is clamped, a non-positive or malformed one falls
  back to the default; a page past the end is 404 ``{"detail": "Invalid page."}`` (or an empty page,
  per the ``page_out_of_range`` variant).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

from .errors import detail, invalid
from .formats import day_end, day_start, parse_input_date, parse_input_datetime, stored
from .settings import BehaviourVariants
from .store import Store, quote

_TRUE = {"true", "True", "1"}
_FALSE = {"false", "False", "0"}


@dataclass
class Filters:
    """WHERE clauses built from query parameters; collect errors, then ``check()`` raises one 400."""

    request: Request
    store: Store
    where: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        raw = self.request.query_params.get(name)
        return None if raw is None or raw.strip() == "" else raw.strip()

    def values(self, *names: str) -> list[str]:
        found: list[str] = []
        for name in names:
            found += [v.strip() for v in self.request.query_params.getlist(name) if v.strip()]
        return found

    def add(self, sql: str, *args: Any) -> None:
        self.where.append(sql)
        self.args.extend(args)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise invalid(self.errors)

    def sql(self) -> str:
        return " AND ".join(self.where) if self.where else "1=1"

    # --- date and time ranges ---------------------------------------------------------------------

    def _bounds(
        self,
        name: str,
        column: str,
        parse: Callable[[str, bool], Any],
        message: str,
        suffixes: tuple[str, str] = ("_0", "_1"),
    ) -> None:
        """A from/to pair of parameters, both inclusive; ``parse(raw, is_lower)`` gives None when invalid.

        Every range filter differs only in its suffixes, its parser and its error message.
        """
        for suffix, operator in zip(suffixes, (">=", "<="), strict=True):
            raw = self.value(name + suffix)
            if raw is None:
                continue
            bound = parse(raw, operator == ">=")
            if bound is None:
                self.error(name, message)
                continue
            self.add(f"{column} {operator} ?", bound)

    def date_range(self, name: str, column: str, *, datetime_column: bool = True) -> None:
        """``name_0`` / ``name_1``: django-filter DateFromToRangeFilter (dates, inclusive)."""

        def parse(raw: str, lower: bool) -> str | None:
            day = parse_input_date(raw)
            if day is None:
                return None
            if datetime_column:
                return day_start(day) if lower else day_end(day)
            return day.isoformat()

        self._bounds(name, column, parse, "Enter a valid date.")

    def datetime_range(self, name: str, column: str) -> None:
        """``name_0`` / ``name_1``: DateTimeFromToRangeFilter (Django datetime input, naive = UTC)."""

        def parse(raw: str, _lower: bool) -> str | None:
            moment = parse_input_datetime(raw, date_only_allowed=True)
            return None if moment is None else stored(moment)

        self._bounds(name, column, parse, "Enter a valid date/time.")

    def iso_range(self, name: str, column: str, *, date_column: bool = False) -> None:
        """``name_after`` / ``name_before``: IsoDateTimeFromToRangeFilter (ISO date-times only)."""

        def parse(raw: str, _lower: bool) -> str | None:
            moment = parse_input_datetime(raw, date_only_allowed=False)
            if moment is None:
                return None
            return moment.date().isoformat() if date_column else stored(moment)

        self._bounds(name, column, parse, "Enter a valid date/time.", ("_after", "_before"))

    def number_range(self, name: str, column: str, *, scale: int = 100) -> None:
        """``name_0`` / ``name_1`` on an amount stored in hundredths (RangeFilter)."""

        def parse(raw: str, _lower: bool) -> int | None:
            try:
                number = float(raw)
            except ValueError:
                return None
            return round(number * scale)  # NaN or infinity raise here, as they always have

        self._bounds(name, column, parse, "Enter a number.")

    # --- scalars ----------------------------------------------------------------------------------

    def integer(self, name: str, column: str) -> None:
        raw = self.value(name)
        if raw is None:
            return
        if not raw.lstrip("-").isdigit():
            self.error(name, "Enter a number.")
            return
        self.add(f"{column} = ?", int(raw))

    def choice(self, name: str, column: str, choices: Iterable[Any]) -> None:
        raw = self.value(name)
        if raw is None:
            return
        by_text = {str(choice): choice for choice in choices}
        if raw not in by_text:
            self.error(name, f"Select a valid choice. {raw} is not one of the available choices.")
            return
        self.add(f"{column} = ?", by_text[raw])

    def _is_id_in(self, table: str, raw: str) -> bool:
        return (
            raw.isdigit()
            and self.store.scalar(f"SELECT 1 FROM {quote(table)} WHERE id = ?", (int(raw),)) is not None
        )

    def foreign_key(self, name: str, column: str, table: str) -> None:
        """ModelChoiceFilter: the id must exist, else 400 (not an empty page)."""
        self.related(name, table, f"{column} = ?")

    def related(self, name: str, table: str, clause: str) -> None:
        """A ModelChoiceFilter through another table: ``clause`` has one ``?`` for the (existing) id."""
        raw = self.value(name)
        if raw is None:
            return
        if not self._is_id_in(table, raw):
            self.error(name, "Select a valid choice. That choice is not one of the available choices.")
            return
        self.add(clause, int(raw))

    def foreign_keys(self, names: Sequence[str], column: str, table: str) -> None:
        """ModelMultipleChoiceFilter: repeated parameters (``vendor=1&vendor=2`` or ``vendor[]=``)."""
        raw_values = self.values(*names)
        if not raw_values:
            return
        ids = []
        for raw in raw_values:
            if not self._is_id_in(table, raw):
                self.error(names[0], f"Select a valid choice. {raw} is not one of the available choices.")
                return
            ids.append(int(raw))
        self.add(f"{column} IN ({', '.join('?' for _ in ids)})", *ids)

    def csv(self, name: str, column: str, *, integers: bool, choices: Iterable[str] | None = None) -> None:
        """A comma-separated list (``status=paid,failed``), as the public payments API takes them."""
        raw = self.value(name)
        if raw is None:
            return
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        values: list[Any] = []
        allowed = set(choices) if choices is not None else None
        for part in parts:
            if integers and not part.isdigit():
                self.error(name, f"Enter a whole number: {part!r} is not one.")
                return
            if allowed is not None and part not in allowed:
                self.error(name, f"Select a valid choice. {part} is not one of the available choices.")
                return
            values.append(int(part) if integers else part)
        if values:
            self.add(f"{column} IN ({', '.join('?' for _ in values)})", *values)

    def boolean(self, name: str, when_true: str, when_false: str) -> None:
        """BooleanFilter: true/false/1/0; anything else is treated as absent (django-filter)."""
        raw = self.value(name)
        if raw in _TRUE:
            self.add(when_true)
        elif raw in _FALSE:
            self.add(when_false)

    def flag(self, name: str, column: str) -> None:
        """BooleanFilter on a 0/1 column of the same meaning (``active``, ``in_effect``)."""
        self.boolean(name, f"{column} = 1", f"{column} = 0")

    def text(self, name: str, column: str) -> None:
        raw = self.value(name)
        if raw is not None:
            self.add(f"{column} = ?", raw)

    def search(self, columns: Sequence[str]) -> None:
        """DRF SearchFilter: every word must appear (case-insensitively) in one of the columns."""
        raw = self.value("search")
        if raw is None:
            return
        for word in raw.replace(",", " ").split():
            clause = " OR ".join(f"casefold({column}) LIKE ? ESCAPE '\\'" for column in columns)
            pattern = (
                "%" + word.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            self.add(f"({clause})", *([pattern] * len(columns)))


def ordering(request: Request, allowed: dict[str, str], default: str, tiebreak: str) -> str:
    """ORDER BY from ``order_by`` (DRF OrderingFilter semantics: unknown fields ignored)."""
    terms: list[str] = []
    for field_name in (request.query_params.get("order_by") or "").split(","):
        field_name = field_name.strip()
        descending = field_name.startswith("-")
        column = allowed.get(field_name.lstrip("-"))
        if column:
            terms.append(f"{column} {'DESC' if descending else 'ASC'}")
    if not terms:
        terms.append(default)
    # The key breaks ties so pages never overlap; repeating it (in the other direction) would stop
    # SQLite from walking the primary key and make it sort the whole table instead.
    tiebreak_column = tiebreak.split()[0]
    if any(term.split()[0] == tiebreak_column for term in terms):
        return ", ".join(terms)
    return ", ".join([*terms, tiebreak])


@dataclass(frozen=True)
class PageRequest:
    page: int
    size: int


def page_size(request: Request, variants: BehaviourVariants) -> int:
    """``page_size`` clamped to the cap; a non-positive or malformed one falls back to the default."""
    raw = request.query_params.get("page_size", "")
    if raw.isdigit() and int(raw) > 0:
        return min(int(raw), variants.max_page_size)
    return variants.default_page_size


def page_request(request: Request, variants: BehaviourVariants) -> PageRequest:
    params = request.query_params
    size = page_size(request, variants)
    raw_page = params.get("page", "1") or "1"
    if raw_page == "last":
        return PageRequest(page=-1, size=size)
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise detail(404, "Invalid page.")
    return PageRequest(page=int(raw_page), size=size)


def _with_page(url: str, page: int | None) -> str:
    """DRF's replace/remove_query_param: the query re-encoded with sorted keys."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "page"]
    if page is not None:
        pairs.append(("page", str(page)))
    return urlunsplit((scheme, netloc, path, urlencode(sorted(pairs, key=lambda pair: pair[0])), fragment))


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    pagination: dict[str, Any]


def fetch_page(
    request: Request,
    store: Store,
    variants: BehaviourVariants,
    *,
    select: str,
    from_where: str,
    args: Sequence[Any],
    order: str,
    key: str | None = None,
) -> Page:
    """One page of ``SELECT {select} FROM {from_where} ORDER BY {order}`` with DRF's metadata.

    With ``key`` (the listed table's primary key, e.g. ``o.num``) the page's keys are found first and
    only those rows are then selected, so correlated subqueries in ``select`` run for one page rather
    than for every row SQLite has to sort. ``from_where`` must then end with its WHERE clause.
    """
    wanted = page_request(request, variants)
    count = int(store.scalar(f"SELECT COUNT(*) FROM {from_where}", args))
    num_pages = max(1, math.ceil(count / wanted.size))
    page = num_pages if wanted.page == -1 else wanted.page
    if page > num_pages:
        if variants.page_out_of_range == "not_found":
            raise detail(404, "Invalid page.")
        rows: list[Any] = []
    elif key is None:
        rows = store.all(
            f"SELECT {select} FROM {from_where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*args, wanted.size, (page - 1) * wanted.size),
        )
    else:
        keys = [
            row[0]
            for row in store.all(
                f"SELECT {key} FROM {from_where} ORDER BY {order} LIMIT ? OFFSET ?",
                (*args, wanted.size, (page - 1) * wanted.size),
            )
        ]
        marks = ", ".join("?" for _ in keys) or "NULL"
        found = store.all(
            f"SELECT {select}, {key} AS _page_key FROM {from_where} AND {key} IN ({marks})", (*args, *keys)
        )
        by_key = {row["_page_key"]: row for row in found}
        rows = [by_key[value] for value in keys]
    url = str(request.url)
    next_link = _with_page(url, page + 1) if page < num_pages else None
    previous_link = None
    if 1 < page <= num_pages + 1:
        keep_one = variants.previous_link_page_one == "keep"
        previous_link = _with_page(url, page - 1 if page - 1 > 1 or keep_one else None)
    return Page(
        rows=list(rows),
        pagination={
            "count": count,
            "next": next_link,
            "previous": previous_link,
            "page_size": wanted.size,
            "num_pages": num_pages,
            "current_page": page,
        },
    )
