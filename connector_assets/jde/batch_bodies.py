"""The inputs of JD Edwards' AP batch orchestrations (``ML_CreateVoucherBatch``, ``ML_CreateJournalBatch``)
under the flow's ``BatchKey``, lines numbered from 1; money in the document's currency, the mode set by
the JDE target right before the call (``place_currency``). Contracts: docs/jde_orchestrations/README.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.jde.target_base import BatchKey
from connector_resources.refusals import Refusal, source_invalid

SUBLEDGER_ADDRESS = "A"  # F0911 SBLT A: the subledger is an address book number


RATE_DECIMALS = 7  # F0411Z1 / F0911Z1 / F0413 CRR: JDE keeps an exchange rate to 7 decimals
DOMESTIC, FOREIGN = "D", "F"  # Currency_Mode (CRRM)
# The inputs holding a document's amount in the mapped body, header and grid rows alike; a foreign
# document's move to Currency_Amount (ACR).
AMOUNT_INPUTS = ("Gross_Amount", "Amount", "Payment_Amount")
GRIDS = ("Pay_Items", "Distribution", "Lines")  # voucher pay items and distribution, journal lines


class ExchangeRateError(ValueError):
    """A rate the source stated that JDE cannot hold as it is (not a positive number, or more than 7
    decimals): rounding it would post other money than the source agreed, so the record is refused."""

    @property
    def refusal(self) -> Refusal:
        return source_invalid(str(self), field="exchange rate")


@dataclass(frozen=True)
class OrderReference:
    """The F4301 purchase order a voucher's invoice was raised against (F0411 ``PKCO`` / ``PO`` /
    ``PDCT``), so A/P finds the invoice from its order; JDE refuses an order it does not hold (59A6)."""

    company: str
    number: int
    doc_type: str = "OP"

    def inputs(self) -> dict[str, object]:
        return {"Order_Company": self.company, "Order_Number": self.number, "Order_Type": self.doc_type}


def rate_text(rate: Decimal) -> str:
    """A stated exchange rate as the orchestrations take it (``1.0834``), or ``ExchangeRateError``."""
    if not rate.is_finite() or rate <= 0:
        raise ExchangeRateError(f"the exchange rate {rate} is not a positive number")
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_DECIMALS)):
        raise ExchangeRateError(
            f"the exchange rate {rate} has more than {RATE_DECIMALS} decimals (JDE keeps 7)"
        )
    return f"{rate.normalize():f}"


def _currency_inputs(currency: str | None, exchange_rate: Decimal | None) -> dict[str, object]:
    """``Currency_Code`` (blank: None) and, only when the source stated one, ``Exchange_Rate``."""
    inputs: dict[str, object] = {"Currency_Code": (currency or "").strip().upper() or None}
    if exchange_rate is not None:
        inputs["Exchange_Rate"] = rate_text(exchange_rate)
    return inputs


@dataclass(frozen=True)
class LedgerLine:
    """One F0911Z1 line: a JDE account (``BU.OBJ[.SUB]``), its amount (a debit positive, a credit negative),
    its explanation (EXA) and, when set, a subledger with its type (SBL / SBLT)."""

    account: str | None
    amount: Decimal
    explanation: str
    subledger: str | None = None
    subledger_type: str | None = None

    def inputs(self, number: int, currency: str | None = None) -> dict[str, object]:
        """The line as the orchestrations take it, numbered ``number`` (EDLN), its amount with the decimals
        of ``currency`` (none: two, rounded; with one, a finer amount raises ``CurrencyDecimalsError``)."""
        line: dict[str, object] = {
            "EDI_Line_Number": number,
            "Account": self.account,
            "Amount": amounts.money(self.amount, currency or None),
            "Explanation": self.explanation,
        }
        if self.subledger:
            line.update({"Subledger": self.subledger, "Subledger_Type": self.subledger_type})
        return line


def numbered(lines: Iterable[LedgerLine], currency: str | None = None) -> list[dict[str, object]]:
    """``lines`` as the orchestrations take them, numbered from 1 in their order, in ``currency``."""
    return [line.inputs(number, currency) for number, line in enumerate(lines, start=1)]


def voucher_batch_body(
    key: BatchKey,
    *,
    company: str,
    supplier: int | str | None,
    invoice_number: str,
    invoice_date: str,
    gl_date: str,
    due_date: str | None,
    currency: str,
    remark: str,
    gross: Decimal,
    distribution: Iterable[LedgerLine],
    exchange_rate: Decimal | None = None,
    order: OrderReference | None = None,
    business_unit: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """The ``ML_CreateVoucherBatch`` inputs: the header (pay status A: approved for payment), one pay item of
    the gross and one distribution line per line, every amount in the invoice's ``currency`` with its
    decimals (``amounts.CurrencyDecimalsError`` for a finer one, ``ExchangeRateError`` for a rate JDE
    cannot hold: the mapper refuses the record naming the field). ``exchange_rate``: only a rate the source
    states (blank: JDE's F0015); ``order``: the purchase order the invoice was raised against;
    ``business_unit``: the pay item's (blank: the supplier's A/P one); ``extra`` adds header inputs."""
    pay_item: dict[str, object] = {
        "EDI_Line_Number": 1,
        "Gross_Amount": amounts.money(gross, currency or None),
    }
    if business_unit:
        pay_item["Business_Unit"] = business_unit
    return {
        **key.body(),
        "Company": company,
        "Supplier": supplier,
        "Invoice_Number": invoice_number,
        "Invoice_Date": invoice_date,
        "GL_Date": gl_date,
        "Due_Date": due_date,
        **_currency_inputs(currency, exchange_rate),
        "Pay_Status": "A",
        "Remark": remark,
        **(order.inputs() if order is not None else {}),
        **(extra or {}),
        "Pay_Items": [pay_item],
        "Distribution": numbered(distribution, currency or None),
    }


def voucher_fields(
    key: BatchKey,
    *,
    invoice_number: str,
    supplier: str,
    company: str,
    gross: Decimal,
    invoice_date: str,
    currency: str,
    lines: int,
) -> dict[str, Any]:
    """A voucher batch record's fields as ``contracts.JdeVoucherRecord`` checks them (a flow's model adds
    its own): what a finance user reads in the record, and the batch keys. The gross is in the invoice's
    currency, with its decimals."""
    return {
        "invoice_number": invoice_number,
        "supplier_number": supplier,
        "company": company,
        "gross_amount": amounts.money(gross, currency or None),
        "invoice_date": invoice_date,
        "currency": currency,
        "distribution_lines": lines,
        "batch_number": key.batch,
        "transaction_number": key.transaction,
    }


def journal_batch_body(
    key: BatchKey,
    *,
    company: str,
    gl_date: str,
    explanation: str,
    lines: Iterable[LedgerLine],
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> dict[str, Any]:
    """The ``ML_CreateJournalBatch`` inputs of a journal entry (document type JE) whose ``lines`` sum to
    zero (JDE refuses one that does not, 59A5), in the document's ``currency`` (with its decimals) and the
    ``exchange_rate`` the source states, if any. Without a currency the body names none (as before the
    multi-currency contract): the JDE target then takes it to be in the company's currency."""
    body: dict[str, object] = {
        **key.body(),
        "Company": company,
        "GL_Date": gl_date,
        "Document_Type": "JE",
        "Explanation": explanation,
    }
    if currency:
        body.update(_currency_inputs(currency, exchange_rate))
    body["Lines"] = numbered(lines, currency or None)
    return body


