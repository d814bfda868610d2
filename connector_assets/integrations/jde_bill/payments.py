"""BILL payments -> JD Edwards: a payment BILL made posts to JDE once per bill it pays, on the voucher the
bill came from (``ML_RecordPayment``) or as a journal entry; the bodies, keys and target are
``jde.payment_postings``; the flow, its assets and replay are an instance's (``payments_flow``). Depth:
docs/integrations/jde_bill.md, "The flows" ("payments, BILL -> JDE").
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.bill.documents import PAYMENTS, current_versions
from connector_assets.bill.payment_fields import PaymentOutcomes, paid_bills, payment_status
from connector_assets.bill.payments_read import read_payments_day
from connector_assets.bill.reads import bill_by_id
from connector_assets.flows import amounts
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, skips_audited
from connector_assets.flows.documents import Version, collect_documents, version_text
from connector_assets.flows.instance import Instance
from connector_assets.flows.out_of_scope import OutOfScope
from connector_assets.flows.record_models import matching, record_model, string
from connector_assets.flows.replays import Replay
from connector_assets.jde import contracts, targets
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.payment_postings import (
    JdeOrigin,
    JdePostingRecord,
    JournalAccounts,
    PaymentPostings,
    jde_origin,
    payment_journal,
    undone_after_posting,
    voucher_payment,
)
from connector_assets.jde.payment_postings import journal_key as posting_key
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.jde.unprocessed_batches import unprocessed_checks
from connector_assets.runtime.session_source import SessionSource
from connector_assets.saas.assets import saas_partitions
from connector_resources.bill import BillResource
from connector_resources.bill.session import BillSession
from connector_resources.ledger import Ledger
from connector_resources.refusals import Refusal, master_missing, refusal_of, refused, source_invalid
from connector_resources.replay import shared_value

from .bill_keys import ENTITY, VOUCHER_LINK
from .integration import Own, route, settings_resources

EDI_USER = "MLBILL"  # F0911Z1.EDUS of every journal entry this flow writes
HOME_CURRENCY = "USD"  # a BILL vendor with no billCurrency is billed and paid in USD (BILL funds in USD)
BLANK = "the company's currency"  # how a message names a currency not known (JDE takes the company's)
JOURNAL_ACCOUNTS = ("payment_debit_account", "payment_credit_account")  # the settings a journal posts to


def bill_origin(ledger: Ledger, integration: str, bill_id: str) -> JdeOrigin | None:
    """Where ``integration``'s bill ``bill_id`` came from in JDE, None when it did not come from JDE (no
    ``bill`` xref)."""
    return jde_origin(ledger, integration, ENTITY, VOUCHER_LINK, "bill", bill_id)


def journal_key(payment_id: str, bill_id: str) -> targets.BatchKey:
    """EDUS ``MLBILL``, EDBT the bill id's last 15 characters, EDTN the payment id: from the two ids alone."""
    return posting_key(EDI_USER, bill_id, payment_id)


@dataclass(frozen=True)
class PostingRules:
    """What decides how a payment posts: the mode and the journal accounts, the instance's settings (``it``:
    what a refusal names)."""

    posting: str
    journal: JournalAccounts
    it: Instance


JdeBillPaymentRecord = record_model(
    "JdeBillPaymentRecord",
    "A BILL payment ML_RecordPayment or ML_CreateJournalBatch accepts (the contracts' lengths), the bill it "
    "pays and the version it was mapped from.",
    base=JdePostingRecord,
    bill_id=string(1, 40),
    bill_updated_at=matching(contracts.VERSION),
)  # ``currency`` (the payment's, blank: the company's) is JdePostingRecord's


def bill_currency(vendor: Mapping[str, object]) -> str:
    """The currency a BILL vendor's bills and payments are in (they name none of their own, reference 2.7):
    its ``billCurrency``, blank: USD (BILL's own)."""
    return str(vendor.get("billCurrency") or "").strip().upper() or HOME_CURRENCY


