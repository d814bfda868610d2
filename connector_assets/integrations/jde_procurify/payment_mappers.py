"""Procurify payments -> JD Edwards, the pure part: which bills a payment pays and how much each, where each
bill is in JDE (the bills flow's cross-reference), and the ``ML_RecordPayment`` or ``ML_CreateJournalBatch``
body of each (payment, bill). No I/O here: ``payments`` reads Procurify, the ledger and F0901 and calls
these.

Which bills, and how much each. A public payment names the bill *groups* it pays (``bill_groups``,
reference 2.7), not bills, and carries one ``amount``. A bill carries its ``group`` and the ``payment_uuid``
of the payment it is in (reference 2.6). A payment's bills are the bills of its groups that name this
payment, or no payment yet (a group is paid as one; a bill of the group naming *another* payment is that
payment's). Each bill is paid its ``total_cost_with_tax`` (a JSON number in the API, quirk 7: read as
text, to the cent). The bills' totals must add up to the payment's amount exactly: when they do not
(a partial payment, a credit applied outside the bills, a bill added to the group afterwards) nothing of
the payment is posted, and every (payment, bill) is refused with both figures, for a person to record it
in JDE by hand; a split the integration guessed would leave the wrong vouchers open.

Where the bill is in JDE. The bills flow (helper F's ``bills``) records an xref of entity ``bill``
(source key: the bill uuid as the API gives it) whose target id is the voucher's document key
``KCO:DOC:DCT``. A target id in batch-key form ``EDUS/EDBT/EDTN`` (a voucher batch whose voucher number
R04110ZA has not assigned yet, as the shared ``VoucherBatches`` target names it) is understood too: the
voucher is then found through F0411Z1 when the payment is written (``VoucherPayments``). A bill not (yet)
in JDE holds its payments on the bill's dependency key until the bills flow posts it.

How it posts (``ML_JDE_PROCURIFY_BILL_POSTING``, the bills flow's setting, so a bill and its payment post
the same way): ``voucher`` -> ``ML_RecordPayment`` on the bill's voucher; ``journal`` -> a journal entry
(``ML_CreateJournalBatch``) debiting ``ML_JDE_PROCURIFY_AP_ACCOUNT`` (the A/P liability the bill's
journal credited) and crediting ``ML_JDE_PROCURIFY_PAYMENT_BANK_ACCOUNT`` (the bank), in the bill's JDE
company (its batch rows' KCO), on the payment's date; both accounts checked against F0901 first.

Keys that make a rerun safe. ``Payment_Reference`` = ``PFY<payment id>`` (Procurify's integer payment id:
a uuid's 32 characters do not fit the contract's 25), recorded once per voucher by JDE (59AB on a repeat:
adopted). A journal entry's batch key: EDUS ``ML_JDE_PROCURIFY_BATCH_USER``, EDBT ``PMT`` + the
payment uuid's first 12 hex digits, EDTN ``BILL`` + the bill uuid's first 18 (upper case): from the two
uuids alone, and never a bill batch's key (those are ``PFY`` + hex and 22 hex digits: ``M``, ``T``, ``L``
are not hex digits).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.documents import version_text
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.jde import contracts
from connector_assets.jde.targets import BatchKey

POSTINGS = ("voucher", "journal")
REFERENCE_PREFIX = "PFY"  # Payment_Reference = PFY<payment id>
# A JSON number rendered from a two-decimal amount differs from it by float noise only (quirk 7).
FLOAT_NOISE = Decimal("0.000001")


# -- a payment's bills and amounts ------------------------------------------------------------------------


def payment_uuid(payment: Mapping[str, Any]) -> str:
    return str(payment.get("uuid") or "").strip()


def payment_key(payment: str, bill: str) -> str:
    """The flow's source key of one bill of one payment: ``<payment uuid>:<bill uuid>``."""
    return f"{payment}:{bill}"


def payment_label(payment: Mapping[str, Any]) -> str:
    return f"Procurify payment {payment.get('id') or '?'} ({payment_uuid(payment) or 'no uuid'})"


