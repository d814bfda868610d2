"""The inputs of JD Edwards' AP batch orchestrations, laid out one way for every flow that posts to JDE: a
voucher batch (``ML_CreateVoucherBatch``: one F0411Z1 pay item and F0911Z1 distribution lines, for R04110ZA
to turn into an F0411 voucher) and a journal batch (``ML_CreateJournalBatch``: F0911Z1 lines summing to
zero), each under the ``BatchKey`` its flow derived from the source document (contracts in
``docs/jde_orchestrations/``).

A flow gives the values in its own words (its remark, each line's explanation, cut to JDE's lengths by it);
this module only numbers the lines (EDLN from 1) and names the inputs, and gives the record fields the
voucher contract checks (``voucher_fields``). Used by Procurify -> JDE bills (voucher or journal) and
payments (a two-line journal entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.jde.target_base import BatchKey

SUBLEDGER_ADDRESS = "A"  # F0911 SBLT A: the subledger is an address book number


@dataclass(frozen=True)
class LedgerLine:
    """One F0911Z1 line: a JDE account (``BU.OBJ[.SUB]``), its amount (a debit positive, a credit negative),
    its explanation (EXA) and, when set, a subledger with its type (SBL / SBLT)."""

    account: str | None
    amount: Decimal
    explanation: str
    subledger: str | None = None
    subledger_type: str | None = None

    def inputs(self, number: int) -> dict[str, Any]:
        """The line as the orchestrations take it, numbered ``number`` (EDLN)."""
        line: dict[str, Any] = {
            "EDI_Line_Number": number,
            "Account": self.account,
            "Amount": amounts.money(self.amount),
            "Explanation": self.explanation,
        }
        if self.subledger:
            line.update({"Subledger": self.subledger, "Subledger_Type": self.subledger_type})
        return line


def numbered(lines: Iterable[LedgerLine]) -> list[dict[str, Any]]:
    """``lines`` as the orchestrations take them, numbered from 1 in their order."""
    return [line.inputs(number) for number, line in enumerate(lines, start=1)]


def voucher_batch_body(
    key: BatchKey,
    *,
    company: str,
    supplier: int | None,
    invoice_number: str,
    invoice_date: str,
    gl_date: str,
    due_date: str | None,
    currency: str,
    remark: str,
    gross: Decimal,
    distribution: Iterable[LedgerLine],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``ML_CreateVoucherBatch`` inputs: the header (pay status A: approved for payment), one pay item of
    the gross and one distribution line per line; ``extra`` adds inputs of the header (an order to match)."""
    return {
        **key.body(),
        "Company": company,
        "Supplier": supplier,
        "Invoice_Number": invoice_number,
        "Invoice_Date": invoice_date,
        "GL_Date": gl_date,
        "Due_Date": due_date,
        "Currency_Code": currency or None,
        "Pay_Status": "A",
        "Remark": remark,
        **(extra or {}),
        "Pay_Items": [{"EDI_Line_Number": 1, "Gross_Amount": amounts.money(gross)}],
        "Distribution": numbered(distribution),
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
    its own): what a finance user reads in the record, and the batch keys."""
    return {
        "invoice_number": invoice_number,
        "supplier_number": supplier,
        "company": company,
        "gross_amount": amounts.money(gross),
        "invoice_date": invoice_date,
        "currency": currency,
        "distribution_lines": lines,
        "batch_number": key.batch,
        "transaction_number": key.transaction,
    }


def journal_batch_body(
    key: BatchKey, *, company: str, gl_date: str, explanation: str, lines: Iterable[LedgerLine]
) -> dict[str, Any]:
    """The ``ML_CreateJournalBatch`` inputs of a journal entry (document type JE) whose ``lines`` sum to
    zero (JDE refuses one that does not, 59A5)."""
    return {
        **key.body(),
        "Company": company,
        "GL_Date": gl_date,
        "Document_Type": "JE",
        "Explanation": explanation,
        "Lines": numbered(lines),
    }


def transfer_journal_body(
    key: BatchKey,
    *,
    company: str,
    gl_date: str,
    amount: Decimal,
    debit: tuple[str | None, str],
    credit: tuple[str | None, str],
    explanation: str,
) -> dict[str, Any]:
    """A two-line journal entry moving ``amount`` from the ``credit`` account to the ``debit`` one (a
    payment: the A/P liability debited, the bank credited); each of them is (account, line explanation)."""
    lines = (LedgerLine(debit[0], amount, debit[1]), LedgerLine(credit[0], -amount, credit[1]))
    return journal_batch_body(key, company=company, gl_date=gl_date, explanation=explanation, lines=lines)
