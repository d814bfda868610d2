"""Procurify's bill register for one vendor and period against the documents an integration wrote for its
bills elsewhere (JDE vouchers, Fusion invoices): each approved bill needs a document of the same amount in
its own currency, never converted; the integration's words are data (``RegisterWords``), its extra checks a
subclass's hooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.procurify.reconcile_reads import RegisterBill


@dataclass(frozen=True)
class RegisterWords:
    """How a register comparison names what differs. The sentences are templates over ``bill`` (its
    label), ``vendor``, ``status``, ``amount`` (the bill's), ``why`` and, with a document, ``doc`` (the
    document itself: ``{doc.label}``), ``other`` (its amount) and ``gap`` (its amount less the bill's)."""

    target: str  # the other side in the table (``SideTotals``): "jde", "fusion"
    missing_kind: str  # "bill missing in JDE"
    missing: str  # an approved bill with no document
    not_sent: str  # why, when the flow's retry queue says nothing
    no_counterpart: str  # why, when the vendor has no counterpart in the target
    amount_kind: str  # "bill amount"
    amount: str  # a document of another amount

    @classmethod
    def of(cls, text: str) -> RegisterWords:
        """The words declared one a line, ``<field, spaces for underscores>: <words>``."""
        lines = (line.split(":", 1) for line in text.strip().splitlines() if line.strip())
        return cls(**{name.strip().replace(" ", "_"): words.strip() for name, words in lines})


@dataclass
class RegisterComparison:
    """One vendor's period: ``key`` its row in ``rows``, ``scope`` where its differences belong,
    ``counterpart`` the vendor's counterpart in the target (None: it has none yet)."""

    report: Report
    rows: SideTotals
    key: tuple[str, ...]
    scope: str
    vendor: str
    counterpart: str | None
    words: RegisterWords

    def compare(
        self, register: Iterable[RegisterBill], written: Mapping[str, Any], why_missing: Mapping[str, str]
    ) -> None:
        """``register``: the vendor's bills dated in the period (any status); ``written``: bill uuid -> the
        document written for it (with an ``amount``); ``why_missing``: bill uuid -> why it has none."""
        for bill in register:
            document = written.get(bill.uuid)
            if bill.exported_elsewhere and document is None:
                self.report.counts["bills_exported_by_another_process"] += 1
                continue
            if not bill.approved:
                self.not_approved(bill, document)
                continue
            self.report.counts["procurify_bills_approved"] += 1
            self.rows.add(self.key, "procurify", bill.amount)
            if document is None:
                why = why_missing.get(bill.uuid) or (
                    self.words.no_counterpart if self.counterpart is None else self.words.not_sent
                )
                self.differ(self.words.missing_kind, bill, "-", self.words.missing, why=why)
                continue
            if self.unusable(bill, document):
                continue
            if self.currency_mismatch(bill, document):  # no amount of another currency is added or compared
                self.paired(bill, document)
                continue
            self.rows.add(self.key, self.words.target, document.amount)
            if document.amount != bill.amount:
                self.differ(
                    self.words.amount_kind,
                    bill,
                    money(document.amount, bill.currency or None),
                    self.words.amount,
                    document,
                )
            else:
                self.report.counts["bills_in_balance"] += 1
            self.paired(bill, document)

    def differ(
        self, kind: str, bill: RegisterBill, value: str, template: str, document: Any = None, **more: Any
    ) -> None:
        """One difference about ``bill``: ``value`` the target's, the bill's amount Procurify's."""
        words = self.sentence(bill, template, document, **more)
        self.report.differ(
            kind, bill.label, self.scope, value, money(bill.amount, bill.currency or None), words
        )

    def sentence(self, bill: RegisterBill, template: str, document: object = None, **more: object) -> str:
        """``template`` (one of ``RegisterWords``) said of ``bill`` and its document."""
        other = getattr(document, "amount", None)
        currency = bill.currency or None  # both sides' amounts are in it (else ``currency_mismatch``)
        return template.format(
            bill=bill.label,
            vendor=self.vendor,
            status=bill.status,
            amount=money(bill.amount, currency),
            doc=document,
            other=money(other, currency),
            gap=money(other - bill.amount, currency) if other is not None else "-",
            **more,
        )

    def not_approved(self, bill: RegisterBill, document: object) -> None:
        """A bill whose status does not count as approved (a subclass may name its document)."""

    def currency_mismatch(self, bill: RegisterBill, document: Any) -> bool:
        """Whether the document is in another currency than the bill (a subclass names it), True to leave
        its amount out: 1,000.00 EUR against 1,000.00 USD is no amount difference, nor agreement."""
        return False

    def unusable(self, bill: RegisterBill, document: object) -> bool:
        """Whether the document cannot be compared (a subclass names why), True to pass over it."""
        return False

    def paired(self, bill: RegisterBill, document: object) -> None:
        """An approved bill with its document, amounts compared (a subclass may compare more)."""
