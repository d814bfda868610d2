"""Natural-key searches for many records at once: Coupa's documented ``in`` operator (reference §2.2,
``number[in]=a,b,c``), 49 values a call, instead of one search per record and key.

Why: before a create, a write searches the target by natural key (so a crashed attempt's record is
adopted, never doubled). One record at a time that is one to three GETs per new supplier before its POST;
for a chunk of records a write step has just claimed, it is one GET per key and 49 records.

What a batch can settle is exactly what the one-record searches (``CoupaSession.find_supplier``,
``find_purchase_order``, ``find_invoice``) would have answered, so the answer is given only where that
is certain; a token left out of the answer is the caller's to search alone, as before:

- a record with no key at all, or one matching several Coupa records (the one-record search names the
  ambiguity in its error);
- records of the batch sharing a key value (ignoring case and spacing): searched one at a time, the later
  one finds what the earlier one created, as it would have before.

A value holding a comma (the operator's separator) is searched alone here, with the same one-record
query. ``in`` matches a value as the plain filter does, so a record none of the batch's rows matches (by
the same exact / case- and space-insensitive checks as the one-record search) has no match in Coupa.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from connector_resources.coupa.session import MAX_PAGE_SIZE, CoupaSession

# Values one ``[in]`` query holds: 50, a write step's chunk of claims (``ML_LEDGER_RECORD_BATCH``). Most
# records a write searches are new, so the first page is shorter than 50, which Coupa documents as the
# last: one call; only when all 50 are in Coupa does a second, empty page end it (the reconciliation,
# whose keys are mostly there, asks 49 at a time instead). And at most this many characters of them,
# URL-encoded, so a chunk of long names stays far below common URL limits.
IN_VALUES = MAX_PAGE_SIZE
IN_CHARS = 4000

Row = dict[str, Any]
Same = Callable[[Mapping[str, Any], str], bool]


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _folded(value: Any) -> str:
    return _text(value).casefold()


def _same_number(row: Mapping[str, Any], value: str) -> bool:
    return _text(row.get("number")) == _text(value)


def _same_tax_id(row: Mapping[str, Any], value: str) -> bool:
    return _folded(row.get("tax-id", row.get("tax_id"))) == _folded(value)


def _same_name(row: Mapping[str, Any], value: str) -> bool:
    return _folded(row.get("name")) == _folded(value)


def _same_po_number(row: Mapping[str, Any], value: str) -> bool:
    return _text(row.get("po-number", row.get("po_number"))) == _text(value)


# find_supplier's order: the supplier number (the ERP key), else the tax id, else the name.
SUPPLIER_KEYS: tuple[tuple[str, Same], ...] = (
    ("number", _same_number),
    ("tax_id", _same_tax_id),
    ("name", _same_name),
)


def find_suppliers(session: CoupaSession, keys: Mapping[str, Mapping[str, Any]]) -> dict[str, Row | None]:
    """For each token of ``keys`` (token -> ``{number, tax_id, name}``, ``find_supplier``'s arguments) the
    supplier ``find_supplier`` would find, or None when it would find none; a token it cannot settle is
    left out (module docstring). Each key is looked up for every record still unmatched in one query per
    49 values, in ``find_supplier``'s order."""
    return _cascade(session, "suppliers", keys, SUPPLIER_KEYS)


def find_purchase_orders(session: CoupaSession, po_numbers: Mapping[str, str]) -> dict[str, Row | None]:
    """For each token of ``po_numbers`` (token -> po-number) the purchase order ``find_purchase_order``
    would find, or None; a token it cannot settle is left out (module docstring)."""
    keys = {token: {"po_number": number} for token, number in po_numbers.items()}
    return _cascade(session, "purchase_orders", keys, (("po_number", _same_po_number),))


def find_invoices(
    session: CoupaSession, keys: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> dict[str, Row | None]:
    """For each token of ``keys`` (token -> (invoice-number, supplier ``{id}``, ``{number}`` or
    ``{name}``), ``find_invoice``'s arguments) the invoice ``find_invoice`` would find, or None; a token
    it cannot settle is left out.

    Numbers are unique per supplier only, so the batch asks ``invoice_number[in]`` alone and tells the
    suppliers apart here. ``find_invoice`` also filters on the supplier in Coupa, whose case rules for
    it are the instance's; so an invoice counts as this supplier's only where its supplier reference is
    exactly the record's, as not where it is another one, and a row that leaves it open (no reference of
    the record's kind, or one differing only in case or spacing) leaves the token to its own search.
    Tokens of the batch sharing an invoice number are left out unless their suppliers are plainly
    different references of one kind, and so is a number holding a comma (its own search is the same
    one query)."""
    open_ = {
        token: (_text(number), dict(supplier))
        for token, (number, supplier) in keys.items()
        if _text(number)
        and "," not in str(number)
        and isinstance(supplier, Mapping)
        and _supplier_kind(supplier)
    }
    by_number: dict[str, list[str]] = {}
    for token, (number, _) in open_.items():
        by_number.setdefault(number, []).append(token)
    for tokens in (t for t in by_number.values() if len(t) > 1):
        refs = [open_[t][1] for t in tokens]
        values = {(_supplier_kind(ref), _folded(ref[_supplier_kind(ref)])) for ref in refs}
        if len({kind for kind, _ in values}) > 1 or len(values) < len(refs):
            for token in tokens:
                del open_[token]
    numbers = {t: number for t, (number, _) in open_.items()}
    rows = _matches(session, "invoices", "invoice_number", numbers, _same_invoice_number)
    answer: dict[str, Row | None] = {}
    for token, candidates in rows.items():
        verdicts = [_invoice_of(row, open_[token][1]) for row in candidates]
        ours = [row for row, verdict in zip(candidates, verdicts, strict=True) if verdict]
        if None not in verdicts and len(ours) <= 1:
            answer[token] = ours[0] if ours else None
    return answer


def _same_invoice_number(row: Mapping[str, Any], value: str) -> bool:
    return _text(row.get("invoice-number", row.get("invoice_number"))) == _text(value)


def _supplier_kind(ref: Mapping[str, Any]) -> str | None:
    """The reference ``find_invoice`` filters by: the first of id, number and name the record gives."""
    return next((key for key in ("id", "number", "name") if _text(ref.get(key))), None)


def _invoice_of(row: Mapping[str, Any], ref: Mapping[str, Any]) -> bool | None:
    """Whether invoice ``row`` is from the supplier ``ref`` names: True (the same reference, exactly),
    False (another one), None (the row cannot tell: see ``find_invoices``)."""
    kind = _supplier_kind(ref)
    theirs = row.get("supplier") if isinstance(row.get("supplier"), Mapping) else {}
    if kind is None or not _text(theirs.get(kind)):
        return None
    if _text(theirs[kind]) == _text(ref[kind]):
        return True
    return None if _folded(theirs[kind]) == _folded(ref[kind]) else False


def _cascade(
    session: CoupaSession,
    entity: str,
    keys: Mapping[str, Mapping[str, Any]],
    steps: tuple[tuple[str, Same], ...],
) -> dict[str, Row | None]:
    fields = [field for field, _ in steps]
    shared = _sharing(keys, fields)
    open_ = {
        token: key
        for token, key in keys.items()
        if token not in shared and any(_text(key.get(field)) for field in fields)
    }
    answer: dict[str, Row | None] = {}
    for field, same in steps:
        wanted = {t: str(k[field]).strip() for t, k in open_.items() if _text(k.get(field))}
        for token, matches in _matches(session, entity, field, wanted, same).items():
            if len(matches) == 1:
                answer[token] = matches[0]
            if matches:  # one: found; several: ambiguous, left to the record's own search
                del open_[token]
    answer.update(dict.fromkeys(open_))  # no key of theirs matches anything in Coupa
    return answer


def _sharing(keys: Mapping[str, Mapping[str, Any]], fields: list[str]) -> set[str]:
    """The tokens with a key value (ignoring case and spacing) another token of the batch has too."""
    counts = Counter(
        (field, _folded(key.get(field))) for key in keys.values() for field in fields if _text(key.get(field))
    )
    return {
        token
        for token, key in keys.items()
        if any(_text(key.get(f)) and counts[(f, _folded(key.get(f)))] > 1 for f in fields)
    }


def _matches(
    session: CoupaSession, entity: str, field: str, wanted: Mapping[str, str], same: Same
) -> dict[str, list[Row]]:
    """Token -> the ``entity`` rows whose ``field`` is its value (by ``same``): the values without a comma
    in ``[in]`` queries, the others one plain query each (the one-record search's)."""
    batched = {t: v for t, v in wanted.items() if "," not in v}
    rows: list[Row] = []
    for values in _chunks(list(dict.fromkeys(batched.values()))):
        rows.extend(session.iter_in(entity, field, values, chunk=len(values)))
    found = {t: [r for r in rows if same(r, v)] for t, v in batched.items()}
    for token, value in wanted.items():
        if token not in batched:
            found[token] = [r for r in session.search(entity, {field: value}, limit=10) if same(r, value)]
    return found


def _chunks(values: list[str]) -> Iterator[list[str]]:
    """``values`` in chunks of at most ``IN_VALUES`` values and ``IN_CHARS`` URL-encoded characters."""
    chunk: list[str] = []
    size = 0
    for value in values:
        length = len(quote(value, safe="")) + 3  # the separator, encoded
        if chunk and (len(chunk) >= IN_VALUES or size + length > IN_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(value)
        size += length
    if chunk:
        yield chunk
