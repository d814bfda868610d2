"""Purchase orders found by their numbers many at a time: Fusion's ``q`` with ``OrderNumber in (...)``
(framework version 2 and later, reference §2.2), read page by page (``FusionSession.iter_in``), instead of
one search per order and entity; the same for the orders of many suppliers and for invoices by number.

Why: before creating an order under a number of ours, a write searches Fusion for it (so a crashed
attempt's order is adopted, never doubled); one record at a time that is one or two searches per order.

The answer is what ``FusionSession.find_purchase_order`` would answer, given only where that is certain
(its orders first, then its drafts, each row in the record's business unit, ``in_unit``); a token left out
is its caller's to search alone: an order number and unit two records of the batch share (or a number
they share in two units, where an order of that number names no unit), or one matching several orders
(the one-record search names them in its error). Under framework version 1 (query by example, no
``in``) nothing is batched: each value would be one query anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from connector_resources.fusion.entities import entity
from connector_resources.fusion.session import FusionSession, in_unit

Row = dict[str, Any]


def find_purchase_orders(
    session: FusionSession, keys: Mapping[str, tuple[str, str | None]]
) -> dict[str, Row | None]:
    """For each token of ``keys`` (token -> (order number, procurement business unit or None: the
    session's), ``find_purchase_order``'s arguments) the order or draft it would find, or None."""
    if session.framework_version < 2:
        return {}
    given = {t: (str(number or ""), unit or session.business_unit) for t, (number, unit) in keys.items()}
    pairs = Counter(given.values())
    numbers = Counter(number for number, _ in pairs)
    open_ = {  # a number with spaces around it is searched as given, alone
        token: (number, unit)
        for token, (number, unit) in given.items()
        if number.strip() and number.strip() == number and pairs[(number, unit)] == 1
    }
    answer: dict[str, Row | None] = {}
    for name in ("purchase_orders", "draft_purchase_orders"):
        if not open_:
            break
        key = entity(name).key
        rows = list(session.iter_in(name, "OrderNumber", [number for number, _ in open_.values()]))
        for token, (number, unit) in list(open_.items()):
            numbered = [r for r in rows if str(r.get("OrderNumber")) == number]
            if numbers[number] > 1 and not all(_names_unit(r) for r in numbered):
                del open_[token]  # one of the batch's other units may create what it would match
                continue
            matches = list({str(r.get(key)): r for r in numbered if in_unit(r, unit)}.values())
            if len(matches) == 1:
                answer[token] = matches[0]
            if matches:  # one: found; several: ambiguous, left to the record's own search
                del open_[token]
    answer.update(dict.fromkeys(open_))  # neither an order nor a draft of theirs in Fusion
    return answer


def purchase_orders_of_suppliers(session: FusionSession, suppliers: Iterable[str]) -> list[Row]:
    """Every purchase order and draft of the ``suppliers`` (names), once each by ``POHeaderId`` (orders
    first), lines inline: ``FusionSession.purchase_orders_of`` for many suppliers at once (``Supplier in
    (...)`` with ``expand=lines``, reference §2.2 and §2.4); each caller keeps its site and unit's."""
    found: dict[str, Row] = {}
    for name in ("purchase_orders", "draft_purchase_orders"):
        for row in session.iter_in(name, "Supplier", suppliers, expand=("lines",)):
            found.setdefault(str(row.get("POHeaderId")), row)
    return list(found.values())


def find_invoices(
    session: FusionSession, keys: Mapping[str, tuple[str, str, str | None]]
) -> dict[str, Row | None]:
    """For each token of ``keys`` (token -> (invoice number, supplier, business unit or None),
    ``find_invoice``'s arguments) the invoice it would find, or None, in ``InvoiceNumber in (...)`` lists.
    Left out, for the caller to search alone: a number and supplier two tokens share, a value with spaces
    around it (searched as given) and several matches (the one-record search names them). Nothing under
    framework version 1 (see the module docstring)."""
    if session.framework_version < 2:
        return {}
    shared = Counter((number, supplier) for number, supplier, _ in keys.values())
    open_ = {
        token: (number, supplier, unit)
        for token, (number, supplier, unit) in keys.items()
        if number
        and supplier
        and shared[(number, supplier)] == 1
        and number == number.strip()
        and supplier == supplier.strip()
    }
    if not open_:
        return {}
    rows = list(session.iter_in("invoices", "InvoiceNumber", [number for number, _, _ in open_.values()]))
    answer: dict[str, Row | None] = {}
    for token, (number, supplier, unit) in open_.items():
        matches = {
            str(row.get("InvoiceId")): row
            for row in rows
            if str(row.get("InvoiceNumber")) == number
            and str(row.get("Supplier")) == supplier
            and (not unit or row.get("BusinessUnit") in (None, unit))
        }
        if len(matches) <= 1:
            answer[token] = next(iter(matches.values()), None)
    return answer


def _names_unit(row: Mapping[str, Any]) -> bool:
    return any(row.get(name) is not None for name in ("ProcurementBU", "BillToBU", "RequisitioningBU"))
