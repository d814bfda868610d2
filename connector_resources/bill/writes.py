"""Writing to BILL without duplicates: creates, and the search by natural key that matches each.

Why: BILL has no idempotency keys (reference §1, quirk 8), and the simulator, like BILL, makes a
second record when a create is repeated. The HTTP core never replays a create after an ambiguous
failure (it raises an error with ``outcome_unknown`` instead); the caller resolves it by searching
for the record's natural key (vendor name + tax id, vendor + invoice number, bills + amounts + date
of a recorded payment) and never creates blindly. Searching first and adopting what a lost answer
made is the flows' business (``write_one``), not the client's.

``WritesMixin`` is part of ``BillSession`` (it uses the session's ``_call``, ``_search``, ``_object``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from connector_resources.bill.errors import (
    BillDataError,
    BillInputError,
    BillValidationError,
)
from connector_resources.bill.listing import clause, safe_text_filter
from connector_resources.bill.payloads import (
    WIRE,
    bill_body,
    bill_label,
    record_payment_body,
    record_payment_label,
    to_decimal,
    vendor_body,
    vendor_label,
)
from connector_resources.http.wire_values import wire_body
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.bill.writes")

# Vendors whose bills one ``find_bills_of`` listing asks for: a write step's chunk of claims (50) at most.
IN_VALUES = 50
VENDOR_BULK_MAX = 20  # reference §2.6: /v3/vendors/bulk takes at most 20, all-or-nothing
# Payment states in which a recorded payment no longer stands (a search must not match it).
_DEAD_PAYMENT_WORDS = ("CANCEL", "VOID")


class WritesMixin:
    """Vendors, bills and recorded payments for ``BillSession``: create, update, find."""

    # -- vendors ------------------------------------------------------------------------------------

    def create_vendor(self, vendor: Mapping[str, Any]) -> dict[str, Any]:
        """Create one vendor (``POST /v3/vendors``); returns BILL's record. Not retried after an
        ambiguous failure: search with ``find_vendors``."""
        body = vendor_body(vendor)
        label = vendor_label(body)
        return self._object(self._call("POST", "v3/vendors", what=f"create {label}", record=label, body=body))

    def create_vendors(self, vendors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create up to 20 vendors in one all-or-nothing call (``POST /v3/vendors/bulk``).

        Returns BILL's records in the order sent. A refusal names each refused vendor (BILL's "[i]"
        indexes are mapped to names). More than 20 take several calls.
        """
        if isinstance(vendors, Mapping) or not isinstance(vendors, Sequence) or not vendors:
            raise BillInputError("create vendors: give a list of 1 to 20 vendors")
        if len(vendors) > VENDOR_BULK_MAX:
            raise BillInputError(
                f"create vendors: {len(vendors)} vendors in one bulk call; BILL takes at most "
                f"{VENDOR_BULK_MAX} (split them into several calls)"
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
        # The collection's 'Create multiple vendors' answers ``{"vendors": [...]}``.
        rows = payload.get("vendors", payload.get("results")) if isinstance(payload, Mapping) else payload
        if (
            not isinstance(rows, list)
            or len(rows) != len(bodies)
            or not all(isinstance(r, dict) for r in rows)
        ):
            raise BillDataError(f"BILL answered the bulk create of {record} without one record per vendor")
        return rows

    def update_vendor(self, vendor_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some fields of a vendor (``PATCH``, a merge patch: sending it twice is harmless)."""
        return self._patch("vendors", "vendor", vendor_id, changes)

    def _patch(self, collection: str, kind: str, id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH v3/<collection>/<id>`` with ``changes``: a merge patch sets values, so it is sent as
        idempotent (replayed after a lost answer like a read)."""
        label = f"{kind} {id}"
        body = wire_body(dict(changes), label, WIRE)
        path = f"v3/{collection}/{quote(id)}"
        payload = self._call("PATCH", path, what=f"update {label}", record=label, body=body, idempotent=True)
        return self._object(payload)

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

    # -- bills ----------------------------------------------------------------------------------------

    def create_bill(self, bill: Mapping[str, Any]) -> dict[str, Any]:
        """Create one bill (``POST /v3/bills``) with its lines; each line's ``classifications``
        carries the GL account (``chartOfAccountId``) and ``departmentId``. Returns BILL's record.
        Not retried after an ambiguous failure: search with ``find_bills``."""
        body = bill_body(bill)
        label = bill_label(body)
        return self._object(self._call("POST", "v3/bills", what=f"create {label}", record=label, body=body))

    def update_bill(
        self, bill_id: str, bill: Mapping[str, Any], current: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Make BILL's bill ``bill_id`` the bill ``bill`` (a create body) by BILL's line rules.

        BILL addresses a bill's lines by their ``id`` (reference ``updatebill``: a PATCH changes the lines it
        names, and a line ``id`` never changes) and adds or removes lines only by replacing the bill
        (``replacebill``: PUT; a line without ``id`` is new, a line whose ``id`` is left out is removed). A
        PATCH of lines without ids would add them to the bill's own and double it. So the ids are read from
        BILL's bill (``current``, read here when not given) and given to the new lines in order: when the
        count of lines and each line's fields match, a PATCH changes them in place; otherwise a PUT replaces
        the bill, keeping the ids of the lines it keeps. Either leaves exactly the given lines, so sending it
        again is harmless (both are sent as idempotent)."""
        body = bill_body(bill)
        label = bill_label(body)
        if current is None:
            current = self._object(
                self._call("GET", f"v3/bills/{quote(bill_id)}", what=f"read bill {bill_id}", record=label)
            )
        old = [line for line in current.get("billLineItems") or [] if isinstance(line, Mapping)]
        new = list(body["billLineItems"])
        ids = [line.get("id") for line in old]
        in_place = (
            len(old) == len(new)
            and all(ids)
            and all(_covers(after, before) for before, after in zip(old, new, strict=True))
        )
        body["billLineItems"] = [
            {**line, "id": ids[at]} if at < len(ids) and ids[at] else line for at, line in enumerate(new)
        ]
        method = "PATCH" if in_place else "PUT"
        path = f"v3/bills/{quote(bill_id)}"
        what = f"{'update' if in_place else 'replace'} {label} ({bill_id})"
        return self._object(self._call(method, path, what=what, record=label, body=body, idempotent=True))

    def find_bills(
        self, *, vendor_id: str, invoice_number: str, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        """Bills of ``vendor_id`` with this invoice number (the natural key of a JDE voucher).

        ``vendorId`` is a documented bill filter; the invoice number is not ("Filterable fields", Bills and
        Invoices), so the vendor's bills are listed and the invoice number compared here (trimmed, exact).
        """
        if not vendor_id or not vendor_id.strip() or not invoice_number or not invoice_number.strip():
            raise BillInputError("find bills: give the vendor id and the invoice number")
        number = invoice_number.strip()
        attempts = [("bill vendor", [clause("vendorId", "eq", vendor_id.strip())])]

        def keep(row: dict[str, Any]) -> bool:
            if _invoice_number(row) != number:
                return False
            if row.get("vendorId") not in (None, vendor_id.strip()):
                return False
            return include_archived or row.get("archived") is not True

        return _oldest_first(self._search("bills", attempts, keep))

    def find_bills_of(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """``find_bills`` for many (vendor id, invoice number) pairs at once: by pair, the bills it would
        answer (archived ones left out), from one listing of the bills of up to ``IN_VALUES`` vendors
        (``vendorId:in``, "Filterable fields"; invoice numbers are compared here, BILL filters none). A pair
        whose number a bill without a ``vendorId`` carries is left out: which vendor's it is cannot be told,
        so the pair is searched alone."""
        pairs = {(vendor.strip(), number.strip()) for vendor, number in wanted}
        if any(not vendor or not number for vendor, number in pairs):
            raise BillInputError("find bills: give the vendor id and the invoice number of each bill")
        found: dict[tuple[str, str], list[dict[str, Any]]] = {pair: [] for pair in pairs}
        unsettled: set[str] = set()
        vendors = sorted({vendor for vendor, _ in pairs})
        for start in range(0, len(vendors), IN_VALUES):
            batch = vendors[start : start + IN_VALUES]
            by_vendor = [clause("vendorId", "in", ",".join(batch))]
            attempts = [("bill vendors", by_vendor)]
            for row in self._search("bills", attempts, lambda row: row.get("archived") is not True):
                vendor, number = row.get("vendorId"), _invoice_number(row)
                if vendor is None:
                    unsettled.add(number)
                elif (vendor, number) in found:
                    found[(vendor, number)].append(row)
        return {pair: _oldest_first(rows) for pair, rows in found.items() if pair[1] not in unsettled}

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
        as ``{"payments": [...]}``. Not retried after an ambiguous failure: search with
        ``find_recorded_payments``.
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

        ``vendorId`` is a documented payment filter ("Filterable fields", Payments; ``billId`` is not), so
        the vendor's payments are listed and the bills compared here; a server refusing it is read whole.
        """
        body = record_payment_body(vendor_id, process_date or "1970-01-01", payments, False)
        wanted = {(p["billId"], p["amount"]) for p in body["payments"]}
        date_wanted = body["processDate"] if process_date is not None else None

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
            ("payment vendor", [clause("vendorId", "eq", body["vendorId"])]),
            ("payment list", []),
        ]
        return _oldest_first(self._search("payments", attempts, keep))


# -- helpers -----------------------------------------------------------------------------------------


def _covers(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether a PATCH of line ``new`` onto BILL's line ``old`` leaves nothing of ``old`` behind: it names
    every field ``old`` has (a PATCH keeps what it does not name), classifications included."""
    if not set(old) - {"id"} <= set(new):
        return False
    before, after = old.get("classifications"), new.get("classifications")
    return not isinstance(before, Mapping) or (isinstance(after, Mapping) and set(before) <= set(after))


def _norm_name(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def _norm_tax(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def _invoice_number(bill: Mapping[str, Any]) -> str:
    invoice = bill.get("invoice") if isinstance(bill.get("invoice"), Mapping) else {}
    return str(invoice.get("invoiceNumber") or "").strip()


def _oldest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (str(r.get("createdTime") or ""), str(r.get("id"))))


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
