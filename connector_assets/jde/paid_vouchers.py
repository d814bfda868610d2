"""Which JD Edwards vouchers JDE has paid, for a flow telling another system so: a voucher is paid when every
pay item has open amount ``AAP`` 0 and ``PST`` ``P``, on its pay items' latest UPMJ (F0411 carries no
payment date).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from connector_assets.flows import amounts
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import BATCH_TABLE, BatchKey, jde_number
from connector_resources.jde.session import JdeSession

PAID = "P"  # F0411 PST: paid

VoucherKey = tuple[str, int, str]  # KCO, DOC, DCT


def voucher_text(key: VoucherKey) -> str:
    """``KCO:DOC:DCT``: a voucher's document key as a ledger cross-reference names it."""
    return f"{key[0]}:{key[1]}:{key[2]}"


@dataclass(frozen=True)
class PaidVoucher:
    """A JDE voucher every pay item of which is paid, and the day JDE recorded it."""

    key: VoucherKey
    paid_on: date


def paid_voucher(key: VoucherKey, pay_items: Iterable[Mapping[str, object]]) -> PaidVoucher | None:
    """The voucher as paid, or None while a pay item is open or not in pay status P (pure)."""
    items = list(pay_items)
    if not items:
        return None
    for item in items:
        open_amount = amounts.amount(item.get("AAP"))
        if open_amount is None or open_amount != 0 or str(item.get("PST") or "").strip() != PAID:
            return None
    days = [d for item in items if isinstance(d := item.get("UPMJ"), date)]
    return PaidVoucher(key, max(days)) if days else None


def voucher_key(row: Mapping[str, object]) -> VoucherKey | None:
    """The voucher an F0411 (or F0411Z1) row belongs to; None when it carries no voucher number."""
    number = jde_number(row.get("DOC"))
    if number is None:
        return None
    return str(row.get("KCO") or "").strip(), number, str(row.get("DCT") or "").strip()


def paid_today(rows: Iterable[Mapping[str, object]]) -> list[VoucherKey]:
    """Vouchers of the day's F0411 rows with a pay item in pay status P (the candidates), sorted."""
    return sorted({k for r in rows if str(r.get("PST") or "").strip() == PAID and (k := voucher_key(r))})


def pay_items(jde_session: JdeSession, vouchers: list[VoucherKey]) -> dict[VoucherKey, list[dict[str, Any]]]:
    """Every pay item of ``vouchers`` as F0411 holds it now (PST, AAP, UPMJ)."""
    wanted = set(vouchers)
    items: dict[VoucherKey, list[dict[str, object]]] = {k: [] for k in vouchers}
    numbers = sorted({number for _company, number, _dct in vouchers})
    columns = ["KCO", "DOC", "DCT", "SFX", "PST", "AAP", "UPMJ"]
    for row in browse_in(jde_session, AP_LEDGER.table, "DOC", numbers, columns):
        key = voucher_key(row)
        if key in wanted:
            items[key].append(row)
    return items


# What a voucher carries in F0411 from the batch it was made of, once JDE purged the batch rows.
MARK_COLUMNS = ["KCO", "DOC", "DCT", "SFX", "AN8", "VINV", "RMK"]


def voucher_marks(jde_session: JdeSession, vouchers: list[VoucherKey]) -> dict[VoucherKey, dict[str, object]]:
    """Voucher -> its first pay item's marks in F0411 (company, supplier AN8, invoice number VINV, remark
    RMK): what maps a voucher back to its source record when R04110ZA or R0411Z1P purged its F0411Z1 rows."""
    wanted = set(vouchers)
    found: dict[VoucherKey, dict[str, object]] = {}
    numbers = sorted({number for _company, number, _dct in vouchers})
    for row in browse_in(jde_session, AP_LEDGER.table, "DOC", numbers, MARK_COLUMNS):
        key = voucher_key(row)
        first = key not in found or str(row.get("SFX") or "") < str(found[key].get("SFX") or "")
        if key in wanted and first:
            found[key] = row
    return found


def batches_of_vouchers(
    jde_session: JdeSession, vouchers: list[VoucherKey], user: str
) -> dict[VoucherKey, list[BatchKey]]:
    """Voucher -> the batch keys (EDI user ``user``) of the F0411Z1 rows it was made from, in the order
    JDE gives the rows (a row naming no document type matches the voucher's)."""
    pending = {(company, number) for company, number, _dct in vouchers}
    found: dict[VoucherKey, list[BatchKey]] = {}
    numbers = sorted({number for _company, number in pending})
    columns = ["EDUS", "EDBT", "EDTN", "KCO", "DOC", "DCT"]
    for row in browse_in(jde_session, BATCH_TABLE, "DOC", numbers, columns):
        company, number = str(row.get("KCO") or "").strip(), jde_number(row.get("DOC"))
        if str(row.get("EDUS") or "").strip() != user or (company, number) not in pending:
            continue
        batch = BatchKey(*(str(row.get(name) or "").strip() for name in ("EDUS", "EDBT", "EDTN")))
        dct = str(row.get("DCT") or "").strip()
        for key in vouchers:
            if key[0] == company and key[1] == number and dct in ("", key[2]):
                found.setdefault(key, []).append(batch)
    return found