def vendor_currencies(
    bill: Any,
    payments: Iterable[Mapping[str, Any]],
    known: dict[str, str] | None = None,
) -> dict[str, str]:
    """BILL vendor id -> ``bill_currency``, for the vendors of ``payments``, read by id (100 to a call)
    unless ``known`` holds them (it keeps what is read). A vendor BILL does not answer for is absent."""
    known = {} if known is None else known
    ids = {str(p.get("vendorId") or "").strip() for p in payments} - {""}
    if ids - known.keys():
        with bill.session() as session:
            found = bill_by_id(session, "vendors", ids - known.keys())
        known.update((i, bill_currency(v)) for i, v in found.items())
    return {i: known[i] for i in ids if i in known}


def map_payment(
    payment: dict[str, Any],
    updated_at: datetime,
    origins: Mapping[str, JdeOrigin | None],
    rules: PostingRules,
    currency: str | None = "",
) -> Iterator[Mapped | Rejected | OutOfScope]:
    """One BILL payment -> one JDE write per bill it pays, or the reason it cannot be one (a bill that did
    not come from JDE: out of the integration's scope, a skip). ``origins``
    holds each bill's ``bill_origin``; the caller decided the payment is paid and made by BILL.
    ``currency``: the payment's (its vendor's ``billCurrency``: what BILL's bill and payment amounts are
    in); "" when not known (the company's currency, as JDE takes a blank one); None when BILL has no such
    vendor (refused: its currency cannot be told)."""
    payment_id = str(payment["id"])
    paid_on = str(payment.get("processDate") or "")[:10]
    for bill_id, raw in paid_bills(payment):
        key = f"{payment_id}:{bill_id}"
        label = f"BILL payment {payment_id} of bill {bill_id or '?'}"
        amount = amounts.amount(raw)
        if not bill_id or amount is None or len(paid_on) != 10:
            said = f"{label}: its bill, amount {raw!r} or process date {paid_on!r} cannot be read"
            field, value = (
                ("billId", "")
                if not bill_id
                else ("amount", raw)
                if amount is None
                else ("processDate", paid_on)
            )
            yield Rejected.of(key, source_invalid(said, field=field, value=value))
            continue
        if amount <= 0:
            yield Rejected.of(key, refused(_not_a_payment(label, amount), rule="not above zero"))
            continue
        if currency is None:
            vendor = str(payment.get("vendorId") or "?")
            said = (
                f"{label}: its vendor {vendor} is not in BILL, so the currency the payment is in cannot be "
                "told; nothing is sent to JDE. Replay once BILL shows the vendor"
            )
            yield Rejected.of(key, master_missing(said, system="bill", what="vendor", value=vendor))
            continue
        if not amounts.fits(amount, currency or None):  # never rounded: refused, naming it
            too_fine = amounts.CurrencyDecimalsError(amount, currency or BLANK)
            yield Rejected.of(key, refusal_of(too_fine, f"{label}: its amount: {too_fine}"))
            continue
        origin = origins.get(bill_id)
        if origin is None:  # BILL's own bill: none of this integration's (``flows.out_of_scope``)
            said = (
                f"{label}: the bill did not come from JDE (no JDE purchase order or voucher became this "
                "bill), so there is no JDE document to pay: out of this integration's scope, left alone"
            )
            yield OutOfScope(key, said, rule="bill not from JDE")
            continue
        if origin.voucher is not None and rules.posting != "journal":
            posted = voucher_payment(origin.voucher, amount, paid_on, payment_id, currency or None)
        elif rules.posting == "voucher":
            said = (
                f"{label}: the bill came from JDE {origin.jde_key}, which has no voucher in JDE yet "
                f"({rules.it.variable('payment_posting')}=voucher waits for one); retried later, recorded "
                "once a voucher is applied"
            )
            waits = {"system": "JDE", "waits_for": f"a voucher on {origin.jde_key}"}
            yield Rejected.of(key, Refusal("target_processing", said, waits))
            continue
        elif rules.journal.problem is not None:
            said = f"{label}: cannot be a journal entry: {rules.journal.problem}"
            accounts = ", ".join(map(rules.it.variable, JOURNAL_ACCOUNTS))
            setting = {"system": "JDE", "setting": accounts}
            yield Rejected.of(key, Refusal("configuration", said, setting))
            continue
        else:
            texts = (f"BILL pmt {payment_id}", f"BILL bill {bill_id}")
            batch = journal_key(payment_id, bill_id)
            posted = payment_journal(
                batch, payment_id, origin.company, paid_on, amount, rules.journal, texts, currency or None
            )
        fields = {**posted.fields, "bill_id": bill_id, "bill_updated_at": version_text(updated_at)}
        yield Mapped(key, posted.body, fields, natural_key=posted.natural_key)


