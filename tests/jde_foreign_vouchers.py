"""A voucher entered in JD Edwards in a foreign currency, for the tests of the flows out of JDE (JDE -> Coupa,
JDE -> BILL): written as a foreign batch voucher (``ML_CreateVoucherBatch`` in Currency_Mode F, its amounts in
Currency_Amount, the rate left to JDE's F0015, as the integration's own JDE targets place one) and processed
by the simulator's R04110ZA, so F0411 holds it as JDE does: ACR / FAP in its currency, AG / AAP converted at
JDE's rate, and F0911 its lines in ledger AA (domestic) and CA (its currency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import requests

from connector_assets.jde.batch_bodies import LedgerLine, place_currency, voucher_batch_body
from connector_assets.jde.target_base import BatchKey

EDI_USER = "MLTESTFX"  # not a flow's batch user: nothing the flows reconcile as their own


@dataclass(frozen=True)
class ForeignVoucher:
    """What the test entered and what JDE made of it."""

    key: tuple[str, int, str]  # KCO, DOC, DCT
    currency: str
    lines: list[tuple[str, Decimal]]  # (account, amount in ``currency``)
    invoice: str
    supplier: int

    @property
    def source_key(self) -> str:
        return f"{self.key[0]}/{self.key[1]}/{self.key[2]}"

    @property
    def gross(self) -> Decimal:
        return sum((amount for _, amount in self.lines), Decimal(0))


def posting_accounts(jde_root: str, company: str, wanted: set[str]) -> list[str]:
    """The accounts of ``wanted`` (``BU.OBJ[.SUB]``) that ``company`` can post to (F0901 PEC blank)."""
    answer = requests.get(f"{jde_root}/sandbox/rows/F0901", params={"CO": company, "limit": 5000}, timeout=30)
    answer.raise_for_status()
    found = []
    for row in answer.json()["rows"]:
        parts = [str(row[c]).strip() for c in ("MCU", "OBJ", "SUB")]
        account = ".".join(p for p in parts if p)
        if account in wanted and not str(row["PEC"]).strip():
            found.append(account)
    return sorted(found)


def enter_foreign_voucher(
    jde: Any,
    jde_root: str,
    *,
    company: str,
    company_currency: str,
    supplier: int,
    currency: str,
    lines: list[tuple[str, Decimal]],
    invoice: str,
    day: date,
) -> ForeignVoucher:
    """Enter and process one voucher of ``supplier`` in ``currency`` (foreign to ``company``) with these
    distribution lines; its F0411 key is what R04110ZA answered."""
    key = BatchKey(EDI_USER, f"FX{invoice}"[-15:], invoice)
    body = voucher_batch_body(
        key,
        company=company,
        supplier=supplier,
        invoice_number=invoice,
        invoice_date=day.isoformat(),
        gl_date=day.isoformat(),
        due_date=day.isoformat(),
        currency=currency,
        remark=f"test voucher in {currency}",
        gross=sum((amount for _, amount in lines), Decimal(0)),
        distribution=[
            LedgerLine(account, amount, f"{currency} line {n}")
            for n, (account, amount) in enumerate(lines, 1)
        ],
    )
    dated = {
        **body,
        "Invoice_Date": day,
        "GL_Date": day,
        "Due_Date": day,
    }  # the session writes the user's format
    with jde.session() as session:
        session.orchestrate("ML_CreateVoucherBatch", place_currency(dated, company_currency))
    answer = requests.post(f"{jde_root}/sandbox/process-vouchers", timeout=60)
    answer.raise_for_status()
    done = [entry for entry in answer.json()["processed"] if entry["EDTN"] == invoice]
    assert done, answer.json()
    return ForeignVoucher((company, int(done[0]["DOC"]), "PV"), currency, lines, invoice, supplier)
