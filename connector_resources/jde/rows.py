"""How a raw AIS row becomes a Python row: alias keys, trimmed text, ``date`` / ``time`` values.

Its own module because it is the one place values are normalised, for every read of the session
(``browse``, ``browse_columns``, ``sample``) and for callers converting rows themselves (``convert_row``,
``row_updated_at``), and because it is the hot loop of a read: how it caches is its own concern, apart
from how pages are fetched.

Rows come out keyed by alias without the table prefix (``"AN8"``, ``"UPMJ"``), normalised in one
place (``normalise_value``): character values trimmed (AIS sends a blank as ``" "``; business units
arrive right-justified), so a blank is ``""``; date columns are ``date`` (None when blank), time
columns (UPMT, TDAY) are ``time``, numbers are ``int`` or ``Decimal`` (JSON is decoded with exact
decimals: ``decode.page_json``). ``row_updated_at`` joins UPMJ with UPMT/TDAY into a ``datetime``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from itertools import chain
from operator import itemgetter
from typing import Any

from connector_resources.jde.dates import DatePattern, jde_datetime, parse_jde_date, parse_jde_time
from connector_resources.jde.decode import ColumnPage
from connector_resources.jde.query import TIME_ALIASES, is_date_alias
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.jde")


def normalise_value(
    alias: str, value: Any, date_pattern: DatePattern, extra_dates: frozenset[str] = frozenset()
) -> Any:
    """The one place a raw AIS value becomes a Python value (see module docstring).

    Strings are trimmed (so AIS's single-space blank becomes ``""``), date columns become ``date``
    (None when blank), time columns ``time``; anything else is returned as parsed from JSON.
    Raises ``ValueError`` for a date or time that cannot be read.
    """
    if value is None or isinstance(value, bool | list | dict):
        return value
    text = value.strip() if isinstance(value, str) else value
    if is_date_alias(alias, extra_dates):
        return parse_jde_date(text, date_pattern)
    if alias in TIME_ALIASES:
        return parse_jde_time(text)
    return text


class RowConverter:
    """Turns GRID_DATA rows (``{"F0101_AN8": 1, ...}``) into alias-keyed rows (``{"AN8": 1, ...}``).

    What each key means (its alias, whether it is a date or a time) is worked out once per key and
    cached, since a read of a hundred thousand rows meets the same dozen keys every time. So are the
    date and time values themselves: a day's read repeats the same few dates (UPMJ is one value) and
    at most 86,400 times, and parsing a date pattern is the costliest step of a row, so each distinct
    raw value is parsed once per read (the cache is bounded). A view can join two tables that share
    an alias (``F0101_AN8`` and ``F0411_AN8``): the first keeps the bare alias, later ones keep their
    qualified key, so no value is silently overwritten.

    A date or time that cannot be read is passed on as its trimmed text and logged with the record
    and field named, not raised: one malformed value must not abort a read of a hundred thousand
    rows. The staging step then refuses that row (naming record and field again) and queues it,
    and the rest of the batch proceeds.
    """

    _PLAIN, _CONVERTED = 0, 1
    _CACHE_LIMIT = 100_000  # distinct values kept per date/time column and read; cleared when full

    def __init__(
        self,
        date_pattern: DatePattern,
        extra_dates: frozenset[str] = frozenset(),
        *,
        table: str = "",
        key_fields: Sequence[str] = (),
    ) -> None:
        self.date_pattern = date_pattern
        self.extra_dates = extra_dates
        self.table = table
        self.key_fields = tuple(key_fields)  # row keys (F4301_DOCO) naming the record in warnings
        self._plan: dict[str, tuple[str, int]] = {}
        # Per alias: raw value -> converted value; only successes are kept.
        self._values: dict[str, dict[Any, Any]] = {}

    def _entry(self, key: str) -> tuple[str, int]:
        """``key``'s alias and kind, worked out the first time the key is seen (``_plan`` keeps it)."""
        alias = key.split("_", 1)[1] if "_" in key else key
        special = is_date_alias(alias, self.extra_dates) or alias in TIME_ALIASES
        entry = self._plan[key] = (alias, self._CONVERTED if special else self._PLAIN)
        return entry

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        plan = self._plan
        for key, value in raw.items():
            alias, kind = plan.get(key) or self._entry(key)
            if alias in out:
                alias = key
            if kind == self._PLAIN:
                out[alias] = value.strip() if type(value) is str else value
            else:
                out[alias] = self._special(alias, value, raw)
        return out

    def columns(
        self, rows: Sequence[Mapping[str, Any]] | ColumnPage, *, strip: bool = True
    ) -> dict[str, list[Any]]:
        """A page as ``{alias: [value per row]}``: the values ``__call__`` gives, a column at a time
        (one list comprehension per column instead of a dict per row); a row lacking a key has None.
        ``strip=False`` leaves the strings of plain columns as AIS sent them, for a caller that trims a
        whole column at once (``strip_strings`` below); date and time columns are converted either way.

        AIS sends every row of a page with the same keys, so the first row's keys are taken as the
        page's when every row has as many keys and each of them (checked by the C-level extraction);
        otherwise every key of every row, in first-seen order. A ``ColumnPage`` (decoded by column,
        every row holding every key) is converted as it stands, its keys in their order."""
        if not rows:
            return {}
        if isinstance(rows, ColumnPage):
            return self._convert(rows, rows.columns.items(), strip=strip)
        keys = list(rows[0])
        if set(map(len, rows)) == {len(keys)}:
            try:
                return self._columns(rows, keys, uniform=True, strip=strip)
            except _RaggedPage:
                pass
        keys = list(dict.fromkeys(chain.from_iterable(rows)))
        return self._columns(rows, keys, uniform=False, strip=strip)

    def _columns(
        self, rows: Sequence[Mapping[str, Any]], keys: list[str], *, uniform: bool, strip: bool
    ) -> dict[str, list[Any]]:
        return self._convert(rows, ((key, self._values_of(rows, key, uniform)) for key in keys), strip=strip)

    @staticmethod
    def _values_of(rows: Sequence[Mapping[str, Any]], key: str, uniform: bool) -> list[Any]:
        try:  # a C-level loop where every row has the key
            return list(map(itemgetter(key), rows))
        except KeyError:
            if uniform:  # as many keys but not the same ones: not the page's keys after all
                raise _RaggedPage from None
            return [row.get(key) for row in rows]

    def _convert(
        self,
        rows: Sequence[Mapping[str, Any]] | ColumnPage,
        columns: Iterable[tuple[str, list[Any]]],
        *,
        strip: bool,
    ) -> dict[str, list[Any]]:
        """Each ``(row key, values)`` column under its alias, its values converted as ``__call__``
        converts them (``rows`` only names the record of a value that cannot be read)."""
        out: dict[str, list[Any]] = {}
        plan = self._plan
        for key, values in columns:
            alias, kind = plan.get(key) or self._entry(key)
            if alias in out:
                alias = key
            if kind == self._PLAIN:
                if strip and type(values[0]) is str:
                    try:  # a character column: all strings, stripped in one C loop
                        values = list(map(str.strip, values))
                    except TypeError:
                        values = [v.strip() if type(v) is str else v for v in values]
                elif strip and str in set(map(type, values)):
                    values = [v.strip() if type(v) is str else v for v in values]
                out[alias] = values
            else:
                seen = self._values.setdefault(alias, {})
                try:  # each distinct value parsed once (a day's TDAY: a few new times a page), then looked up
                    if not set(map(type, values)) <= _CACHED_TYPES:  # 1 == True == Decimal(1) as keys
                        raise KeyError
                    self._prime(alias, seen, set(values).difference(seen))
                    seen[None] = None  # a blank stays None: one C-level lookup per value
                    try:
                        out[alias] = list(map(seen.__getitem__, values))
                    finally:
                        del seen[None]  # the cache holds parsed values only
                except KeyError:  # a value that is not readable: row by row, logged with its record
                    out[alias] = [self._special(alias, v, row) for v, row in zip(values, rows, strict=True)]
        return out

    def _prime(self, alias: str, seen: dict[Any, Any], fresh: set[Any]) -> None:
        """Parse and cache ``fresh`` values of a date or time column; one that cannot be read is left out
        (the caller then converts the page row by row, which logs it with its record and field)."""
        fresh.discard(None)
        if len(seen) + len(fresh) > self._CACHE_LIMIT:
            seen.clear()
        for value in fresh:
            try:
                seen[value] = normalise_value(alias, value, self.date_pattern, self.extra_dates)
            except ValueError:
                continue

    def _special(self, alias: str, value: Any, raw: Mapping[str, Any]) -> Any:
        """A date or time value, from the cache when this raw value was seen before."""
        cacheable = type(value) in (str, int)  # hashable, immutable, no 1 == True; a Decimal is rare here
        seen = self._values.setdefault(alias, {})
        if cacheable:
            hit = seen.get(value, _MISSING)
            if hit is not _MISSING:
                return hit
        try:
            converted = normalise_value(alias, value, self.date_pattern, self.extra_dates)
        except ValueError as exc:
            record = "/".join(str(raw.get(k, "")).strip() for k in self.key_fields)
            log.warning(
                "%s %s: field %s has %r, which is not a readable date or time (%s); passed on as text",
                self.table,
                record,
                alias,
                value,
                exc,
            )
            return value.strip() if isinstance(value, str) else value
        if cacheable:
            if len(seen) >= self._CACHE_LIMIT:
                seen.clear()
            seen[value] = converted
        return converted


_MISSING = object()


class _RaggedPage(Exception):
    """A page whose rows have as many keys as its first row but not the same ones."""


_CACHED_TYPES = frozenset({str, int, type(None)})  # what ``RowConverter._special`` caches (and blanks)


def convert_row(
    raw: Mapping[str, Any], date_pattern: DatePattern, extra_dates: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One GRID_DATA row keyed by alias and normalised (see ``RowConverter``)."""
    return RowConverter(date_pattern, extra_dates)(raw)


def row_updated_at(row: Mapping[str, Any]) -> datetime | None:
    """When a converted row last changed: UPMJ with UPMT (or TDAY on F4301/F4311), naive server time."""
    day = row.get("UPMJ")
    if not isinstance(day, date):
        return None
    clock = row.get("UPMT") if row.get("UPMT") is not None else row.get("TDAY")
    return jde_datetime(day, clock if isinstance(clock, time | int | str) else None)