def group_id(value: Any) -> int | None:
    """A bill group's id as a bill's ``group`` or a payment's ``bill_groups`` entry gives it: the id
    (reference 2.7: ``bill_groups`` are ids) or a nested object carrying it (``{"id": 512, ...}``: the
    reference lists a bill's ``group`` without its shape); None when it names no group."""
    if isinstance(value, Mapping):
        value = value.get("id")
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return int(text) if text.isdigit() else None


def payment_groups(payment: Mapping[str, Any]) -> list[int]:
    """The bill groups the payment pays (``bill_groups``: ids; one naming no group is left out)."""
    groups = []
    for group in payment.get("bill_groups") or []:
        found = group_id(group)
        if found is not None:
            groups.append(found)
    return groups


def payment_bills(payment: Mapping[str, Any], bills: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The bills (slim, as ``/api/v3/ap/bills/?group=`` lists them) this payment pays: in one of its groups
    and naming this payment or none; each once, in uuid order."""
    groups, own = set(payment_groups(payment)), _hex(payment_uuid(payment))
    chosen: dict[str, dict[str, Any]] = {}
    for bill in bills:
        group = group_id(bill.get("group"))
        named = _hex(str(bill.get("payment_uuid") or ""))
        if group is None or group not in groups or (named and named != own):
            continue
        uuid = str(bill.get("uuid") or "").strip()
        if uuid:
            chosen[uuid] = dict(bill)
    return [chosen[k] for k in sorted(chosen)]


def _hex(uuid: str) -> str:
    return uuid.replace("-", "").strip().lower()


def cents(value: Any) -> Decimal | None:
    """An amount as the API renders it (decimal text, or a JSON number for bill totals) to the cent; None
    when it is not a number or carries more than float noise beyond the cent."""
    parsed = amounts.amount(value) if value is not None and not isinstance(value, bool) else None
    if parsed is None:
        return None
    rounded = parsed.quantize(amounts.CENT)
    return rounded if abs(parsed - rounded) < FLOAT_NOISE else None


@dataclass(frozen=True)
class Share:
    """What a payment pays on one of its bills."""

    bill: str  # uuid as the API gives it
    amount: Decimal
    invoice_number: str


def split(payment: Mapping[str, Any], bills: list[dict[str, Any]]) -> list[Share] | str:
    """The payment's amount per bill (each bill's ``total_cost_with_tax``), or why it cannot be split
    exactly, in a finance user's words with both figures."""
    label = payment_label(payment)
    total = cents(payment.get("amount"))
    if total is None:
        return f"{label}: its amount {payment.get('amount')!r} cannot be read as money"
    if not bills:
        groups = ", ".join(str(g) for g in payment_groups(payment)) or "none"
        return (
            f"{label} of {amounts.money(total)}: Procurify lists no bill of its bill groups ({groups}) for "
            "it, so there is no JDE voucher to pay; record it in JDE by hand if it is real, then abandon "
            "this item"
        )
    shares, unreadable = [], []
    for bill in bills:
        amount = cents(bill.get("total_cost_with_tax"))
        if amount is None:
            unreadable.append(f"bill {bill.get('uuid')} total {bill.get('total_cost_with_tax')!r}")
            continue
        shares.append(Share(str(bill["uuid"]), amount, str(bill.get("invoice_number") or "").strip()))
    if unreadable:
        return f"{label}: cannot be split over its bills, unreadable: {'; '.join(unreadable)}"
    paid = sum((s.amount for s in shares), Decimal("0"))
    if paid != total:
        each = ", ".join(f"{s.invoice_number or s.bill} {amounts.money(s.amount)}" for s in shares)
        return (
            f"{label} is {amounts.money(total)}, but its bills add up to {amounts.money(paid)} ({each}): "
            "it cannot be split over the bills exactly, so none of it is posted to JDE. Record it on the "
            "JDE vouchers by hand (or correct the payment in Procurify, then replay)"
        )
    return shares


def paid_on(payment: Mapping[str, Any]) -> str:
    """The payment's date for JDE: ``processing_date`` (the day the money left), else ``posted_date``."""
    for field in ("processing_date", "posted_date"):
        text = str(payment.get(field) or "")[:10]
        if len(text) == 10:
            return text
    return ""


def payment_reference(payment: Mapping[str, Any]) -> str:
    """``PFY<payment id>``: ML_RecordPayment's reference (max 25), recorded once per voucher by JDE."""
    return f"{REFERENCE_PREFIX}{str(payment.get('id') or '').strip()}"


