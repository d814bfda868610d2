"""Procurify payments as every flow that takes them to another system reads them: which bills a payment pays
(its ``bill_groups``' bills naming it or no payment, read ahead by vendor or one list per group), in which
currency (a figure finer than its decimals is refused, never rounded), and a payment a replay names found
again through one of its bills. Depth: docs/integrations/jde_procurify.md, "The flows" (payments)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.flows import amounts
from connector_assets.procurify.bill_fields import currency_code
from connector_assets.procurify.order_fields import id_of, words
from connector_assets.procurify.order_reads import staged_versions
from connector_assets.procurify.vendor_list import Vendors, list_pages, listed_vendors
from connector_assets.runtime.staging import StagingResource
from connector_resources.procurify.session import ProcurifySession

# The deployment's staged Procurify payments; an instance reaching a Procurify account of its own reads its
# own copy (``saas.own_side``), so the read takes the key it reads.
STAGED_PAYMENTS = asset_key("procurify", "payments")
# A JSON number rendered from an amount with its currency's decimals differs from it by float noise only
# (quirk 7).
FLOAT_NOISE = Decimal("0.000001")
VENDORS_A_READ = 50  # vendor ids a bills read filters by (``vendor[]``, repeated in the query string)


def payment_uuid(payment: Mapping[str, object]) -> str:
    return str(payment.get("uuid") or "").strip()


def payment_label(payment: Mapping[str, object]) -> str:
    return f"Procurify payment {payment.get('id') or '?'} ({payment_uuid(payment) or 'no uuid'})"


def hex_uuid(uuid: str) -> str:
    """A uuid as Procurify's paths compare it: dashes dropped, lower case."""
    return uuid.replace("-", "").strip().lower()


def group_id(value: object) -> int | None:
    """A bill group's id as a bill's ``group`` or a payment's ``bill_groups`` entry gives it: the id
    (reference 2.7: ``bill_groups`` are ids) or a nested object carrying it (``{"id": 512, ...}``: the
    reference lists a bill's ``group`` without its shape); None when it names no group."""
    found = id_of(value)
    return int(found) if found.isdigit() else None


def payment_groups(payment: Mapping[str, Any]) -> list[int]:
    """The bill groups the payment pays (``bill_groups``: ids; one naming no group is left out)."""
    groups = []
    for group in payment.get("bill_groups") or []:
        found = group_id(group)
        if found is not None:
            groups.append(found)
    return groups


def payment_bills(
    payment: Mapping[str, object], bills: Iterable[Mapping[str, object]]
) -> list[dict[str, Any]]:
    """The bills (slim, as ``/api/v3/ap/bills/?group=`` lists them) this payment pays: in one of its groups
    and naming this payment or none; each once, in uuid order."""
    groups, own = set(payment_groups(payment)), hex_uuid(payment_uuid(payment))
    chosen: dict[str, dict[str, object]] = {}
    for bill in bills:
        group = group_id(bill.get("group"))
        named = hex_uuid(str(bill.get("payment_uuid") or ""))
        if group is None or group not in groups or (named and named != own):
            continue
        uuid = str(bill.get("uuid") or "").strip()
        if uuid:
            chosen[uuid] = dict(bill)
    return [chosen[k] for k in sorted(chosen)]


def in_units(value: object, currency: str | None) -> Decimal | str:
    """An amount as the API renders it, in ``currency``'s smallest unit (the yen, the fils), float noise
    dropped; a figure finer than the currency stays as written, for the flow to refuse (``amounts.fits``).
    Without a currency: to the cent, a finer one unreadable. Why it cannot be read otherwise: not a number."""
    parsed = amounts.amount(value) if value is not None and not isinstance(value, bool) else None
    if parsed is None:
        return f"{value!r} cannot be read as money"
    for unit in (amounts.quantum(currency), amounts.CENT):  # a finer yen figure reads as cents: 1000.50
        rounded = parsed.quantize(unit)
        if abs(parsed - rounded) < FLOAT_NOISE:
            return rounded
    return f"{value!r} cannot be read as money" if currency is None else parsed


def _code(record: Mapping[str, object]) -> str:
    code = currency_code(record)
    return code if len(code) == 3 and code.isalpha() else ""


def payment_currency(payment: Mapping[str, object], bills: Iterable[Mapping[str, object]]) -> str | None:
    """The currency a payment's amounts are read in: the payment's code, else the one code its bills name
    (a payment rendered with a currency id only, reference 2.7's unconfirmed shape); None when neither
    says (cents, as before currencies were read)."""
    own = _code(payment)
    if own:
        return own
    named = {_code(bill) for bill in bills} - {""}
    return named.pop() if len(named) == 1 else None


@dataclass(frozen=True)
class Share:
    """What a payment pays on one of its bills."""

    bill: str  # uuid as the API gives it
    amount: Decimal
    invoice_number: str


@dataclass(frozen=True)
class SplitWording:
    """How a flow says what becomes of a payment it cannot split: ``no_bills`` ends "Procurify lists no bill
    of its bill groups for it, so ...", ``not_exact`` ends "it cannot be split over the bills exactly, so
    ..." (nothing of it is sent, and what a person does instead)."""

    no_bills: str
    not_exact: str


