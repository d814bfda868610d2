"""Where a flow's document is in JD Edwards, as the ledger names it (``KCO:DOC:DCT``, or the batch key
``EDUS/EDBT/EDTN`` of a batch R04110ZA has not numbered yet, found through F0411Z1), and what is read or
sent against it: a payment recorded on it, its company, its voucher rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector_assets.jde.target_base import BATCH_TABLE, JOURNAL_TABLE, BatchKey, jde_number
from connector_resources.jde.session import JdeSession


@dataclass(frozen=True)
class PostedDocument:
    """A JDE document key ``KCO:DOC:DCT`` (``company``, ``number``, ``doc_type``), or a voucher batch key
    ``EDUS/EDBT/EDTN`` (``batch``), as ``target_id`` gives it."""

    target_id: str
    company: str | None = None
    number: int | None = None
    doc_type: str | None = None
    batch: BatchKey | None = None

    @classmethod
    def parse(cls, target_id: str | None) -> PostedDocument | None:
        """The document a target id names (a document key's type defaults to PV); None when it names none."""
        text = str(target_id or "").strip()
        parts = text.split(":")
        if len(parts) == 3 and parts[1].strip().isdigit() and parts[0].strip():
            return cls(text, parts[0].strip(), int(parts[1]), parts[2].strip() or "PV")
        parts = text.split("/")
        if len(parts) == 3 and all(p.strip() for p in parts):
            return cls(text, batch=BatchKey(*(p.strip() for p in parts)))
        return None

    def payment(self, amount: str, day: str, reference: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A payment on this voucher: the ``ML_RecordPayment`` inputs (by the batch key, for
        ``VoucherPayments`` to find the voucher R04110ZA made, or by the document key, for
        ``DocumentPayments``) and the keys a record's fields carry (company, voucher, batch, transaction)."""
        paid = {"Payment_Amount": amount, "Payment_Date": day, "Payment_Reference": reference}
        if self.batch is not None:
            keys = {"company": None, "voucher_number": None}
            batch = {"batch_number": self.batch.batch, "transaction_number": self.batch.transaction}
            return {**self.batch.body(), **paid}, {**keys, **batch}
        document = {
            "Document_Company": self.company,
            "Document_Number": self.number,
            "Document_Type": self.doc_type,
        }
        keys = {"company": self.company, "voucher_number": str(self.number)}
        return {**document, **paid}, {**keys, "batch_number": None, "transaction_number": None}

    def batch_company(self, jde_session: JdeSession) -> str | None:
        """The JDE company of the document: a document key's, else its batch rows' KCO in F0911Z1 (None
        when they name none, or several; "" when there are no rows: R09110Z's "purge processed
        transactions" option deletes them once posted, G/L implementation guide)."""
        if self.batch is None:
            return self.company
        conditions = self.batch.conditions(JOURNAL_TABLE)
        rows = list(jde_session.browse(JOURNAL_TABLE, columns=["KCO"], conditions=conditions))
        if not rows:
            return ""
        companies = {str(r.get("KCO") or "").strip() for r in rows} - {""}
        return companies.pop() if len(companies) == 1 else None

    def voucher_rows(self, jde_session: JdeSession) -> list[dict[str, Any]]:
        """The voucher as ``KCO`` / ``DOC`` / ``DCT``: the document key's, or the F0411Z1 rows of the batch
        that carry the voucher number R04110ZA gave (none yet: [])."""
        if self.batch is None:
            return [{"KCO": self.company, "DOC": self.number, "DCT": self.doc_type}]
        rows = jde_session.browse(
            BATCH_TABLE, columns=["KCO", "DOC", "DCT"], conditions=self.batch.conditions()
        )
        return [row for row in rows if jde_number(row.get("DOC"))]