def _not_a_payment(label: str, amount: Decimal) -> str:
    """Why an amount of zero or less is not posted, in a finance user's words: BILL allows no negative payment
    (reference 2.8) and JDE records amounts paid, above zero; a journal of one would be a refund."""
    if amount == 0:
        return f"{label} moves no money (0.00): nothing to post in JDE."
    return (
        f"{label} is {amounts.money(amount)}: JDE payments cannot be negative (ML_RecordPayment records "
        "amounts paid, greater than zero). A credit is a vendor credit in BILL and a debit memo in JDE; "
        "apply it in JDE, then abandon this item."
    )


# -- reading the day's payments -------------------------------------------------------------------------


def payment_records(
    it: Instance,
    ledger: Ledger,
    staging: Any,
    versions: Iterable[Version],
    log: logging.Logger | None = None,
    bill: SessionSource[BillSession] | None = None,
    known_currencies: dict[str, str] | None = None,
) -> Iterator[Mapped | Rejected | OutOfScope]:
    """``versions`` that BILL paid, mapped (``map_payment``); the journal accounts are checked against the
    staged F0901 only when a payment needs a journal entry (``GlAccounts.load`` fails the step when the
    cache is missing). ``bill``: the BILL resource the paid payments' vendors are read on for their currency
    (``vendor_currencies``, keeping them in ``known_currencies``); without one every payment is taken to be
    in its company's currency."""
    mode, outcomes = it.setting("payment_posting"), PaymentOutcomes.of(versions, it.setting("paid_statuses"))
    for version in outcomes.undone:
        yield from _undone_after_posting(ledger, it.instance, version.record)
    outcomes.say_recorded(log)
    chosen = outcomes.paid
    origins = {
        bill: bill_origin(ledger, it.instance, bill)
        for v in chosen
        for bill, _ in paid_bills(v.record)
        if bill
    }
    journal_needed = mode == "journal" or any(o and o.voucher is None for o in origins.values())
    gl = GlAccounts.load(staging) if journal_needed and mode != "voucher" else None
    debit, credit = map(it.variable, JOURNAL_ACCOUNTS)
    accounts = JournalAccounts.checked(gl, debit, credit) if gl is not None else None
    rules = PostingRules(mode, accounts or JournalAccounts(None, None), it)
    currencies = None
    if bill is not None and chosen:
        currencies = vendor_currencies(bill, (v.record for v in chosen), known_currencies)
    for version in chosen:
        vendor = str(version.record.get("vendorId") or "").strip()
        currency = "" if currencies is None else currencies.get(vendor)
        yield from map_payment(version.record, version.updated_at, origins, rules, currency)


def _undone_after_posting(ledger: Ledger, integration: str, payment: dict[str, Any]) -> Iterator[Rejected]:
    """A payment JDE holds that BILL no longer counts as paid: the integration never reverses a JDE posting,
    so it asks a person to (an item abandoned since the posting is not raised again by later runs)."""
    payment_id, status = str(payment["id"]), payment_status(payment) or "no longer paid"
    for bill_id, _ in paid_bills(payment):
        key, words = f"{payment_id}:{bill_id}", f"BILL payment {payment_id} of bill {bill_id}"
        if undone := undone_after_posting(ledger, integration, "bill", key, words, f"{status} in BILL"):
            yield undone


