"""A payment made in another system, posted to JD Edwards once: on the F0411 voucher it pays
(``ML_RecordPayment``) or, with no voucher, as a journal entry (``ML_CreateJournalBatch``) debiting the
liability and crediting the bank. Rerun-safe keys: a voucher payment's ``Payment_Reference`` is the source
payment's id, read back from F0414 (``payment_repeats``); a journal's batch key comes from the source's
ids alone (``journal_key``), so a repeat finds its F0911Z1 rows.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.found_ahead import found_each
from connector_assets.flows.record_models import ISO_DAY, matching, one_of, record_model, string
from connector_assets.jde import contracts, postings
from connector_assets.jde.accounts import GlAccounts, account_setting, setting_account_problems
from connector_assets.jde.batch_bodies import payment_inputs, transfer_journal_body
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.order_vouchers import parse_source_key
from connector_assets.jde.target_base import find_held_on_missing
from connector_assets.jde.targets import JOURNAL_TABLE, BatchKey
from connector_assets.jde.undone_payments import reversal_asked
from connector_resources.ledger import Ledger

JdePostingRecord = record_model(
    "JdePostingRecord",
    "A payment ML_RecordPayment or ML_CreateJournalBatch accepts (the contracts' lengths): on a voucher, or "
    "as a journal batch.",
    payment_reference=string(1, 25),
    payment_amount=matching(contracts.PAYMENT_AMOUNT),
    currency=matching(r"^([A-Z]{3})?$"),
    payment_date=matching(ISO_DAY),
    posting=one_of(["voucher", "journal"]),
    company=string(1, 5),
    voucher_number=matching(r"^\d{1,8}$", nullable=True),
    batch_number=string(1, 15, nullable=True),
    transaction_number=string(1, 22, nullable=True),
)


@dataclass(frozen=True)
class Voucher:
    """An F0411 voucher by its document key."""

    company: str
    number: int
    doc_type: str

    @classmethod
    def of_key(cls, key: str) -> "Voucher | None":
        """``PV:<KCO>:<DOC>:<DCT>`` (a JDE -> X flow's source key of a voucher), None when it is not one."""
        found = parse_source_key(key)
        return cls(found[1], found[2], found[3] or "PV") if found and found[0] == "PV" else None

    def text(self) -> str:
        return f"{self.company} {self.number} {self.doc_type}"


@dataclass(frozen=True)
class JdeOrigin:
    """The JDE document a record of another system came from (its source key in a JDE -> X flow:
    ``PV:<KCO>:<DOC>:<DCT>`` or ``PO:<KCOO>:<DOCO>:<DCTO>``) and the voucher that pays it, if any."""

    jde_key: str
    voucher: Voucher | None

    @property
    def company(self) -> str:
        return self.jde_key.split(":")[1]


def jde_origin(
    ledger: Ledger, integration: str, entity: str, link_entity: str, system: str, target_id: str
) -> JdeOrigin | None:
    """Where record ``target_id`` of ``system`` came from in JDE: the ``entity`` cross-reference its flow
    recorded, and for an order the voucher a ``link_entity`` cross-reference names; None when no JDE
    document became it."""
    xref = ledger.find_xref_by_target(integration, entity, system, target_id)
    if xref is None:
        return None
    voucher = Voucher.of_key(xref.source_key)
    if voucher is None:  # a purchase order's record: the voucher applied to it, if any
        link = ledger.find_xref_by_target(integration, link_entity, system, target_id)
        voucher = Voucher.of_key(link.source_key) if link is not None else None
    return JdeOrigin(xref.source_key, voucher)


@dataclass(frozen=True)
class JournalAccounts:
    """A payment journal's debit and credit accounts as checked against F0901, or why they cannot be used."""

    debit: str | None
    credit: str | None
    problem: str | None = None

    @classmethod
    def checked(cls, gl: GlAccounts | None, debit_env: str, credit_env: str) -> "JournalAccounts":
        """The accounts settings ``debit_env`` and ``credit_env`` name, checked (exist, postable)."""
        debit, credit = account_setting(debit_env), account_setting(credit_env)
        problems = setting_account_problems(
            ((debit_env, debit), (credit_env, credit)),
            gl,
            unset="is not set (JDE is not the sandbox, so there is no default)",
        )
        return cls(debit, credit, "; ".join(problems) or None)


def journal_key(user: str, document_id: str, payment_id: str) -> BatchKey:
    """EDUS ``user``, EDBT the last 15 characters of the paid document's id (the contract's maximum), EDTN
    the payment's id (max 22): from the two ids alone, so any rerun sends the same key."""
    return BatchKey(user, document_id[-15:], payment_id)


class Posting(NamedTuple):
    """A payment's JDE write: the orchestration's body, its ``JdePostingRecord`` columns, its natural key."""

    body: dict[str, Any]
    fields: dict[str, Any]
    natural_key: dict[str, Any]


def _columns(
    reference: str, amount: Decimal, paid_on: str, company: str, currency: str | None, **posting: object
) -> dict[str, Any]:
    empty = {"voucher_number": None, "batch_number": None, "transaction_number": None}
    return {
        "payment_reference": reference,
        "payment_amount": amounts.money(amount, currency or None),
        "currency": (currency or "").strip().upper(),
        "payment_date": paid_on,
        "company": company,
        **empty,
        **posting,
    }


def voucher_payment(
    voucher: Voucher,
    amount: Decimal,
    paid_on: str,
    reference: str,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> Posting:
    """``ML_RecordPayment`` of ``amount`` paid on ``voucher`` on ``paid_on``, as ``reference``, in the
    payment's ``currency`` (the voucher's: the JDE target pays a foreign voucher in it, ``Currency_Mode``
    F) at the ``exchange_rate`` the source states, if any. A finer amount than the currency has raises
    ``amounts.CurrencyDecimalsError`` (the mapper refuses the payment naming it)."""
    body = {
        "Document_Company": voucher.company,
        "Document_Number": voucher.number,
        "Document_Type": voucher.doc_type,
        **payment_inputs(
            amount, currency=currency, paid_on=paid_on, reference=reference, exchange_rate=exchange_rate
        ),
    }
    fields = _columns(
        reference,
        amount,
        paid_on,
        voucher.company,
        currency,
        posting="voucher",
        voucher_number=str(voucher.number),
    )
    return Posting(body, fields, {"voucher": voucher.text(), "Payment_Reference": reference})


def payment_journal(
    batch: BatchKey,
    reference: str,
    company: str,
    paid_on: str,
    amount: Decimal,
    accounts: JournalAccounts,
    explanations: tuple[str, str],
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> Posting:
    """``ML_CreateJournalBatch`` of payment ``reference``: a JE in ``company`` on ``paid_on`` (the day the
    money left: the period the payment belongs to), debiting ``accounts.debit`` and crediting
    ``accounts.credit`` with ``amount`` in the payment's ``currency`` (at the rate the source states, if
    any); ``explanations`` are the payment's and the paid document's (30 characters each)."""
    payment_text, document_text = (text[:30] for text in explanations)
    body = transfer_journal_body(
        batch,
        company=company,
        gl_date=paid_on,
        amount=amount,
        debit=(accounts.debit, document_text),
        credit=(accounts.credit, payment_text),
        explanation=payment_text,
        currency=currency,
        exchange_rate=exchange_rate,
    )
    keys = {"batch_number": batch.batch, "transaction_number": batch.transaction}
    fields = _columns(reference, amount, paid_on, company, currency, posting="journal", **keys)
    return Posting(body, fields, {"target_id": batch.target_id})


def posted_to_reverse(ledger: Ledger, integration: str, entity: str, source: str, key: str) -> str | None:
    """The JDE posting of record ``key`` (its target id) that a person must reverse by hand now that the
    source undid it (an integration never reverses a JDE posting); None when JDE holds none, or when an
    item of the record was abandoned since it was posted (the person said it is done)."""
    xref = ledger.get_xref(integration, entity, source, key, "JDE")
    if xref is None or not xref.target_id:
        return None
    items = ledger.queue_for(key)
    if any(i.status == "abandoned" and i.created_at >= xref.updated_at for i in items):
        return None
    return xref.target_id


def undone_after_posting(
    ledger: Ledger, integration: str, source: str, key: str, payment: str, now: str
) -> Rejected | None:
    """Record ``key`` of a ``payment`` (in words: ``BILL payment 1 of bill 2``) that JDE holds and the source
    system no longer counts as paid (``now``: ``VOIDED in BILL``, canceled, its funding failed): the
    integration never reverses a JDE posting, so it asks a person to, until they say it is done; None when
    JDE holds nothing to reverse (``posted_to_reverse`` of entity ``payment``)."""
    posted = posted_to_reverse(ledger, integration, "payment", source, key)
    return reversal_asked(key, f"{payment} is now {now}", posted) if posted else None


class PaymentPostings(postings.PaymentPostings):
    """``postings.PaymentPostings`` (a voucher payment, ML_RecordPayment, or a journal entry,
    ML_CreateJournalBatch, by the record's ``posting``) that also finds a voucher payment posted as its
    journal entry. The subclass names the source (``source_label``) and each record's journal key
    (``journal_key_of``)."""

    def journal_key_of(self, record: Mapped) -> BatchKey:
        """The batch key the record's journal entry has, or would have had."""
        raise NotImplementedError

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        """The posting of this payment whichever way it was made. A voucher payment is also looked for as
        the journal entry of the same payment (its batch key comes from the ids alone): the document may
        have had no voucher when the payment was first posted, and a ledger that lost that posting (or a
        fresh one) must adopt the journal, not pay the voucher too. (The other way round is not searched:
        a journal record names no voucher to read a payment on.)"""
        found = super().find(record)
        if found is not None or record.fields["posting"] != "voucher":
            return found
        key = self.journal_key_of(record)
        journals: set[str] | None = getattr(_ahead, "journals", None)
        if journals is not None:
            return key.target_id if key.target_id in journals else None
        rows = self.session.browse(  # type: ignore[attr-defined]
            JOURNAL_TABLE, columns=["EDUS", "EDBT", "EDTN"], conditions=key.conditions(JOURNAL_TABLE)
        )
        return key.target_id if list(rows) else None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of claimed records (``records.BatchFinder``), the journal entries of its
        voucher payments read at once (F0911Z1 by EDTN, 100 a call) where ``find`` reads one a record; a
        record ``find`` refuses is left to it."""
        keys = [self.journal_key_of(r) for r in records if r.fields.get("posting") == "voucher"]
        transactions = sorted({key.transaction for key in keys})
        rows = browse_in(self.session, JOURNAL_TABLE, "EDTN", transactions, ["EDUS", "EDBT", "EDTN"])
        _ahead.journals = {"/".join(str(r[c]).strip() for c in ("EDUS", "EDBT", "EDTN")) for r in rows}
        try:
            return found_each(self.find, records)
        finally:
            _ahead.journals = None


_ahead = threading.local()  # the journal entries a ``find_many`` read, while it runs (its thread only)