def split(
    payment: Mapping[str, object], bills: Sequence[Mapping[str, object]], wording: SplitWording
) -> list[Share] | str:
    """The payment's amount per bill (each bill's ``total_cost_with_tax``), or why it cannot be split exactly,
    with both figures: the bills' totals must add up to its amount (a partial payment, a credit applied
    elsewhere, a bill added to the group later do not); a guessed split would leave the wrong bills open."""
    label, currency = payment_label(payment), payment_currency(payment, bills)
    total = in_units(payment.get("amount"), currency)
    if isinstance(total, str):
        return f"{label}: its amount {total}"

    def shown(value: Decimal) -> str:  # with the currency's decimals: 3045 (JPY), 12.345 (KWD)
        return amounts.shown(value, currency)

    if not bills:
        groups = ", ".join(str(g) for g in payment_groups(payment)) or "none"
        return (
            f"{label} of {shown(total)}: Procurify lists no bill of its bill groups ({groups}) for "
            f"it, so {wording.no_bills}"
        )
    shares, unreadable = [], []
    for bill in bills:
        amount = in_units(bill.get("total_cost_with_tax"), currency)
        if isinstance(amount, str):
            unreadable.append(f"bill {bill.get('uuid')} total {amount}")
            continue
        shares.append(Share(str(bill["uuid"]), amount, str(bill.get("invoice_number") or "").strip()))
    if unreadable:
        return f"{label}: cannot be split over its bills, unreadable: {'; '.join(unreadable)}"
    paid = sum((s.amount for s in shares), Decimal("0"))
    if paid != total:
        each = ", ".join(f"{s.invoice_number or s.bill} {shown(s.amount)}" for s in shares)
        return (
            f"{label} is {shown(total)}, but its bills add up to {shown(paid)} ({each}): "
            f"it cannot be split over the bills exactly, so {wording.not_exact}"
        )
    return shares


def paid_on(payment: Mapping[str, object]) -> str:
    """The payment's day: ``processing_date`` (the day the money left), else ``posted_date``; "" if none."""
    for field in ("processing_date", "posted_date"):
        text = str(payment.get(field) or "")[:10]
        if len(text) == 10:
            return text
    return ""


@dataclass(frozen=True)
class PaymentVersion:
    """A payment as staged (or read again), with its change time."""

    record: dict[str, Any]
    updated_at: datetime


def staged_payments(staging: StagingResource, asset: AssetKey, partition: str | None) -> list[PaymentVersion]:
    """The partition's payments staged at ``asset``, latest version each (by ``updated_at``)."""
    return [PaymentVersion(*v) for v in staged_versions(staging, asset, partition, "uuid")]


class PaymentBills:
    """The bills of payments: read ahead by vendor, else one read per bill group (``group`` takes one value),
    each once per reader; ``run``: the run's vendor list (``vendor_list.vendors_for_run``)."""

    def __init__(self, session: Any, run: dict[str, Vendors | None] | None = None) -> None:
        self.session, self.run = session, {} if run is None else run
        self.groups: dict[int, list[dict[str, object]]] = {}
        self.ahead: set[int] = set()  # groups filled by ``read_ahead``, checked by the payment's amount

    def read_ahead(self, payments: Sequence[Mapping[str, Any]]) -> None:
        """The bills of ``payments``' groups not read yet, by vendor (``vendor[]``, §2.6) when that costs
        fewer calls than a read per group: a payment pays one vendor (``vendor_name``, in the vendor list), so
        its groups' bills are its vendor's; a group found empty, or short of its payment, is read alone."""
        wanted = {g for p in payments for g in payment_groups(p)} - self.groups.keys()
        names = {words(p.get("vendor_name")) for p in payments if wanted & set(payment_groups(p))} - {""}
        if names and self.run.get("vendors") is None and len(wanted) > 1:
            self.run["vendors"] = listed_vendors(self.session, len(wanted) - 1)
        listed = self.run.get("vendors") if len(wanted) > 1 else None
        ids = sorted(
            {int(k) for k, v in (listed or {}).items() if k.isdigit() and words(v.get("name")) in names}
        )
        found: dict[int, list[dict[str, Any]]] = {}
        with list_pages(self.session):
            for at in range(0, len(ids), VENDORS_A_READ):
                for bill in self.session.iter_all(
                    "bills", filters={"vendor[]": ids[at : at + VENDORS_A_READ]}
                ):
                    if (group := group_id(bill.get("group"))) in wanted:
                        found.setdefault(group, []).append(bill)
        self.groups.update(found)
        self.ahead |= found.keys()

    def of_payment(self, payment: Mapping[str, object]) -> list[dict[str, Any]]:
        bills = self._bills(payment)
        ahead = self.ahead & set(payment_groups(payment))
        if ahead and not isinstance(split(payment, bills, SplitWording("", "")), list):
            for group in ahead:  # a group of another vendor's bills too? read it whole, as before
                self.ahead.discard(group)
                del self.groups[group]
            bills = self._bills(payment)
        return bills

    def _bills(self, payment: Mapping[str, Any]) -> list[dict[str, Any]]:
        bills: list[dict[str, Any]] = []
        for group in payment_groups(payment):
            if group not in self.groups:
                self.groups[group] = list(self.session.iter_all("bills", filters={"group": group}))
            bills.extend(self.groups[group])
        return payment_bills(payment, bills)


def payments_found_again(session: ProcurifySession, keys: Iterable[str]) -> dict[str, PaymentVersion]:
    """Payment uuid -> the payment read again through its bill's group, for each ``<payment uuid>:<bill
    uuid>`` key; a bill naming no group, or a payment not among the group's, finds nothing."""
    versions: dict[str, PaymentVersion] = {}
    for key in keys:
        uuid, _, bill = key.partition(":")
        if uuid in versions or not bill:
            continue
        group = group_id(session.get("bills", bill).get("group"))
        if group is None:
            continue
        for payment in session.iter_all("payments", filters={"bill_groups": str(group)}):
            if payment_uuid(payment).replace("-", "") == uuid.replace("-", ""):
                versions[uuid] = PaymentVersion(payment, payment.get("_updated_at") or datetime.now(UTC))
    return versions
