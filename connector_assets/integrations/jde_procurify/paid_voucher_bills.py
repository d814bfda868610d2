"""Which Procurify bill a paid JD Edwards voucher is when JDE purged the bill's batch rows (R04110ZA's "purge
processed transactions", R0411Z1P): the voucher keeps in F0411 what the bills flow wrote into its batch, the
remark ``Procurify bill <id>`` (``bill_mappers.voucher_remark``), the invoice number and the supplier. The
remark names a candidate; the bill Procurify holds under that id must carry the voucher's invoice number and a
vendor paired with the voucher's supplier, so a voucher of another supplier keyed by hand with a like remark
is never taken for the bill. ``posted_sources.by_marked`` then checks the ledger holds the bill as posted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from connector_assets.jde.paid_vouchers import MARK_COLUMNS, VoucherKey
from connector_assets.jde.payment_targets import VoucherMarks
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import jde_number
from connector_assets.procurify.bill_fields import bill_vendor_id
from connector_assets.procurify.vendor_pairing import VendorPairing
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

from .bill_mappers import voucher_remark

REMARK = re.compile(r"^Procurify bill (\d+)$")


def _text(value: object) -> str:
    return str(value if value is not None else "").strip()


def remark_bill_id(remark: object) -> str | None:
    """The Procurify bill id a voucher remark names (``Procurify bill 123``); None for any other remark."""
    found = REMARK.match(_text(remark))
    return found.group(1) if found else None


def carries_bill(
    pairing: VendorPairing, ledger: Ledger, marks: Mapping[str, object], bill: Mapping[str, object]
) -> bool:
    """Whether the voucher's F0411 ``marks`` are what the bills flow wrote for ``bill``: its remark, its
    invoice number, and the JDE supplier its vendor is paired with (``pairing``)."""
    vendor = bill_vendor_id(bill)
    supplier = pairing.paired_supplier(ledger, vendor) if vendor else None
    return (
        bool(bill.get("id"))
        and _text(marks.get("RMK")) == voucher_remark(bill)
        and _text(marks.get("VINV")) == _text(bill.get("invoice_number"))
        and supplier is not None
        and jde_number(supplier) is not None
        and jde_number(supplier) == jde_number(marks.get("AN8"))
    )


def bills_by_marks(
    pairing: VendorPairing, ledger: Ledger, procurify: Any
) -> Callable[[dict[VoucherKey, dict[str, object]]], dict[VoucherKey, str]]:
    """``posted_sources.ByMarks`` for Procurify bills: voucher -> the uuid of the one bill whose id its
    remark names and whose invoice number and supplier it carries (bills listed by invoice number, one
    Procurify list read per voucher that needs it)."""

    def by_marks(marks: dict[VoucherKey, dict[str, Any]]) -> dict[VoucherKey, str]:
        named = {k: row for k, row in marks.items() if remark_bill_id(row.get("RMK")) and _text(row["VINV"])}
        if not named:
            return {}
        found: dict[VoucherKey, str] = {}
        with procurify.session() as session:
            for key, row in named.items():
                bill_id = remark_bill_id(row.get("RMK"))
                bills = [
                    bill
                    for bill in session.iter_all("bills", filters={"search": _text(row["VINV"])})
                    if str(bill.get("id")) == bill_id and carries_bill(pairing, ledger, row, bill)
                ]
                if len(bills) == 1 and bills[0].get("uuid"):
                    found[key] = str(bills[0]["uuid"])
        return found

    return by_marks


def vouchers_of_bill(
    pairing: VendorPairing, ledger: Ledger, jde_session: JdeSession, bill: Mapping[str, object]
) -> list[dict[str, Any]]:
    """The F0411 pay items (PV) carrying ``bill``'s marks: its voucher, found without the purged batch
    rows (a replay); [] when none, or several vouchers do (a person's to sort out)."""
    vendor = bill_vendor_id(bill)
    supplier = jde_number(pairing.paired_supplier(ledger, vendor)) if vendor else None
    marks = VoucherMarks(_text(bill.get("invoice_number")), voucher_remark(bill), supplier)
    if not bill.get("id") or not marks.invoice_number or supplier is None:
        return []
    rows = [
        row
        for row in jde_session.browse(AP_LEDGER.table, columns=MARK_COLUMNS, conditions=marks.conditions())
        if jde_number(row.get("DOC")) and marks.matches(row)
    ]
    vouchers = {(_text(row.get("KCO")), jde_number(row.get("DOC"))) for row in rows}
    return rows if len(vouchers) == 1 else []
