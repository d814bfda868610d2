"""Procurify payments -> JD Edwards, the pure part: the ``ML_RecordPayment`` or ``ML_CreateJournalBatch``
body of each (payment, bill). No I/O here: ``payments`` reads Procurify, the ledger and F0901. The split
over bills is the Procurify side's (``procurify.payments``); one that does not split exactly posts nothing.
Keys that make a rerun safe, and the journal: docs/integrations/jde_procurify.md, "The flows" (payments).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.documents import version_text
from connector_assets.flows.record_models import matching, one_of, record_model, string
from connector_assets.jde import contracts
from connector_assets.jde.payment_postings import JournalAccounts, payment_journal
from connector_assets.jde.posted_documents import PostedDocument
from connector_assets.jde.targets import BatchKey
from connector_assets.procurify.bill_fields import currency_code
from connector_assets.procurify.payments import (
    Share,
    SplitWording,
    hex_uuid,
    paid_on,
    payment_label,
    payment_uuid,
    split,
)
from connector_resources.refusals import Refusal, refused, source_invalid

from .bill_mappers import NO_CURRENCY, voucher_remark

POSTINGS = ("voucher", "journal")
REFERENCE_PREFIX = "PFY"  # Payment_Reference = PFY<payment id>


def payment_key(payment: str, bill: str) -> str:
    """The flow's source key of one bill of one payment: ``<payment uuid>:<bill uuid>``."""
    return f"{payment}:{bill}"


def bill_of_payment_key(key: str) -> str | None:
    """The bill uuid of a ``payment_key``, None for a key of another form (a reconciliation asks the
    payments queue by the bill whose paid status a queued payment settles)."""
    payment, colon, bill = key.partition(":")
    return bill if colon and payment and bill else None


# How a payment that cannot be split over its bills is refused (``procurify.payments.split``), in JDE's words.
SPLIT_WORDING = SplitWording(
    no_bills="there is no JDE voucher to pay; record it in JDE by hand if it is real, then abandon this item",
    not_exact="none of it is posted to JDE. Record it on the JDE vouchers by hand (or correct the payment "
    "in Procurify, then replay)",
)


def payment_currency(payment: Mapping[str, object]) -> str:
    """The payment's currency code as Procurify renders it (``{id, name}``, a bare code), "" when it gives
    only an id or nothing (the reference leaves the nested shape unconfirmed): the bill's then decides."""
    code = currency_code(payment)
    return code if len(code) == 3 and code.isalpha() else ""


def payment_reference(payment: Mapping[str, object]) -> str:
    """``PFY<payment id>``: ML_RecordPayment's reference (max 25), recorded once per voucher by JDE."""
    return f"{REFERENCE_PREFIX}{str(payment.get('id') or '').strip()}"


@dataclass(frozen=True)
class PostingRules:
    posting: str  # voucher | journal
    batch_user: str  # EDUS of journal entries
    default_company: str  # a journal's company when the bill's JDE key does not name one
    journal: JournalAccounts


def journal_key(batch_user: str, payment: str, bill: str) -> BatchKey:
    """EDUS the batch user, EDBT ``PMT`` + the payment uuid's first 12 hex digits, EDTN ``BILL`` + the
    bill uuid's first 18, upper case: from the two uuids alone (contract maxima 15 and 22)."""
    return BatchKey(batch_user, f"PMT{hex_uuid(payment)[:12].upper()}", f"BILL{hex_uuid(bill)[:18].upper()}")


ProcurifyPaymentRecord = record_model(
    "ProcurifyPaymentRecord",
    "A (payment, bill) ML_RecordPayment or ML_CreateJournalBatch accepts (the contracts' lengths; a "
    "reference is ``PFY`` and the payment id).",
    base=contracts.JdePaymentRecord,
    payment_reference=string(4, 25),
    bill_uuid=string(1, 40),
    invoice_id=string(1, 50),
    posting=one_of(POSTINGS),
    company=string(1, 5, nullable=True),
    voucher_number=matching(r"^\d{1,8}$", nullable=True),
    batch_number=string(1, 15, nullable=True),
    transaction_number=string(1, 22, nullable=True),
    payment_updated_at=matching(contracts.VERSION),
    currency=matching(r"^([A-Z]{3})?$"),
)