# -- where a bill is in JDE ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillInJde:
    """A bill's JDE document, from the bills flow's xref target id: a voucher (or journal) document key
    ``KCO:DOC:DCT``, or a voucher batch key ``EDUS/EDBT/EDTN`` whose voucher is found in F0411Z1."""

    target_id: str
    company: str | None = None
    number: int | None = None
    doc_type: str | None = None
    batch: BatchKey | None = None

    @classmethod
    def parse(cls, target_id: str | None) -> "BillInJde | None":
        text = str(target_id or "").strip()
        parts = text.split(":")
        if len(parts) == 3 and parts[1].strip().isdigit() and parts[0].strip():
            return cls(text, parts[0].strip(), int(parts[1]), parts[2].strip() or "PV")
        parts = text.split("/")
        if len(parts) == 3 and all(p.strip() for p in parts):
            return cls(text, batch=BatchKey(*(p.strip() for p in parts)))
        return None


# -- settings-derived rules, given to the mapper ---------------------------------------------------------


@dataclass(frozen=True)
class JournalAccounts:
    """The journal's debit and credit accounts as checked against F0901, or why they cannot be used."""

    debit: str | None
    credit: str | None
    problem: str | None = None


@dataclass(frozen=True)
class PostingRules:
    posting: str  # voucher | journal
    batch_user: str  # EDUS of journal entries
    default_company: str  # a journal's company when the bill's JDE key does not name one
    journal: JournalAccounts


def journal_key(batch_user: str, payment: str, bill: str) -> BatchKey:
    """EDUS the batch user, EDBT ``PMT`` + the payment uuid's first 12 hex digits, EDTN ``BILL`` + the
    bill uuid's first 18, upper case: from the two uuids alone (contract maxima 15 and 22)."""
    return BatchKey(batch_user, f"PMT{_hex(payment)[:12].upper()}", f"BILL{_hex(bill)[:18].upper()}")


# -- the mapper ------------------------------------------------------------------------------------------


