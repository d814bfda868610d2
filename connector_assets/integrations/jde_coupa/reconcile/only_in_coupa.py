"""What Coupa holds that no JDE record explains: suppliers, purchase orders and invoices created or changed
in the reconciled day (read from Coupa itself), each looked for in JDE by the key the flows write it under,
or in the flow's cross-reference; the rest are "only in Coupa". The keys: docs/integrations/jde_coupa.md,
"Reconciliation" (Only in Coupa).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector_assets.coupa.reconcile_day import shown, shown_money
from connector_assets.coupa.reconcile_reads import amount_of, created_on, number_of, text, touched
from connector_assets.coupa.targets import po_number
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER, PO_HEADERS, SUPPLIERS

from .sides import Day, Own

KIND = "only in Coupa"
MAX_AN8 = 99_999_999  # F0401 AN8 is 8 digits
VINV_LENGTH = 25  # F0411 VINV is A(25): a longer Coupa invoice number names no JDE voucher (AIS refuses it)


def list_only_in_coupa(day: Day, own: Own) -> None:
    for entity, jde_keys, flow, describe in (
        ("suppliers", _jde_suppliers, own.suppliers, _supplier),
        ("purchase_orders", _jde_orders, own.purchase_orders, _order),
        ("invoices", _jde_invoices, own.invoices, _invoice),
    ):
        records = [
            r
            for r in touched(day.coupa, entity, day.start, day.end)
            if int(r["id"]) not in day.explained[entity]
        ]
        day.report.counts[f"coupa_{entity}_in_window"] = len(records)
        if not records:
            continue
        held = jde_keys(day, records)
        for record in records:
            if _key(entity, record) in held:
                continue
            target = str(record["id"])
            if day.ledger.find_xref_by_target(flow.integration, flow.entity, "coupa", target) is not None:
                continue
            subject, jde_value, words = describe(record)
            when = created_on(record)
            words += f" (created {when[:19].replace('T', ' ')} UTC)" if when else ""
            day.report.differ(KIND, "-", number_of(record.get("supplier")) or text(record.get("number")),
                              jde_value, subject, words, counterpart=subject, field="record")  # fmt: skip


def _key(entity: str, record: dict[str, Any]) -> Any:
    if entity == "suppliers":
        return text(record.get("number"))
    if entity == "purchase_orders":
        return text(record.get("po-number"))
    return (number_of(record.get("supplier")), text(record.get("invoice-number")))


def _jde(day: Day, table: str, column: str, values: Iterable[Any], columns: list[str]) -> list[dict]:
    """Rows of ``table`` by ``column`` (100 values a call) in one counted JDE session."""
    wanted = sorted(set(values))
    if not wanted:
        return []
    with day.jde.session() as session:
        return list(browse_in(session, table, column, wanted, columns))


def _jde_suppliers(day: Day, records: list[dict[str, Any]]) -> set[Any]:
    """The Coupa supplier numbers that are JDE suppliers' address numbers (F0401)."""
    numbers = {int(n) for n in (text(r.get("number")) for r in records) if n.isdigit() and int(n) <= MAX_AN8}
    rows = _jde(day, SUPPLIERS.table, "AN8", numbers, ["AN8"])
    return {str(int(row["AN8"])) for row in rows}


def _jde_orders(day: Day, records: list[dict[str, Any]]) -> set[Any]:
    """The Coupa PO numbers that name a JDE order (F4301), as the flow numbers them (``po_number``)."""
    docos = set()
    for record in records:
        parts = text(record.get("po-number")).split("-")
        if len(parts) >= 3 and parts[1].isdigit():
            docos.add(int(parts[1]))
    rows = _jde(day, PO_HEADERS.table, "DOCO", docos, ["KCOO", "DOCO", "DCTO", "SFXO"])
    return {po_number(row) for row in rows}


def _jde_invoices(day: Day, records: list[dict[str, Any]]) -> set[Any]:
    """(supplier number, invoice number) of the Coupa invoices JDE holds a voucher for (F0411 AN8, VINV)."""
    numbers = {n for n in (text(r.get("invoice-number")) for r in records) if 0 < len(n) <= VINV_LENGTH}
    rows = _jde(day, AP_LEDGER.table, "VINV", numbers, ["KCO", "DOC", "DCT", "AN8", "VINV"])
    return {(str(int(row["AN8"])), text(row.get("VINV"))) for row in rows}


def _supplier(record: dict[str, Any]) -> tuple[str, str, str]:
    subject = f"supplier {record['id']}"
    number = text(record.get("number"))
    status = text(record.get("status"))
    words = (
        f"Coupa {subject} {shown(record.get('name'))} (number {number or 'none'}, {status}) is no JDE "
        f"supplier: no F0401 address number {number or '(blank)'}"
    )
    return subject, "no supplier", words


def _order(record: dict[str, Any]) -> tuple[str, str, str]:
    return _document(record, "purchase order", "po-number", "total", "no order", "names no JDE order")


def _invoice(record: dict[str, Any]) -> tuple[str, str, str]:
    ending = "has no JDE voucher with that supplier and invoice number"
    return _document(record, "invoice", "invoice-number", "total-with-taxes", "no voucher", ending)


def _document(
    record: dict[str, Any], noun: str, number: str, total: str, jde_value: str, ending: str
) -> tuple[str, str, str]:
    """A Coupa document no JDE one explains: named with its number, supplier, status and amount."""
    subject = f"{noun} {record['id']}"
    words = (
        f"Coupa {subject} {shown(record.get(number))} of supplier {number_of(record.get('supplier')) or '?'} "
        f"({text(record.get('status'))}, {shown_money(amount_of(record.get(total)))}) {ending}"
    )
    return subject, jde_value, words