class BillPayments(PaymentPostings):
    """BILL payments on the JDE side (``PaymentPostings``): a voucher payment, else a journal entry keyed by
    the payment and the bill it pays."""

    source_label = "BILL"
    changed_since = "amount or date changed in BILL, or the posting or account settings changed since"

    def journal_key_of(self, record: Mapped) -> targets.BatchKey:
        return journal_key(record.fields["payment_reference"], record.fields["bill_id"])


def payments_flow(own: Own) -> Flow:
    """The instance's payments flow (its assets: the shared steps plus ``payments_inbox_done``, which
    acknowledges the webhook deliveries a run consumed), reading its BILL's payments (``Own.bill``) with its
    settings; a webhook and the poll of one payment write it once (``flows.documents``)."""
    source = own.bill.source(PAYMENTS)

    def map_payments(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's BILL payments (poll + webhook inbox, latest version each) that BILL paid, the day
        read from BILL first unless a complete read of it is staged (``bill.payments_read``)."""
        read_payments_day(context, partition, own.bill.entity(PAYMENTS.asset))
        documents, r = collect_documents(context, partition, source, spec), context.resources
        ledger = r.ledger.get()
        records = payment_records(own.it, ledger, r.staging, documents.current, context.log, r.bill)
        yield from skips_audited(spec, ledger, records, run_id=context.run.run_id, partition=partition)

    def remap_payments(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected | OutOfScope]:
        """The named payments (``payment:bill``) read from BILL again, mapped with today's settings (replay),
        their vendors' currencies read once per replay, however many of its payments a vendor made; one out
        of scope today is skipped by the replay (``flows.replays``: an item queued before the rule,
        resolved)."""
        r = context.resources
        versions = current_versions(r.bill, [key.split(":", 1)[0] for key in keys])
        known = shared_value((own.instance, "vendor currencies", id(r.bill)), dict)
        yield from payment_records(own.it, r.ledger.get(), r.staging, versions, None, r.bill, known)

    spec = route(own.it, "bill", "JDE").flow(
        "payments",
        "payment",
        JdeBillPaymentRecord,
        map_payments,
        remap_payments,
        BillPayments,
        # Adopting a journal batch (F0911Z1) or a payment JDE already holds (F0414, ``jde.payment_repeats``);
        # the F0901 cache is upstream.
        reads={"JDE": (targets.JOURNAL_TABLE, targets.PAYMENT_TABLE, *targets.PERIOD_TABLES)},
        # A day's rejections are facts about single payments (a bill that is not from JDE: BILL's own bills
        # may be most of them), not a broken mapping: what is systemic (the F0901 cache missing, a status or
        # posting setting unreadable) fails the step before any record is mapped, and journal accounts that
        # F0901 refuses are named on each journal payment. So no share of rejections fails the day.
        systemic_share=1.0,
        # The mapped step reads the day's BILL payments itself (``bill.payments_read``): in the org's pool,
        # so it never adds calls beside a BILL step already holding BILL's 3 in flight.
        mapped_pool=BillResource.from_settings().concurrency_pool,
    )
    assets = [
        *own.bill.assets(PAYMENTS.asset),  # an instance reaching a BILL organization of its own: its payments
        *build_flow_assets(
            spec,
            inbox=source,
            partitions_def=saas_partitions,
            upstream=[GL_ACCOUNTS.asset],
            resource_keys={"jde", "bill"},
        ),
    ]
    # A payment on a voucher batch waits for R04110ZA (``jde.unprocessed_batches``): released on the JDE the
    # replay writes with.
    replay = Replay(
        BillPayments.for_replay, settings_resources(own.it), outside=(*JDE_CHECKS, unprocessed_checks)
    )
    return Flow(spec, assets, replay=replay, inbox=source)