@lazy_model
def ProcurifyPaymentRecord() -> type:
    """A (payment, bill) ML_RecordPayment or ML_CreateJournalBatch accepts (the contracts' lengths)."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyPaymentRecord(pa.DataFrameModel):
        payment_reference: Series[str] = pa.Field(str_length={"min_value": 4, "max_value": 25})
        payment_amount: Series[str] = pa.Field(str_matches=r"^\d{1,13}\.\d{2}$")
        payment_date: Series[str] = pa.Field(str_matches=contracts.ISO_DAY)
        posting: Series[str] = pa.Field(isin=list(POSTINGS))
        company: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1, "max_value": 5})
        voucher_number: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{1,8}$")
        batch_number: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1, "max_value": 15})
        transaction_number: Series[str] = pa.Field(
            nullable=True, str_length={"min_value": 1, "max_value": 22}
        )
        invoice_id: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 50})
        bill_uuid: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 40})
        payment_updated_at: Series[str] = pa.Field(str_matches=contracts.VERSION)

        class Config:
            strict = True
            coerce = True

    return ProcurifyPaymentRecord


def map_payment(
    payment: Mapping[str, Any],
    updated_at: datetime,
    bills: list[dict[str, Any]],
    posted: Mapping[str, str | None],
    rules: PostingRules,
    bill_dependency: Callable[[str], str],
    companies: Mapping[str, str] | None = None,
) -> Iterator[Mapped | Rejected]:
    """One paid Procurify payment -> one JDE write per bill it pays, or why not. ``bills``: the payment's
    bills (``payment_bills``); ``posted``: each bill's JDE target id from the bills flow (None: not posted
    yet); ``bill_dependency``: the bills flow's dependency key of a bill uuid (what a held payment waits
    for); ``companies``: the JDE company of a bill posted as a batch (read from its batch rows), for a
    journal entry."""
    uuid, label = payment_uuid(payment), payment_label(payment)
    shares = split(payment, bills)
    if isinstance(shares, str):
        keys = [str(b.get("uuid")) for b in bills] or [""]
        for bill in keys:
            yield Rejected(payment_key(uuid, bill), shares)
        return
    credits = [s for s in shares if s.amount <= 0]
    if credits:  # posting the other bills in full would record more paid in JDE than the payment moved
        reason = _not_a_payment(label, credits)
        for share in shares:
            yield Rejected(payment_key(uuid, share.bill), reason)
        return
    day, reference = paid_on(payment), payment_reference(payment)
    for share in shares:
        key = payment_key(uuid, share.bill)
        what = f"{label} of bill {share.invoice_number or share.bill}"
        if not day:
            yield Rejected(key, f"{what}: it has no processing or posted date to record it on")
            continue
        common = {
            "payment_reference": reference,
            "payment_amount": amounts.money(share.amount),
            "payment_date": day,
            "invoice_id": (share.invoice_number or share.bill)[:50],
            "bill_uuid": share.bill,
            "payment_updated_at": version_text(updated_at),
        }
        target = posted.get(share.bill)
        in_jde = BillInJde.parse(target)
        if target is None:  # not posted yet: held on the bill; the replay after its release maps it again
            unknown = _none("company", "voucher_number", "batch_number", "transaction_number")
            yield Mapped(
                key,
                {"waits_for_bill": share.bill, **common},
                {**common, **unknown, "posting": rules.posting},
                depends_on=bill_dependency(share.bill),
            )
        elif in_jde is None:
            yield Rejected(
                key,
                f"{what}: the bills flow recorded the bill in JDE as {target!r}, which names no JDE voucher "
                "or batch; find the bill's voucher in JDE and record the payment there by hand",
            )
        elif rules.posting == "journal":
            company = in_jde.company or (companies or {}).get(share.bill) or rules.default_company
            yield _journal_entry(key, share, payment, day, company, rules, common, what)
        else:
            yield _voucher_payment(key, share, day, reference, in_jde, common)


def _none(*names: str) -> dict[str, None]:
    return dict.fromkeys(names)


def _voucher_payment(
    key: str, share: Share, day: str, reference: str, in_jde: BillInJde, common: dict[str, Any]
) -> Mapped:
    payment = {
        "Payment_Amount": amounts.money(share.amount),
        "Payment_Date": day,
        "Payment_Reference": reference,
    }
    if in_jde.batch is not None:  # VoucherPayments finds the voucher R04110ZA made of the batch
        body = {**in_jde.batch.body(), **payment}
        fields = {
            **common,
            "posting": "voucher",
            "company": None,
            "voucher_number": None,
            "batch_number": in_jde.batch.batch,
            "transaction_number": in_jde.batch.transaction,
        }
        return Mapped(
            key, body, fields, natural_key={"voucher batch": in_jde.target_id, "reference": reference}
        )
    body = {
        "Document_Company": in_jde.company,
        "Document_Number": in_jde.number,
        "Document_Type": in_jde.doc_type,
        **payment,
    }
    fields = {
        **common,
        "posting": "voucher",
        "company": in_jde.company,
        "voucher_number": str(in_jde.number),
        "batch_number": None,
        "transaction_number": None,
    }
    return Mapped(key, body, fields, natural_key={"voucher": in_jde.target_id, "reference": reference})


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
        return Rejected(key, f"{what}: cannot be a journal entry: {rules.journal.problem}")
    batch = journal_key(rules.batch_user, payment_uuid(payment), share.bill)
    reference = common["payment_reference"]
    body = {
        **batch.body(),
        "Company": company,
        "GL_Date": day,  # the day the money left: the period the payment belongs to
        "Document_Type": "JE",
        "Explanation": f"Procurify pmt {reference}"[:30],
        "Lines": [
            {
                "EDI_Line_Number": 1,
                "Account": rules.journal.debit,
                "Amount": amounts.money(share.amount),
                "Explanation": f"Bill {share.invoice_number or share.bill}"[:30],
            },
            {
                "EDI_Line_Number": 2,
                "Account": rules.journal.credit,
                "Amount": amounts.money(-share.amount),
                "Explanation": f"Procurify pmt {reference}"[:30],
            },
        ],
    }
    fields = {
        **common,
        "posting": "journal",
        "company": company,
        "voucher_number": None,
        "batch_number": batch.batch,
        "transaction_number": batch.transaction,
    }
    return Mapped(key, body, fields, natural_key={"target_id": batch.target_id})


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
