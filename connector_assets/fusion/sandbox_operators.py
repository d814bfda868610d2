"""The Fusion sandbox's people, as ``make dev`` plays them for an integration (supplier administrators, the
AP team) through the pod's operator routes (``/sandbox/...``), and which suppliers can take an order and an
invoice. Never aimed at a configured (real) Fusion: the integrations ask ``flows.sandbox_setup.embedded``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from typing import Any

import requests

PARTIAL_EVERY = 4  # every fourth invoice the AP team pays is paid half, so the partial path shows too


def active_supplier_rows(fusion_root: str) -> list[dict[str, Any]]:
    """The Fusion sandbox's active supplier rows (no sites), read through the pod's operator route."""
    answer = requests.get(
        f"{fusion_root}/sandbox/records/suppliers", params={"Status": "ACTIVE", "limit": 10_000}, timeout=60
    )
    answer.raise_for_status()
    return answer.json()["records"]


def suppliers_with_sites(fusion_root: str, business_unit: str) -> list[str]:
    """SupplierIds of the Fusion sandbox's active suppliers with an active site for purchasing and for
    paying in ``business_unit`` (what a purchase order and an invoice name), ascending; read through the
    pod's operator routes (one supplier with its sites at a time)."""
    out = []
    for row in active_supplier_rows(fusion_root):
        supplier = requests.get(f"{fusion_root}/sandbox/records/suppliers/{row['SupplierId']}", timeout=30)
        supplier.raise_for_status()
        sites = [
            s
            for s in supplier.json().get("sites", [])
            if s.get("ProcurementBU") == business_unit and not s.get("InactiveDate")
        ]
        purposes = ("SitePurposePurchasingFlag", "SitePurposePayFlag")
        if all(any(s.get(flag) is not False for s in sites) for flag in purposes):
            out.append(str(row["SupplierId"]))
    return sorted(out, key=int)


def half_of(amount: Any) -> str | None:
    """Half of an invoice amount, in cents rounded down, as the pay route takes it; None when it is
    below a cent (such an invoice is paid in full)."""
    half = (Decimal(str(amount)) / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return str(half) if half > 0 else None


def active_supplier_names(fusion_root: str) -> set[str]:
    """The names of the Fusion sandbox's active suppliers, folded as the vendors flow compares them the
    second time (``fusion.supplier_names.fold``)."""
    from connector_assets.fusion.supplier_names import fold

    return {fold(row["Supplier"]) for row in active_supplier_rows(fusion_root)}


def enter_suppliers(fusion_root: str, names: Iterable[str]) -> int:
    """Fusion's supplier administrators enter one active supplier per name (``POST /sandbox/suppliers``:
    our reference has no supplier create, people enter them); how many were entered."""
    wanted = list(names)
    if not wanted:
        return 0
    answer = requests.post(f"{fusion_root}/sandbox/suppliers", json={"names": wanted}, timeout=120)
    answer.raise_for_status()
    return len(answer.json()["created"])


def keep_suppliers(fusion_root: str) -> int:
    """Fusion's supplier administrators add a supplier and revise two (``POST /sandbox/activity``): the
    sandbox's own Fusion activity touches no supplier, so without them a suppliers flow would have nothing
    to carry after the first day; how many suppliers were touched."""
    answer = requests.post(
        f"{fusion_root}/sandbox/activity", json={"new_suppliers": 1, "updated_suppliers": 2}, timeout=60
    )
    answer.raise_for_status()
    done = answer.json()
    return len(done["created"].get("suppliers", [])) + len(done["updated"].get("suppliers", []))


class FusionApTeam:
    """Fusion's AP team: approves and pays the connector's invoices once validated (``POST /sandbox/
    invoices/{InvoiceId}/pay``): REST leaves them ``ApprovalStatus`` Required, people's work in Fusion, and
    the sandbox's own ``new_payments`` pays only invoices already Approved. Every ``PARTIAL_EVERY``-th is
    paid half, the others in full; what they settled is kept in memory, so each invoice is paid once."""

    def __init__(self, fusion_root: str) -> None:
        self.root = fusion_root
        self.settled: set[str] = set()  # InvoiceIds paid (in full or half) or refused for good
        self.payments = 0  # payments made, to pay every PARTIAL_EVERY-th half

    def pay(self, invoice_ids: Iterable[str]) -> dict[str, int]:
        """Pay those of ``invoice_ids`` not settled yet: one not validated yet waits for a later round; a
        canceled, already paid or vanished one is left. Counts ``paid_in_full`` and ``paid_partly``."""
        done = {"paid_in_full": 0, "paid_partly": 0}
        for invoice_id in sorted(set(invoice_ids) - self.settled, key=int):
            answer = requests.get(f"{self.root}/sandbox/records/invoices/{invoice_id}", timeout=30)
            if answer.status_code == 404:
                self.settled.add(invoice_id)
                continue
            answer.raise_for_status()
            invoice = answer.json()
            if invoice.get("ValidationStatus") != "Validated" and not invoice.get("CanceledFlag"):
                continue  # the flow validates it; a later round pays it
            partial = (self.payments + 1) % PARTIAL_EVERY == 0
            amount = half_of(invoice.get("InvoiceAmount") or 0) if partial else None
            paid = requests.post(
                f"{self.root}/sandbox/invoices/{invoice_id}/pay",
                json={"amount": amount} if amount else None,
                timeout=60,
            )
            if paid.status_code >= 500:
                paid.raise_for_status()
            self.settled.add(invoice_id)  # paid now, or canceled / already paid: nothing more to do
            if paid.status_code == 200:
                self.payments += 1
                done["paid_partly" if amount else "paid_in_full"] += 1
        return done
