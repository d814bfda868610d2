"""The Fusion payables invoice write target, ``FusionInvoices``; an integration subclasses it with its
``spec`` and ``source_label``. Never twice: (``InvoiceNumber``, ``Supplier``) is unique in Payables, so it
is searched before every create and after a duplicate refusal or lost answer.
docs/integrations/fusion_procurify.md, "The flows" (invoices) and "Bills -> invoices".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar, NamedTuple

from connector_assets.flows import amounts
from connector_assets.flows.close_calendar import close_checks
from connector_assets.flows.core import Created, FlowSpec, Mapped, audit_record
from connector_assets.flows.periods import Posting, redated
from connector_assets.flows.replays import OutsideChecks
from connector_assets.flows.targets import LedgerTarget
from connector_assets.fusion.missing_sites import fusion_missing_checks, refused_for_missing
from connector_assets.fusion.payments import invoice_payments, paid_state
from connector_assets.fusion.periods import FusionPeriods, fusion_period_checks
from connector_assets.fusion.values import canceled
from connector_resources.fusion.errors import (
    FusionError,
    FusionInputError,
    FusionNotFoundError,
    FusionOutcomeUnknownError,
    FusionPermissionError,
    FusionValidationError,
)
from connector_resources.fusion.key_batches import find_invoices
from connector_resources.fusion.payloads import Invoice, InvoiceDistribution, InvoiceLine
from connector_resources.http.write_hold import WouldWrite
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger
from connector_resources.refusals import Refusal, Refused

log = get_logger(__name__)

WARNED = "warned"  # the day's figures count a write whose validation did not go through (``Created.marks``)


class InvoiceMismatch(ValueError):
    """Fusion holds an invoice with this number from this supplier that disagrees with the bill: never
    adopted, never changed; the record is queued with the difference for a person."""

    @property
    def refusal(self) -> Refusal:
        """A conflict: a person decides which side is right."""
        return _conflict(str(self))


def _conflict(sentence: str) -> Refusal:
    return Refusal("conflict", sentence, {"system": "Fusion"})


def _same_amount(value: Any, expected: Any) -> bool:
    left, right = amounts.amount(value), amounts.amount(expected)
    return left is not None and right is not None and left == right


def _day_of(value: Any) -> str:
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text


def _currency_of(invoice: Mapping[str, Any]) -> str:
    return str(invoice.get("InvoiceCurrency") or "").strip().upper()


def differences(found: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """How an invoice Fusion holds differs from the mapped one on supplier, currency, amount and date
    (empty: it is this bill's invoice). The currency first: 1,000 of another currency is another amount."""
    out = []
    if str(found.get("Supplier") or "") != str(body.get("Supplier") or ""):
        out.append(f"supplier {found.get('Supplier')!r} (the bill's: {body.get('Supplier')!r})")
    if _currency_of(found) and _currency_of(found) != _currency_of(body):
        out.append(f"currency {_currency_of(found)} (the bill's: {_currency_of(body)})")
    if not _same_amount(found.get("InvoiceAmount"), body.get("InvoiceAmount")):
        out.append(f"amount {found.get('InvoiceAmount')} (the bill's: {body.get('InvoiceAmount')})")
    if _day_of(found.get("InvoiceDate")) != _day_of(body.get("InvoiceDate")):
        out.append(f"date {found.get('InvoiceDate')} (the bill's: {body.get('InvoiceDate')})")
    return out


def _is_paid(invoice: Mapping[str, Any], session: Any) -> bool:
    """Whether Fusion has paid ``invoice`` (in part or in full), so the integration must not change it.
    ``PaidStatus`` / ``AmountPaid`` are unconfirmed names (docs/reference/oracle-fusion.md §2.6): on a pod
    carrying neither, the invoice's payments decide (PaidInvoicesFinder, confirmed in §2.8), any non-void one
    meaning paid, so a paid invoice is never PATCHed merely because the pod spells its paid status
    otherwise."""
    if all(invoice.get(name) in (None, "") for name in ("PaidStatus", "AmountPaid")):
        return bool(paid_state(invoice, invoice_payments(session, invoice, [])).live)
    paid = str(invoice.get("PaidStatus") or "").strip().lower()
    amount = (
        amounts.amount(invoice.get("AmountPaid")) if invoice.get("AmountPaid") not in (None, "") else None
    )
    return paid in ("paid", "partially paid", "y") or bool(amount)


def line_summary(lines: Iterable[Mapping[str, Any]]) -> list[tuple[int, str, str, str, str]]:
    """(line number, type, amount, PO number, PO line) of each line: what must agree for the lines to be
    the bill's. The amount exactly as a number (``1000`` and ``1000.00`` agree; ``12.345`` and ``12.35`` do
    not: a currency of three decimals keeps them)."""
    out = []
    for line in lines:
        amount = amounts.amount(line.get("LineAmount"))
        out.append(
            (
                int(line.get("LineNumber") or 0),
                str(line.get("LineType") or "Item"),
                format(amount.normalize(), "f") if amount is not None else str(line.get("LineAmount")),
                str(line.get("PurchaseOrderNumber") or ""),
                str(line.get("PurchaseOrderLineNumber") or ""),
            )
        )
    return sorted(out)


class FusionInvoices(LedgerTarget):
    """On one Fusion session with the ledger: a found invoice another bill of ``spec`` holds is refused.
    The natural-key search runs inside ``create``, under the record's lease, right before the POST (``find``
    answers None), so an adoption carries its own audit reason with the validation result, and
    ``write_one`` never "updates" an invoice merely found (an adopted invoice is never changed)."""

    resource = "fusion"
    writes = ("invoices",)  # natural-key search, create, update, validate
    source_label: ClassVar[str] = "the source system"  # where the bills come from, in AP's words
    ledger: Ledger
    spec: FlowSpec

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # the session, then what it holds (``Held``)
        self.periods = FusionPeriods(self.session)  # read once, at the first invoice this session creates
        self._ahead: dict[str, dict[str, Any] | None] = {}  # by source key: ``find_many``'s answers

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """Search the chunk's invoices in one list right after their claims (``find_invoices``), keeping
        what it settles for each record's ``create`` (the rest search alone there). Answers nothing: what
        is found is judged, and adopted with its reason, in ``create`` (class docstring)."""
        keys = {
            r.source_key: (
                str(r.body.get("InvoiceNumber") or ""),
                str(r.body.get("Supplier") or ""),
                r.body.get("BusinessUnit"),
            )
            for r in records
        }
        for key in keys:  # an answer of an earlier chunk is never used for a later claim
            self._ahead.pop(key, None)
        self._ahead.update(find_invoices(self.session, keys))
        return {}

    def _search(self, record: Mapped, *, ahead: bool = False) -> dict[str, Any] | None:
        """The invoice of ``record``'s number and supplier Fusion holds, if it is this bill's (else
        ``InvoiceMismatch``): ``ahead``, what ``find_many`` found for it when it settled it."""
        body = record.body
        if ahead and record.source_key in self._ahead:
            found = self._ahead.pop(record.source_key)
        else:
            found = self.session.find_invoice(
                str(body["InvoiceNumber"]), str(body["Supplier"]), business_unit=body.get("BusinessUnit")
            )
        if found is None:
            return None
        label = f"invoice {body['InvoiceNumber']} of supplier {body['Supplier']}"
        holder = self.ledger.find_xref_by_target(
            self.spec.integration, self.spec.entity, "fusion", str(found["InvoiceId"])
        )
        if holder is not None and holder.source_key != record.source_key:
            raise InvoiceMismatch(
                f"{label}: Fusion already holds it (InvoiceId {found['InvoiceId']}) as the invoice of "
                f"{self.source_label} bill {holder.source_key}; two bills carry the same invoice number for "
                f"one supplier. Correct the invoice number of one of them in {self.source_label} and "
                "replay, or abandon this item"
            )
        different = differences(found, body)
        if different:
            raise InvoiceMismatch(
                f"{label}: Fusion already holds it (InvoiceId {found.get('InvoiceId')}) with "
                f"{'; '.join(different)}; not adopted and not changed. Correct the bill in "
                f"{self.source_label} or the invoice in Fusion and replay, or abandon this item if the "
                "Fusion invoice is right"
            )
        return found

    def find(self, record: Mapped) -> str | None:
        return None  # searched in ``create``, under the lease (class docstring)

    def create(self, record: Mapped) -> str | Created:
        found = self._search(record, ahead=True)
        if found is not None:
            target_id = str(found["InvoiceId"])
            verdict = self.validate(target_id, {**record.body, **found})
            return Created(
                target_id,
                "adopt",
                "found in Fusion by invoice number and supplier, with the bill's amount and date; adopted, "
                f"not duplicated; {verdict.words}",
                verdict.marks,
            )
        body, posting = self.dated(record)
        try:
            created = self.session.create_invoice(invoice_of(body))
        except (FusionValidationError, FusionOutcomeUnknownError) as exc:
            # A duplicate-number refusal (its wording is unconfirmed, so any refusal is checked) or a lost
            # answer: the invoice may be there now; adopt it if it is this bill's, else the error stands.
            found = self._search(record)
            if found is None and isinstance(exc, FusionValidationError):
                self._held_if_missing(record, exc)
            if found is None:
                raise
            target_id = str(found["InvoiceId"])
            why = "refused as a duplicate" if isinstance(exc, FusionValidationError) else "answer lost"
            verdict = self.validate(target_id, {**record.body, **found})
            return Created(
                target_id,
                "adopt",
                f"create {why}; found by invoice number and supplier and adopted; {verdict.words}",
                verdict.marks,
            )
        target_id = str(created["InvoiceId"])
        notes, marks = redated(posting)
        verdict = self.validate(target_id, {**body, **created})
        return Created(
            target_id,
            "create",
            "; ".join(["created", *notes, verdict.words]),
            (*marks, *verdict.marks),
        )

    def supplier_id(self, record: Mapped) -> str | None:
        """The ``SupplierId`` the record is sent to, for a hold on it (an integration knows its pairs);
        None when it cannot be told (the pod's refusal then stays a refusal)."""
        return str(record.fields.get("supplier_id") or "") or None

    def _held_if_missing(self, record: Mapped, exc: FusionValidationError) -> None:
        """Raise the hold on the supplier or pay site the pod refused the invoice for (``missing_sites``):
        a site removed since the mapping read it is waited for, not refused."""
        body = record.body
        document = (
            f"{self.source_label} invoice {body.get('InvoiceNumber')} of supplier {body.get('Supplier')}"
        )
        unit = str(body.get("BusinessUnit") or getattr(self.session, "business_unit", "") or "")
        missing = refused_for_missing(exc, self.supplier_id(record), unit, document)
        if missing is not None:
            raise missing from None

    def dated(self, record: Mapped) -> tuple[dict[str, Any], Posting]:
        """The body to create, its accounting date (``AccountingDate``, else the ``InvoiceDate`` Payables
        accounts it on) judged by the ledger's Payables periods and the integration's policy: the same
        body when the date's period is open; ``AccountingDate`` the first open day, the ``InvoiceDate``
        kept, when the policy re-dates it; ``PeriodClosed`` / ``CloseInProgress`` raised (held, nothing
        sent) when it waits."""
        body = record.body
        field = "AccountingDate" if body.get("AccountingDate") else "InvoiceDate"
        day = date.fromisoformat(_day_of(body[field]))
        posting = self.periods.posting(
            integration=self.spec.integration,
            document=f"{self.source_label} invoice {body['InvoiceNumber']} of supplier {body['Supplier']}",
            field=field,
            day=day,
        )
        if not posting.moved:
            return body, posting
        moved = {**body, "AccountingDate": posting.day.isoformat()}
        if body.get("ConversionDate"):  # a foreign invoice converts on the day it is accounted on
            moved["ConversionDate"] = posting.day.isoformat()
        return moved, posting

    def update(self, target_id: str, record: Mapped) -> None:
        body = record.body
        # Found by key with its links: its self link's changeIndicator is the ETag the PATCH sends.
        current = self.session.get("invoices", int(target_id))
        label = f"invoice {body['InvoiceNumber']} of supplier {body['Supplier']} (InvoiceId {target_id})"
        if canceled(current) or _is_paid(current, self.session):
            state = "canceled" if canceled(current) else "paid"
            sentence = (
                f"{label} changed in {self.source_label} after it was sent, but the Fusion invoice is "
                f"{state}: the integration does not change it; adjust it in Fusion (or a credit memo), then "
                "abandon this item"
            )
            raise Refused(_conflict(sentence))
        if _currency_of(current) and _currency_of(current) != _currency_of(body):
            sentence = (
                f"{label}: the bill's currency changed in {self.source_label} after it was sent (Fusion "
                f"holds it in {_currency_of(current)}, the bill is now in {_currency_of(body)}); the "
                "integration does not change an invoice's currency. Cancel the invoice in Fusion and replay "
                "(or correct the bill back), then abandon this item"
            )
            raise Refused(_conflict(sentence))
        fusion_lines = line_summary(self.session.iter_children("invoices", current, "invoiceLines"))
        if fusion_lines != line_summary(body.get("invoiceLines") or []):
            sentence = (
                f"{label}: the bill's lines (amounts, accounts or PO matching) changed in "
                f"{self.source_label} after it was sent; the integration does not rewrite Fusion invoice "
                "lines. Adjust the invoice in Fusion (or cancel it and replay), then abandon this item"
            )
            raise Refused(_conflict(sentence))

        def changes(fresh: Mapping[str, Any]) -> dict[str, Any]:
            wanted: dict[str, Any] = {}
            if not _same_amount(fresh.get("InvoiceAmount"), body.get("InvoiceAmount")):
                wanted["InvoiceAmount"] = str(body["InvoiceAmount"])
            if _day_of(fresh.get("InvoiceDate")) != body.get("InvoiceDate"):
                wanted["InvoiceDate"] = body["InvoiceDate"]
            described = body.get("Description")
            if described and (fresh.get("Description") or None) != described:
                wanted["Description"] = described
            return wanted

        wanted = changes(current)
        if not wanted:
            return
        self.session.update_with_etag(
            "invoices", current, wanted, build_changes=lambda fresh: changes(fresh) or None
        )
        verdict = self.validate(target_id, {**body, **current})
        if verdict.warned:  # the update's own event says "changed in the source"
            audit_record(
                self.ledger,
                self.spec,
                "update",
                record.source_key,
                f"{', '.join(sorted(wanted))} updated; {verdict.words}",
                target_id=target_id,
                run_id=self.run_id,
                partition=self.partition,
            )

    def validate(self, target_id: str, invoice: Mapping[str, Any]) -> Verdict:
        """Payables validation of the invoice, named as the action documents it (number, business unit,
        supplier: ``invoice`` is the mapped body or the invoice Fusion holds), as words for its audit
        event and whether the write is marked ``warned``. The invoice stays written either way (it is
        Fusion's now); a validation the pod refuses, could not run, or (``validation_check = status``)
        left the invoice unvalidated is warned with the pod's own words, never dropped."""
        named = {
            "InvoiceId": int(target_id),
            "InvoiceNumber": invoice.get("InvoiceNumber"),
            "Supplier": invoice.get("Supplier"),
            "BusinessUnit": invoice.get("BusinessUnit"),
        }
        try:
            outcome = self.session.validate_invoice(named)
        except WouldWrite:  # a preview holds every write: the invoice's verdict (an adoption) stands
            return Verdict("Fusion validation would run next (a preview sends nothing)")
        except (FusionValidationError, FusionInputError, FusionPermissionError, FusionNotFoundError) as exc:
            log.warning("fusion invoice %s: validation refused: %s", target_id, exc)
            return Verdict(
                f"Fusion refused its validation ({exc}); validate it in Fusion's invoice workbench", True
            )
        except FusionError as exc:
            log.warning("fusion invoice %s: validation not run: %s", target_id, exc)
            return Verdict(
                f"Fusion validation could not be run ({exc}); Fusion's own validation run will validate it",
                True,
            )
        if outcome.held:
            return Verdict(
                f"Fusion validation: {outcome}; resolve it in Fusion's invoice workbench (holds, tolerances)",
                True,
            )
        return Verdict(f"Fusion validation: {outcome}")


class Verdict(NamedTuple):
    """A validation's words for the audit and whether the write is marked ``warned`` (``Created.marks``)."""

    words: str
    warned: bool = False

    @property
    def marks(self) -> tuple[str, ...]:
        return (WARNED,) if self.warned else ()


# The sweeps a Fusion invoices flow's replay lists (``Replay.outside``): the invoices held by a declared
# close once it has ended, those held on a closed Fusion period once they may post, and those held on a
# supplier or pay site Fusion lacked once it has it.
INVOICE_CHECKS: tuple[OutsideChecks, ...] = (close_checks, fusion_period_checks, fusion_missing_checks)


def invoice_of(body: Mapping[str, Any]) -> Invoice:
    """The ``Invoice`` a mapped body (``Invoice.payload()``) was made of: what the target creates (the
    queued payload is JSON, the client takes the typed record, which checks itself again)."""

    def distributions(line: Mapping[str, Any]) -> Sequence[InvoiceDistribution]:
        return tuple(
            InvoiceDistribution(
                line_number=int(d["DistributionLineNumber"]),
                amount=str(d["DistributionAmount"]),
                combination=str(d["DistributionCombination"]),
                line_type=str(d.get("DistributionLineType") or "Item"),
                description=d.get("Description"),
            )
            for d in line.get("invoiceDistributions") or []
        )

    def number(value: Any) -> int | None:
        return int(value) if value not in (None, "") else None

    lines = tuple(
        InvoiceLine(
            line_number=int(line["LineNumber"]),
            amount=str(line["LineAmount"]),
            line_type=str(line.get("LineType") or "Item"),
            description=line.get("Description"),
            quantity=line.get("Quantity"),
            unit_price=line.get("UnitPrice"),
            distribution_combination=line.get("DistributionCombination"),
            purchase_order_number=line.get("PurchaseOrderNumber"),
            purchase_order_line_number=number(line.get("PurchaseOrderLineNumber")),
            purchase_order_schedule_line_number=number(line.get("PurchaseOrderScheduleLineNumber")),
            distributions=distributions(line),
        )
        for line in body.get("invoiceLines") or []
    )
    accounting = body.get("AccountingDate")
    return Invoice(
        invoice_number=str(body["InvoiceNumber"]),
        supplier=str(body["Supplier"]),
        supplier_site=str(body["SupplierSite"]),
        amount=str(body["InvoiceAmount"]),
        invoice_date=date.fromisoformat(str(body["InvoiceDate"])),
        currency=str(body["InvoiceCurrency"]),
        business_unit=body.get("BusinessUnit"),
        description=body.get("Description"),
        accounting_date=date.fromisoformat(str(accounting)) if accounting else None,
        conversion_rate_type=body.get("ConversionRateType"),
        lines=lines,
        # Beside the typed attributes: the day (and a stated rate) a foreign invoice converts at.
        extra={name: body[name] for name in ("ConversionDate", "ConversionRate") if body.get(name)},
    )
