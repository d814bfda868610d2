"""Writing to BILL without duplicates: creates, the search by natural key that matches each, and
``ensure_*``, which searches first, creates only when nothing matches, and adopts the record when a
create's answer was lost.

Why: BILL has no idempotency keys (reference §1, quirk 8), and the simulator, like BILL, makes a
second record when a create is repeated. The HTTP core never replays a create after an ambiguous
failure (it raises ``outcome_unknown`` instead); here the lost answer is resolved by searching for
the record's natural key (vendor name + tax id, vendor + invoice number, bills + amounts + date of a
recorded payment), waiting briefly for BILL to show it. If it never appears, the original error is
raised: the caller searches again later and never creates blindly.

``WritesMixin`` is part of ``BillSession`` (it uses the session's ``_call``, ``_search``, ``_object``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from connector_resources.bill.errors import (
    BillDataError,
    BillError,
    BillInputError,
    BillValidationError,
)
from connector_resources.bill.listing import clause, safe_text_filter
from connector_resources.bill.payloads import (
    bill_body,
    bill_label,
    record_payment_body,
    record_payment_label,
    to_decimal,
    vendor_body,
    vendor_label,
    wire_value,
)
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.bill.writes")

VENDOR_BULK_MAX = 20  # reference §2.6: /v3/vendors/bulk takes at most 20, all-or-nothing
# Payment states in which a recorded payment no longer stands (it must not be adopted).
_DEAD_PAYMENT_WORDS = ("CANCEL", "VOID")
# How a search for a create whose answer was lost waits for it to become visible (seconds).
_ADOPT_DELAYS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class CreateOutcome:
    """What an ``ensure_*`` call did: ``found`` an existing record, ``created`` one, or ``adopted``
    the record a create with a lost answer made. ``matches`` counts the records the search found
    (more than one means BILL already holds duplicates: the oldest is returned, the rest logged)."""

    record: dict[str, Any]
    action: Literal["found", "created", "adopted"]
    matches: int = 1

    @property
    def id(self) -> str:
        return str(self.record.get("id", ""))


class WritesMixin:
    """Vendors, bills and recorded payments for ``BillSession``: create, update, find, ensure."""

    # -- vendors ------------------------------------------------------------------------------------

    def create_vendor(self, vendor: Mapping[str, Any]) -> dict[str, Any]:
        """Create one vendor (``POST /v3/vendors``); returns BILL's record. Not retried after an
        ambiguous failure: use ``ensure_vendor`` or ``find_vendors`` to adopt."""
        body = vendor_body(vendor)
        label = vendor_label(body)
        return self._object(self._call("POST", "v3/vendors", what=f"create {label}", record=label, body=body))

    def create_vendors(self, vendors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create up to 20 vendors in one all-or-nothing call (``POST /v3/vendors/bulk``).

        Returns BILL's records in the order sent. A refusal names each refused vendor (BILL's "[i]"
        indexes are mapped to names). For more than 20, use ``ensure_vendors``.
        """
        if isinstance(vendors, Mapping) or not isinstance(vendors, Sequence) or not vendors:
            raise BillInputError("create vendors: give a list of 1 to 20 vendors")
        if len(vendors) > VENDOR_BULK_MAX:
            raise BillInputError(
                f"create vendors: {len(vendors)} vendors in one bulk call; BILL takes at most "
                f"{VENDOR_BULK_MAX} (use ensure_vendors, which splits them)"
            )
        bodies = [vendor_body(v, f"vendors[{i}] {vendor_label(v)}") for i, v in enumerate(vendors)]
        names = [vendor_label(b) for b in bodies]
        record = f"{len(bodies)} vendors ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
        try:
            payload = self._call(
                "POST", "v3/vendors/bulk", what=f"bulk-create {record}", record=record, body=bodies
            )
        except BillValidationError as exc:
            raise _name_bulk_problems(exc, names) from None
        rows = payload.get("results") if isinstance(payload, Mapping) else payload
        if (
            not isinstance(rows, list)
            or len(rows) != len(bodies)
            or not all(isinstance(r, dict) for r in rows)
        ):
            raise BillDataError(f"BILL answered the bulk create of {record} without one record per vendor")
        return rows

    def update_vendor(self, vendor_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some fields of a vendor (``PATCH``, a merge patch: sending it twice is harmless)."""
        label = f"vendor {vendor_id}"
        body = wire_value(dict(changes), "", label)
        return self._object(
            self._call(
                "PATCH",
                f"v3/vendors/{quote(vendor_id)}",
                what=f"update {label}",
                record=label,
                body=body,
                idempotent=True,
            )
        )

    def find_vendors(
        self, *, name: str | None = None, tax_id: str | None = None, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """Vendors with this name and/or tax id (the natural key JDE suppliers are matched on).

        Names compare case-insensitively with spaces collapsed; tax ids compare on letters and digits
        only (``12-3456789`` = ``123456789``). BILL filters by name (``eq``, documented); tax ids are
        not filterable, so a search by tax id alone reads every vendor: give the name when you can.
        """
        if not (name and name.strip()) and not (tax_id and tax_id.strip()):
            raise BillInputError("find vendors: give a name, a tax id or both")
        filters = ["archived:eq:false"] if not include_archived else []
        if name and name.strip():
            name_filter = safe_text_filter("name", name.strip())
            if name_filter:
                filters = [name_filter, *filters]
        wanted_name = _norm_name(name) if name and name.strip() else None
        wanted_tax = _norm_tax(tax_id) if tax_id and tax_id.strip() else None

        def keep(row: dict[str, Any]) -> bool:
            if not include_archived and row.get("archived") is True:
                return False
            if wanted_name is not None and _norm_name(row.get("name")) != wanted_name:
                return False
            info = row.get("additionalInfo") if isinstance(row.get("additionalInfo"), Mapping) else {}
            return wanted_tax is None or _norm_tax(info.get("taxId")) == wanted_tax

        attempts = [
            ("vendor name", filters),
            ("vendor name only", [f for f in filters if not f.startswith("archived")]),
        ]
        attempts.append(("vendor list", []))
        return _oldest_first(self._search("vendors", attempts, keep))

    def ensure_vendor(self, vendor: Mapping[str, Any]) -> CreateOutcome:
        """The vendor with this name (+ ``additionalInfo.taxId`` when given): found, created, or
        adopted after a create whose answer was lost. Never creates a second one."""
        body = vendor_body(vendor)
        label = vendor_label(body)
        tax_id = _tax_id_of(body)

        def search() -> list[dict[str, Any]]:
            return self.find_vendors(name=body["name"], tax_id=tax_id)

        return self._ensure(label, search, lambda: self.create_vendor(body))

    def ensure_vendors(self, vendors: Sequence[Mapping[str, Any]]) -> list[CreateOutcome]:
        """``ensure_vendor`` for many, creating the missing ones in bulk calls of at most 20.

        Each vendor is searched first; the missing are bulk-created; when a bulk call's answer is
        lost, each of its vendors is searched again and adopted. One outcome per vendor, in order.
        """
        bodies = [vendor_body(v, f"vendors[{i}] {vendor_label(v)}") for i, v in enumerate(vendors)]
        outcomes: list[CreateOutcome | None] = [None] * len(bodies)
        missing: list[int] = []
        for index, body in enumerate(bodies):
            found = self.find_vendors(name=body["name"], tax_id=_tax_id_of(body))
            if found:
                outcomes[index] = _found(found, vendor_label(body))
            else:
                missing.append(index)
        for chunk_start in range(0, len(missing), VENDOR_BULK_MAX):
            chunk = missing[chunk_start : chunk_start + VENDOR_BULK_MAX]
            try:
                created = self.create_vendors([bodies[i] for i in chunk])
            except BillError as exc:
                if not exc.outcome_unknown:
                    raise
                for i in chunk:
                    body = bodies[i]
                    outcomes[i] = CreateOutcome(
                        self._adopt(
                            vendor_label(body),
                            lambda b=body: self.find_vendors(name=b["name"], tax_id=_tax_id_of(b)),
                            exc,
                        ),
                        "adopted",
                    )
                continue
            for i, row in zip(chunk, created, strict=True):
                outcomes[i] = CreateOutcome(row, "created")
        return [o for o in outcomes if o is not None]

    # -- bills ----------------------------------------------------------------------------------------

    def create_bill(self, bill: Mapping[str, Any]) -> dict[str, Any]:
        """Create one bill (``POST /v3/bills``) with its lines; each line's ``classifications``
        carries the GL account (``chartOfAccountId``) and ``departmentId``. Returns BILL's record.
        Not retried after an ambiguous failure: use ``ensure_bill`` or ``find_bills`` to adopt."""
        body = bill_body(bill)
        label = bill_label(body)
        return self._object(self._call("POST", "v3/bills", what=f"create {label}", record=label, body=body))

    def update_bill(self, bill_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some fields of a bill (``PATCH``, a merge patch: sending it twice is harmless)."""
        label = f"bill {bill_id}"
        body = wire_value(dict(changes), "", label)
        return self._object(
            self._call(
                "PATCH",
                f"v3/bills/{quote(bill_id)}",
                what=f"update {label}",
                record=label,
                body=body,
                idempotent=True,
            )
        )

    def find_bills(
        self, *, vendor_id: str, invoice_number: str, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """Bills of ``vendor_id`` with this invoice number (the natural key of a JDE voucher).

        ``vendorId`` is a documented filter; ``invoice.invoiceNumber`` is not (the simulator offers
        it as a variant), so it is tried first and dropped once BILL refuses it; the invoice number
        is always compared here (trimmed, exact), whatever BILL filtered.
        """
        if not vendor_id or not vendor_id.strip() or not invoice_number or not invoice_number.strip():
            raise BillInputError("find bills: give the vendor id and the invoice number")
        number = invoice_number.strip()
        by_vendor = [clause("vendorId", "eq", vendor_id.strip())]
        invoice_filter = safe_text_filter("invoice.invoiceNumber", number)
        attempts = [("bill vendor", by_vendor)]
        if invoice_filter:
            attempts.insert(0, ("bill invoice number", [*by_vendor, invoice_filter]))

        def keep(row: dict[str, Any]) -> bool:
            invoice = row.get("invoice") if isinstance(row.get("invoice"), Mapping) else {}
            if str(invoice.get("invoiceNumber") or "").strip() != number:
                return False
            if row.get("vendorId") not in (None, vendor_id.strip()):
                return False
            return include_archived or row.get("archived") is not True

        return _oldest_first(self._search("bills", attempts, keep))

    def ensure_bill(self, bill: Mapping[str, Any]) -> CreateOutcome:
        """The bill with this vendor + invoice number: found, created, or adopted after a create
        whose answer was lost. Never creates a second one."""
        body = bill_body(bill)
        label = bill_label(body)

        def search() -> list[dict[str, Any]]:
            return self.find_bills(
                vendor_id=body["vendorId"], invoice_number=body["invoice"]["invoiceNumber"]
            )

        return self._ensure(label, search, lambda: self.create_bill(body))

    # -- payments -------------------------------------------------------------------------------------

    def record_payment(
        self,
        *,
        vendor_id: str,
        process_date: Any,
        payments: Sequence[Mapping[str, Any]],
        to_print_check: bool = False,
    ) -> dict[str, Any]:
        """Record a payment made outside BILL (``POST /v3/bills/record-payment``; no money moves).

        ``payments`` are ``{"billId", "amount"}`` (amounts Decimal/int/str, positive). Returns the
        recorded payment; should BILL answer an array, one element is returned as is and several
        as ``{"payments": [...]}``. Not retried after an ambiguous failure: use
        ``ensure_recorded_payment`` or ``find_recorded_payments``.
        """
        body = record_payment_body(vendor_id, process_date, payments, to_print_check)
        label = record_payment_label(vendor_id, payments)
        payload = self._call(
            "POST", "v3/bills/record-payment", what=f"record the {label}", record=label, body=body
        )
        if isinstance(payload, list) and all(isinstance(p, dict) for p in payload) and payload:
            return payload[0] if len(payload) == 1 else {"payments": payload}
        return self._object(payload)

    def find_recorded_payments(
        self,
        *,
        vendor_id: str,
        payments: Sequence[Mapping[str, Any]],
        process_date: Any = None,
    ) -> list[dict[str, Any]]:
        """Payments that pay exactly these ``{"billId", "amount"}`` (and on ``process_date`` when
        given), not canceled or voided: the natural key of a payment recorded from JDE.

        Payment filters are not in the reference; ``billId`` (then ``vendorId``) is tried, and at
        worst every payment is read.
        """
        body = record_payment_body(vendor_id, process_date or "1970-01-01", payments, False)
        wanted = {(p["billId"], p["amount"]) for p in body["payments"]}
        date_wanted = body["processDate"] if process_date is not None else None
        first_bill = body["payments"][0]["billId"]

        def keep(row: dict[str, Any]) -> bool:
            status = " ".join(str(row.get(k) or "") for k in ("status", "singleStatus")).upper()
            if any(word in status for word in _DEAD_PAYMENT_WORDS):
                return False
            if row.get("vendorId") not in (None, body["vendorId"]):
                return False
            if date_wanted is not None and str(row.get("processDate") or "")[:10] != date_wanted:
                return False
            return _paid_bills(row) == wanted

        attempts = [
            ("payment bill", [clause("billId", "eq", first_bill)]),
            ("payment vendor", [clause("vendorId", "eq", body["vendorId"])]),
            ("payment list", []),
        ]
        return _oldest_first(self._search("payments", attempts, keep))

    def ensure_recorded_payment(
        self,
        *,
        vendor_id: str,
        process_date: Any,
        payments: Sequence[Mapping[str, Any]],
        to_print_check: bool = False,
    ) -> CreateOutcome:
        """The recorded payment of these bills and amounts on this date: found, recorded, or adopted
        after a call whose answer was lost. Never records it twice."""
        label = record_payment_label(vendor_id, payments)

        def search() -> list[dict[str, Any]]:
            return self.find_recorded_payments(
                vendor_id=vendor_id, payments=payments, process_date=process_date
            )

        return self._ensure(
            label,
            search,
            lambda: self.record_payment(
                vendor_id=vendor_id,
                process_date=process_date,
                payments=payments,
                to_print_check=to_print_check,
            ),
        )

    # -- find-or-create -------------------------------------------------------------------------------

    def _ensure(
        self,
        label: str,
        search: Callable[[], list[dict[str, Any]]],
        create: Callable[[], dict[str, Any]],
    ) -> CreateOutcome:
        found = search()
        if found:
            return _found(found, label)
        try:
            return CreateOutcome(create(), "created")
        except BillError as exc:
            if not exc.outcome_unknown:
                raise
            return CreateOutcome(self._adopt(label, search, exc), "adopted")

    def _adopt(
        self, label: str, search: Callable[[], list[dict[str, Any]]], error: BillError
    ) -> dict[str, Any]:
        """After a create with a lost answer: find what it made, waiting a little for BILL to show
        it; if nothing appears, raise the original error (the caller must search again later,
        never create blindly)."""
        log.warning("the answer to creating %s was lost; searching for it before anything else", label)
        deadline = time.monotonic() + self.adopt_wait_seconds
        for delay in _ADOPT_DELAYS:
            if delay:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(delay, remaining))
            found = search()
            if found:
                log.info(
                    "adopted %s (id %s) created by the attempt whose answer was lost",
                    label,
                    found[0].get("id"),
                )
                return found[0]
        raise error


# -- helpers -----------------------------------------------------------------------------------------


def _norm_name(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def _norm_tax(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def _tax_id_of(vendor: Mapping[str, Any]) -> str | None:
    info = vendor.get("additionalInfo")
    tax = info.get("taxId") if isinstance(info, Mapping) else None
    return tax if isinstance(tax, str) and tax.strip() else None


def _oldest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (str(r.get("createdTime") or ""), str(r.get("id"))))


def _found(rows: list[dict[str, Any]], label: str) -> CreateOutcome:
    if len(rows) > 1:
        log.warning(
            "BILL already holds %d records for %s (%s); using the oldest",
            len(rows),
            label,
            ", ".join(str(r.get("id")) for r in rows[:5]),
        )
    return CreateOutcome(rows[0], "found", matches=len(rows))


def _paid_bills(payment: Mapping[str, Any]) -> set[tuple[str, Decimal]]:
    """(billId, amount) pairs a payment pays: its ``billPayments``, else its own bill and amount."""
    pairs: set[tuple[str, Decimal]] = set()
    lines = payment.get("billPayments")
    if isinstance(lines, list) and lines:
        for line in lines:
            if isinstance(line, Mapping) and line.get("billId") is not None:
                try:
                    pairs.add((str(line["billId"]), to_decimal(line.get("amount"), "amount", "payment")))
                except BillInputError:
                    return set()
        return pairs
    if payment.get("billId") is not None:
        try:
            pairs.add((str(payment["billId"]), to_decimal(payment.get("amount"), "amount", "payment")))
        except BillInputError:
            return set()
    return pairs


def _name_bulk_problems(error: BillValidationError, names: Sequence[str]) -> BillValidationError:
    """A bulk refusal whose problems say "[3] ..." rewritten to name the vendor at index 3."""
    refused = sorted({p.index for p in error.problems if p.index is not None and p.index < len(names)})
    if not refused:
        return error
    who = "; ".join(f"[{i}] {names[i]}" for i in refused)
    return BillValidationError(
        f"{error} (refused: {who}; the whole bulk call was rolled back)",
        status=error.status,
        problems=error.problems,
        record=error.record,
    )