def map_payment(
    payment: Mapping[str, object],
    updated_at: datetime,
    bills: Sequence[Mapping[str, object]],
    posted: Mapping[str, str | None],
    rules: PostingRules,
    bill_dependency: Callable[[str], str],
    companies: Mapping[str, str] | None = None,
    elsewhere: Mapping[str, str] | None = None,
) -> Iterator[Mapped | Rejected | Skipped]:
    """One paid Procurify payment -> one JDE write per bill it pays, or why not. ``bills``: the payment's
    bills (``payment_bills``); ``posted``: each bill's JDE target id from the bills flow (None: not posted
    yet); ``bill_dependency``: the bills flow's dependency key of a bill uuid (what a held payment waits
    for); ``companies``: the JDE company of a bill posted as a batch (read from its batch rows; "" when
    they are gone, purged after posting: the payment is then refused, never posted in a guessed company),
    for a journal entry; ``elsewhere``: the unposted bills another process exported, with why (skipped)."""
    uuid, label = payment_uuid(payment), payment_label(payment)
    shares = split(payment, bills, SPLIT_WORDING)
    if isinstance(shares, str):
        keys = [str(b.get("uuid")) for b in bills] or [""]
        for bill in keys:
            yield Rejected.of(payment_key(uuid, bill), refused(shares, rule="cannot be split over its bills"))
        return
    credits = [s for s in shares if s.amount <= 0]
    if credits:  # posting the other bills in full would record more paid in JDE than the payment moved
        reason = _not_a_payment(label, credits)
        for share in shares:
            yield Rejected.of(
                payment_key(uuid, share.bill), refused(reason, rule="nets bills of zero or less")
            )
        return
    day, reference = paid_on(payment), payment_reference(payment)
    paid_in = payment_currency(payment)
    currencies = {str(bill.get("uuid")): payment_currency(bill) for bill in bills}  # the slim bill's code
    for share in shares:
        key = payment_key(uuid, share.bill)
        what = f"{label} of bill {share.invoice_number or share.bill}"
        if not day:
            said = f"{what}: it has no processing or posted date to record it on"
            yield Rejected.of(key, source_invalid(said, field="processing_date"))
            continue
        currency = currencies.get(share.bill) or paid_in
        if paid_in and currency != paid_in:
            said = (
                f"{what}: the payment is in {paid_in} but the bill is in {currency}; JDE pays a voucher in "
                "its own currency only. Record the payment in JDE by hand, then abandon this item"
            )
            yield Rejected.of(key, refused(said, rule="payment currency differs from the bill's"))
            continue
        if not amounts.fits(share.amount, currency or None):
            too_fine = amounts.CurrencyDecimalsError(share.amount, currency or NO_CURRENCY)
            said = f"{what}: the payment amount: {too_fine}"
            yield Rejected.of(key, Refusal(too_fine.refusal.kind, said, too_fine.refusal.params))
            continue
        common = {
            "payment_reference": reference,
            "payment_amount": amounts.money(share.amount, currency or None),
            "currency": currency,
            "payment_date": day,
            "invoice_id": (share.invoice_number or share.bill)[:50],
            "bill_uuid": share.bill,
            "payment_updated_at": version_text(updated_at),
        }
        target = posted.get(share.bill)
        in_jde = PostedDocument.parse(target)
        bill_of = share.bill
        if target is None and share.bill in (elsewhere or {}):
            why = (elsewhere or {})[share.bill]
            yield Skipped(
                key,
                f"{what}: its bill is not posted to JDE by this integration ({why}); the payment belongs "
                "where the bill went",
            )
        elif target is None:  # not posted yet: held on the bill; the replay after its release maps it again
            unknown = dict.fromkeys(("company", "voucher_number", "batch_number", "transaction_number"))
            yield Mapped(
                key,
                {"waits_for_bill": share.bill, **common},
                {**common, **unknown, "posting": rules.posting},
                depends_on=bill_dependency(share.bill),
            )
        elif in_jde is None:
            said = (
                f"{what}: the bills flow recorded the bill in JDE as {target!r}, which names no JDE voucher "
                "or batch; find the bill's voucher in JDE and record the payment there by hand"
            )
            yield Rejected.of(key, refused(said, rule="bill recorded without a JDE voucher"))
        elif rules.posting == "journal" and in_jde.batch is not None and (companies or {}).get(bill_of) == "":
            said = (
                f"{what}: the bill's journal batch {in_jde.target_id} is no longer in JDE's F0911Z1 (R09110Z "
                "purged it once posted), so the company its journal is in cannot be read; the payment is not "
                "posted to another company by guess. Record it in JDE by hand, then abandon this item"
            )
            yield Rejected.of(key, refused(said, rule="journal company unreadable"))
        elif rules.posting == "journal":
            company = in_jde.company or (companies or {}).get(share.bill) or rules.default_company
            yield _journal_entry(key, share, payment, day, company, rules, common, what)
        else:
            bill = next((b for b in bills if str(b.get("uuid")) == share.bill), {})
            remark = voucher_remark(bill) if bill.get("id") else ""  # no id: the bill's remark is not known
            yield _voucher_payment(key, share, day, reference, in_jde, common, remark)


