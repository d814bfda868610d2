"""Decoding data-service answers: exact decimals at twice the standard library's speed.

A JDE read spends more of our CPU decoding pages than on anything else (``bench/jde_extract_vs_raw.py``
under py-spy: about a fifth), and amounts must stay exact, so ``json.loads(parse_float=Decimal)``
(``http.errors.response_json``) has been the decoder. msgspec's decoder with ``float_hook=Decimal``
gives the same Python values (dicts, lists, str, int of any size, ``Decimal`` for every number
written with a fraction or an exponent, keeping its digits: ``1.10`` stays ``Decimal("1.10")``, bool,
None; the last of duplicate keys wins) in about half the time.

Where the two could differ, msgspec refuses rather than guesses: a byte-order mark, a lone UTF-16
surrogate escape, ``NaN``/``Infinity`` (which the standard library accepts and AIS never sends). Any
body msgspec refuses is handed to ``response_json``, so the outcome, including None for a body that
is not JSON at all (an HTML error page), is the standard library's.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import requests
from msgspec.structs import astuple

from connector_resources.http.errors import response_json

_DECODER = msgspec.json.Decoder(float_hook=Decimal)


def page_json(response: requests.Response | None) -> Any:
    """``response_json``'s answer for ``response`` (None when there is no body or it is not JSON),
    decoded by msgspec when it can be."""
    if response is None:
        return None
    try:
        return _DECODER.decode(response.content or b"null")
    except msgspec.DecodeError:
        return response_json(response)


# -- a data-service page, rows left encoded ---------------------------------------------------------
#
# A read's next-page link is inside the page, so the next request can go out only once the page is
# decoded; decoding 500 rows takes a few milliseconds, on the chain of requests. ``browse_head`` decodes
# only what decides the next request (the errors, the summary and the links) and leaves the rowset as
# encoded JSON (``msgspec.Raw``, checked well-formed), a sixth of the cost; the rows are decoded later
# (``rowset``), while the next page is on its way. The shapes below are the ones AIS sends; a body of
# any other shape (a section of another type, a rowset that is not an array) fails to decode here and
# the caller falls back to ``page_json``, so such answers are judged exactly as before.


class _Grid(msgspec.Struct):
    rowset: msgspec.Raw = None  # type: ignore[assignment]  # absent: None (an empty page)
    summary: Any = None


class _Data(msgspec.Struct):
    gridData: _Grid | None = None  # noqa: N815 (AIS's name)


class BrowseForm(msgspec.Struct):
    """The ``fs_DATABROWSE_<table>`` section, rows undecoded."""

    data: _Data | None = None
    errors: Any = None
    links: Any = None


_HEAD_DECODERS: dict[str, msgspec.json.Decoder] = {}


def browse_head(content: bytes, table: str) -> Any | None:
    """The page's ``sysErrors``, ``links`` and ``fs_DATABROWSE_<table>`` section (a ``BrowseForm``) as
    attributes of one object, with the rowset still encoded; None when the body has another shape or is
    not JSON that msgspec takes (the caller then decodes it whole with ``page_json``)."""
    decoder = _HEAD_DECODERS.get(table)
    if decoder is None:
        head = msgspec.defstruct(
            "BrowseHead",
            [("form", BrowseForm | None, None), ("sysErrors", Any, None), ("links", Any, None)],
            rename={"form": f"fs_DATABROWSE_{table}"},
        )
        decoder = _HEAD_DECODERS.setdefault(table, msgspec.json.Decoder(head, float_hook=Decimal))
    try:
        return decoder.decode(content or b"null")
    except msgspec.DecodeError:  # ValidationError (another shape) is a DecodeError too
        return None


def rowset(raw: msgspec.Raw) -> Any:
    """A rowset ``browse_head`` left encoded, decoded as ``page_json`` decodes it."""
    return _DECODER.decode(raw)


def encoded_array(raw: msgspec.Raw | None) -> bool:
    """Whether an encoded value is a JSON array (msgspec strips the whitespace around it)."""
    return raw is not None and memoryview(raw)[:1] == b"["


# -- a rowset by column -------------------------------------------------------------------------------
#
# A whole-day read wants columns (``JdeSession.browse_columns``), not a dict per row: decoding each row
# into a dict and then picking every value out of it again costs more than the decoding itself. When the
# keys the rows must hold are known (the columns a browse asked for), the rowset is decoded into one
# untracked struct per row (no dict, nothing for the garbage collector) and the rows are turned into
# columns in C (each struct as a tuple, then ``zip(*rows)``), in about half the CPU of one
# ``attrgetter`` loop per column. The values are ``page_json``'s (the same decoder settings). A rowset
# in which any row is not an object or lacks or adds a key fails to decode here, and the caller decodes
# it the general way, so such pages are judged exactly as before.

_COLUMN_DECODERS: dict[tuple[str, ...], msgspec.json.Decoder] = {}


class ColumnPage:
    """A page of rows held by column (``{row key: [value per row]}``, every row holding every key),
    read as the list of rows it stands for: ``len``, iteration and indexing give dict rows and slices
    give column pages, so code written for a list of rows (resuming a read) takes it unchanged."""

    __slots__ = ("columns", "count")

    def __init__(self, columns: dict[str, list[Any]], count: int) -> None:
        self.columns = columns
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ColumnPage(
                {key: values[index] for key, values in self.columns.items()},
                len(range(*index.indices(self.count))),
            )
        return {key: values[index] for key, values in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[index] for index in range(self.count))


def rowset_columns(raw: msgspec.Raw, keys: tuple[str, ...]) -> ColumnPage | None:
    """A rowset ``browse_head`` left encoded, by column, when every row is an object with exactly
    ``keys`` (in any order); None otherwise (the caller then decodes it with ``rowset``)."""
    decoder = _COLUMN_DECODERS.get(keys)
    if decoder is None:
        fields = [f"c{index}" for index in range(len(keys))]
        row = msgspec.defstruct(
            "Row",
            [(name, Any) for name in fields],
            rename=dict(zip(fields, keys, strict=True)),
            forbid_unknown_fields=True,
            gc=False,
        )
        decoder = _COLUMN_DECODERS.setdefault(
            keys,
            msgspec.json.Decoder(list[row], float_hook=Decimal),  # type: ignore[valid-type]
        )
    try:
        rows = decoder.decode(raw)
    except msgspec.DecodeError:  # a row of another shape (ValidationError is a DecodeError too)
        return None
    if not rows:
        return ColumnPage({key: [] for key in keys}, 0)
    return ColumnPage(dict(zip(keys, _transposed(rows), strict=True)), len(rows))


def _transposed(rows: list[Any]) -> list[list[Any]]:
    """The rows' fields as columns (fields in ``keys`` order: the n-th list is the n-th key's column).

    The tuple per row lives only while ``zip`` reads it, but each is a container the garbage collector
    tracks: they set off about 38 young-generation collections in a read of 17,329 rows, each walking
    the tuples alive at that moment, with what they promoted to the older generations about 36 ms of
    the read's CPU (``gc.callbacks``). With collection paused for the transposition they are freed by
    their reference counts before any collection sees them. The pause is process-wide but bounded by
    this one C-level loop, and collection is resumed only if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return list(map(list, zip(*map(astuple, rows), strict=True)))
    finally:
        if enabled:
            gc.enable()
