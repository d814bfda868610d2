"""Coupa write targets: suppliers, purchase orders and invoices, found by their natural key before any
create (the cross-reference first, in the kit), so a crashed attempt's record is adopted, never doubled.
Records a write step has just claimed are searched 49 to a call (``find_many``, Coupa's ``[in]``), where
``find`` costs one to three calls per record; ``find`` still searches what the batch cannot settle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.flows.targets import SessionTarget
from connector_resources.coupa.key_batches import find_invoices, find_purchase_orders, find_suppliers


class CoupaSuppliers(SessionTarget):
    """The Coupa side of the suppliers flow."""

    resource = "coupa"
    session_options = {"flow": "suppliers"}
    writes = ("suppliers",)

    def find(self, record: Mapped) -> str | None:
        found = self.session.find_supplier(**record.natural_key)
        return str(found["id"]) if found else None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of records at once, by supplier number, tax id and name in turn."""
        keys = {record.source_key: record.natural_key for record in records}
        return _ids(find_suppliers(self.session, keys))

    def create(self, record: Mapped) -> str:
        return str(self.session.create_supplier(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        self.session.update_supplier(target_id, record.body)


class CoupaPurchaseOrders(SessionTarget):
    """The Coupa side: find by po-number, create, or update matching lines by line-num."""

    resource = "coupa"
    session_options = {"flow": "purchase_orders"}
    writes = ("purchase_orders",)

    def find(self, record: Mapped) -> str | None:
        found = self.session.find_purchase_order(record.natural_key["po_number"])
        return str(found["id"]) if found else None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of records at once, by po-number."""
        numbers = {record.source_key: record.natural_key["po_number"] for record in records}
        return _ids(find_purchase_orders(self.session, numbers))

    def create(self, record: Mapped) -> str:
        return str(self.session.create_purchase_order(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        existing = self.session.get("purchase_orders", target_id)
        body = with_line_ids(record.body, existing, "order-lines")
        self.session.update_purchase_order(target_id, body)


def _ids(found: Mapping[str, Mapping[str, Any] | None]) -> dict[str, str | None]:
    return {key: None if row is None else str(row["id"]) for key, row in found.items()}


def with_line_ids(body: dict, existing: dict, lines_key: str) -> dict:
    """``body`` with each line carrying the ``id`` of the target's line of the same ``line-num``: Coupa
    updates a line sent with its id and adds one sent without, so a re-sent document updates its lines,
    never appends copies."""
    ids = {int(line["line-num"]): line["id"] for line in existing.get(lines_key, []) if "line-num" in line}
    lines = [
        {**line, "id": ids[line["line-num"]]} if line["line-num"] in ids else line for line in body[lines_key]
    ]
    return {**body, lines_key: lines}


class CoupaInvoices(SessionTarget):
    """The Coupa side: find by invoice number + supplier, create a draft invoice, or update it."""

    resource = "coupa"
    session_options = {"flow": "invoices"}
    writes = ("invoices",)

    def find(self, record: Mapped) -> str | None:
        found = self.session.find_invoice(
            record.natural_key["invoice_number"], record.natural_key["supplier"]
        )
        return str(found["id"]) if found else None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of records at once, by invoice number, each row's supplier checked here."""
        keys = {r.source_key: (r.natural_key["invoice_number"], r.natural_key["supplier"]) for r in records}
        return _ids(find_invoices(self.session, keys))

    def create(self, record: Mapped) -> str:
        return str(self.session.create_invoice(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        existing = self.session.get("invoices", target_id)
        self.session.update_invoice(target_id, with_line_ids(record.body, existing, "invoice-lines"))


# How a JDE purchase order is named in Coupa: JDE -> Coupa writes the number (``po_number``) and Coupa -> JDE
# reads the JDE order back from the number its invoice lines bill (``jde_order``), so a voucher names the
# order its invoice was raised against; one definition keeps the two integrations from drifting apart.
def po_number(header: dict[str, Any]) -> str:
    """Coupa's ``po-number`` for a JDE order (F4301 header): ``KCOO-DOCO-DCTO`` (suffix 000 omitted), at most
    20 characters."""
    number = f"{str(header['KCOO']).strip()}-{int(header['DOCO'])}-{str(header['DCTO']).strip()}"
    suffix = str(header.get("SFXO") or "000").strip()
    return number if suffix in ("", "000") else f"{number}-{suffix}"


def jde_order(po_number: str) -> tuple[str, int, str] | None:
    """(KCOO, DOCO, DCTO) of the JDE order a ``po_number`` names (a suffix after them ignored), else None."""
    parts = po_number.strip().split("-")
    if len(parts) < 3 or not parts[1].isdigit() or len(parts[1]) > 8 or not parts[0] or not parts[2]:
        return None
    return parts[0], int(parts[1]), parts[2]