def _voucher_payment(
    key: str,
    share: Share,
    day: str,
    reference: str,
    in_jde: PostedDocument,
    common: dict[str, Any],
    remark: str,
) -> Mapped:
    body, keys = in_jde.payment(common["payment_amount"], day, reference)
    if in_jde.batch is not None:
        # What the voucher carries in F0411 (invoice number, remark), found by once JDE purged the batch rows.
        if remark:
            body["Voucher_Remark"] = remark
        if share.invoice_number:
            body["Voucher_Invoice_Number"] = share.invoice_number
    if common["currency"]:  # the bill's: the voucher's (the JDE target pays a foreign voucher in it, mode F)
        body["Currency_Code"] = common["currency"]
    fields = {**common, "posting": "voucher", **keys}
    where = "voucher batch" if in_jde.batch is not None else "voucher"
    return Mapped(key, body, fields, natural_key={where: in_jde.target_id, "reference": reference})


def _journal_entry(
    key: str,
    share: Share,
    payment: Mapping[str, Any],
    day: str,
    company: str,
    rules: PostingRules,
    common: dict[str, Any],
    what: str,
) -> Mapped | Rejected:
    if rules.journal.problem is not None:
        said = f"{what}: cannot be a journal entry: {rules.journal.problem}"
        return Rejected.of(
            key, Refusal("configuration", said, {"system": "JDE", "setting": "journal accounts"})
        )
    batch = journal_key(rules.batch_user, payment_uuid(payment), share.bill)
    reference, paid = common["payment_reference"], f"Bill {share.invoice_number or share.bill}"
    posting = payment_journal(  # the JDE side's body: debit the bill's AP account, credit the bank
        batch,
        reference,
        company,
        day,
        share.amount,
        rules.journal,
        (f"Procurify pmt {reference}", paid),
        currency=common["currency"] or None,
    )
    fields = {
        **common,
        "posting": "journal",
        "company": company,
        "voucher_number": None,
        "batch_number": batch.batch,
        "transaction_number": batch.transaction,
    }
    return Mapped(key, posting.body, fields, natural_key=posting.natural_key)


def _not_a_payment(label: str, credits: list[Share]) -> str:
    """Why a payment with a bill of zero or less is not posted: JDE records amounts paid, greater than zero
    (ML_RecordPayment); a negative bill is a credit (a debit memo in JDE) netted into the payment, and
    paying the other bills in full would record more paid in JDE than the payment moved."""
    each = ", ".join(f"{s.invoice_number or s.bill} {amounts.money(s.amount)}" for s in credits)
    return (
        f"{label} nets bills of zero or less ({each}): JDE payments are amounts paid, greater than zero "
        "(ML_RecordPayment), so it is not split over the vouchers by the integration. Record it in JDE by "
        "hand (the credit as a debit memo applied to the vouchers), then abandon this item"
    )