def transfer_journal_body(
    key: BatchKey,
    *,
    company: str,
    gl_date: str,
    amount: Decimal,
    debit: tuple[str | None, str],
    credit: tuple[str | None, str],
    explanation: str,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> dict[str, Any]:
    """A two-line journal entry moving ``amount`` from the ``credit`` account to the ``debit`` one (a
    payment: the A/P liability debited, the bank credited); each of them is (account, line explanation)."""
    lines = (LedgerLine(debit[0], amount, debit[1]), LedgerLine(credit[0], -amount, credit[1]))
    return journal_batch_body(
        key, company=company, gl_date=gl_date, explanation=explanation, lines=lines, currency=currency,
        exchange_rate=exchange_rate,
    )  # fmt: skip


def payment_inputs(
    amount: Decimal,
    *,
    currency: str | None,
    paid_on: str,
    reference: str,
    exchange_rate: Decimal | None = None,
) -> dict[str, Any]:
    """What ``ML_RecordPayment`` takes of a payment (beside the voucher it pays): the amount in the
    payment's ``currency`` (with its decimals), that currency, the date, the source's payment id as the
    reference, and ``Exchange_Rate`` only when the source states the rate it paid at."""
    return {
        "Payment_Amount": amounts.money(amount, currency or None),
        **_currency_inputs(currency, exchange_rate),
        "Payment_Date": paid_on,
        "Payment_Reference": reference,
    }


def place_currency(body: Mapping[str, Any], company_currency: str) -> dict[str, Any]:
    """``body`` (a voucher, journal or payment body as mapped) as sent to a company whose currency is
    ``company_currency`` (F0010 ``CRCD``): docs/jde_orchestrations/README.md, "How the integration fills
    the currency". A copy: the ledger keeps what was mapped."""
    domestic = company_currency.strip().upper()
    if not domestic:
        raise ValueError("the company's currency is blank: a document cannot be placed without it")
    currency = str(body.get("Currency_Code") or "").strip().upper() or domestic
    placed = {**body, "Currency_Code": currency}
    if currency == domestic:
        placed["Currency_Mode"] = DOMESTIC
        placed.pop("Exchange_Rate", None)
        return placed
    placed["Currency_Mode"] = FOREIGN
    if not str(placed.get("Exchange_Rate") or "").strip():
        placed.pop("Exchange_Rate", None)
    placed = _in_currency_amount(placed, currency)
    for grid in GRIDS:
        if isinstance(placed.get(grid), list):
            placed[grid] = [_in_currency_amount(row, currency) for row in placed[grid]]
    return placed


def _in_currency_amount(inputs: Mapping[str, object], currency: str) -> dict[str, Any]:
    """``inputs`` with their amount (``AMOUNT_INPUTS``) moved to ``Currency_Amount`` in ``currency``."""
    moved = dict(inputs)
    for name in AMOUNT_INPUTS:
        if name not in moved:
            continue
        raw = moved.pop(name)
        value = amounts.amount(raw)
        if value is None:
            raise ValueError(f"{name} {raw!r} is not an amount")
        moved["Currency_Amount"] = amounts.money(value, currency)
    return moved
