"""BILL payments, wherever they came from: a signed webhook in the ledger inbox (BILL delivers every event
type to one endpoint: the single source ``bill``) or the day's poll of ``bill_payments``, its fallback.

The shared collector (``connector_assets.flows.documents``) reads both; what is BILL's own is here: which
deliveries a payments flow applies (``PAYMENT_EVENT_TYPES``), the payments a delivery only names read
from BILL as they are now (``read_current``), and how BILL times read (v3 or v2 style, reference quirk
11). Why: docs/integrations/jde_bill.md, "The flows" ("webhooks").
"""

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.flows.documents import DocumentSource, Version
from connector_assets.runtime.session_source import SessionSource
from connector_resources.bill.errors import BillNotFoundError
from connector_resources.bill.listing import clause, parse_time
from connector_resources.bill.session import BillSession

INBOX = "bill"  # the receiver's one BILL source (``configured_sources``)
EVENT_TYPE = "_eventType"  # set on an inbox record by ``_record_of``: which event carried it
PAYMENT_EVENT_TYPES = frozenset({"payment.updated", "payment.failed", "bill.created", "bill.updated"})
# A bill whose payment status says money went out: its payments are read (a bill event names none).
# UNPAID / SCHEDULED bills have no payment to record elsewhere yet (reference 2.7).
PAID_BILL_STATUSES = frozenset({"PAID", "PARTIAL"})


def bill_time(value: object) -> datetime | None:
    """A BILL timestamp as aware UTC, None when absent or unreadable."""
    try:
        return parse_time(value)
    except ValueError:
        return None


def _body(payload: object) -> dict[str, Any] | None:
    """The delivery's JSON object; BILL may send it as a JSON string (reference 2.10: parse defensively)."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return None
    return payload if isinstance(payload, dict) else None


def event_type(payload: object) -> str | None:
    """``metadata.eventType`` of a delivery (``payment.updated``)."""
    body = _body(payload) or {}
    metadata = body.get("metadata")
    return str(metadata.get("eventType") or "") or None if isinstance(metadata, dict) else None


def _record_of(payload: object) -> dict[str, object] | None:
    """The entity a delivery carried (``payment`` for ``payment.updated``), marked with its event type."""
    body = _body(payload)
    kind = event_type(payload)
    if body is None or kind is None:
        return None
    entity = body.get(kind.split(".", 1)[0])
    return {**entity, EVENT_TYPE: kind} if isinstance(entity, dict) else None


def _is_bill(record: Mapping[str, object]) -> bool:
    return str(record.get(EVENT_TYPE) or "").startswith("bill.")


def _version(payment: dict[str, Any]) -> Version | None:
    changed = bill_time(payment.get("updatedTime"))
    return Version(str(payment["id"]), changed, payment, "read") if changed and payment.get("id") else None


def payments_of_bill(session: BillSession, bill: dict[str, Any]) -> list[dict[str, Any]]:
    """The payments that pay ``bill``: the bill's vendor's payments (``vendorId`` is a documented payment
    filter, "Filterable fields"; ``billId`` is not), kept to those whose ``billPayments`` name the bill; a
    bill without a vendor reads every payment."""
    bill_id = str(bill["id"])

    def pays(payment: dict[str, Any]) -> bool:
        lines = payment.get("billPayments") or []
        return payment.get("billId") == bill_id or any(line.get("billId") == bill_id for line in lines)

    by_vendor = [clause("vendorId", "eq", str(bill["vendorId"]))] if bill.get("vendorId") else []
    return [p for p in session.iter_records("payments", by_vendor) if pays(p)]


def read_current(context: Any, records: list[dict[str, Any]]) -> list[list[Version]]:
    """For each inbox record of the day, the payments it concerns as BILL holds them now (one session, each
    payment and bill read once however many deliveries name it)."""
    payments: dict[str, Version | None] = {}
    of_bill: dict[str, list[Version]] = {}
    found: list[list[Version]] = []
    with context.resources.bill.session() as session:
        for record in records:
            record_id = str(record["id"])
            if _is_bill(record):
                if str(record.get("paymentStatus") or "") not in PAID_BILL_STATUSES:
                    found.append([])
                    continue
                if record_id not in of_bill:
                    versions = [_version(p) for p in payments_of_bill(session, record)]
                    of_bill[record_id] = [v for v in versions if v is not None]
                found.append(of_bill[record_id])
                continue
            if record_id not in payments:
                try:
                    payments[record_id] = _version(session.get("payments", record_id))
                except BillNotFoundError:
                    payments[record_id] = None  # gone from BILL: nothing to apply
            version = payments[record_id]
            found.append([version] if version is not None else [])
    return found


PAYMENTS = DocumentSource(
    name="bill_payments",
    asset=asset_key("bill", "payments"),
    system="bill",
    record_of=_record_of,
    changed_at=lambda record: bill_time(record.get("updatedTime")),
    change_field="updatedTime",
    unreadable="not a BILL event with an entity that has an id and an updatedTime",
    inbox=INBOX,
    event_type_of=event_type,
    event_types=PAYMENT_EVENT_TYPES,
    current=read_current,
)


def current_versions(bill: SessionSource[BillSession], payment_ids: Iterable[str]) -> list[Version]:
    """The payments as BILL holds them now (a replay maps the latest version, not the queued one)."""
    versions = []
    with bill.session() as session:
        for payment_id in sorted(set(payment_ids)):
            try:
                version = _version(session.get("payments", payment_id))
            except BillNotFoundError:
                continue
            if version is not None:
                versions.append(version)
    return versions
