"""Marking one Procurify bill paid (``mark-as-paid``, §2.6) and which bills may be (``markable``): approved
with no payment, once; Paid with none adopted; any other status queued naming it. The mark has no idempotency
key, so an unclear answer is settled by reading the bill. Depth: docs/integrations/fusion_procurify.md,
"Payments -> paid marks".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from connector_assets.flows.core import Created
from connector_assets.procurify.bill_fields import status_name
from connector_resources.procurify.errors import (
    SYSTEM,
    ProcurifyOutcomeUnknownError,
    ProcurifyValidationError,
)
from connector_resources.procurify.session import ProcurifySession
from connector_resources.refusals import Refused, refusal_of, target_refused

APPROVED_BILL, PAID_BILL = 2, 4  # Procurify bill status codes (reference 2.6, confirmed)


def markable(bill: Mapping[str, object]) -> bool | None:
    """Whether a flow marks ``bill`` paid (module docstring): None when Procurify holds a payment for it,
    True when it is Approved (or Paid already: adopted), False in any other status."""
    if has_payment(bill):
        return None
    return str(bill.get("status")) in (str(APPROVED_BILL), str(PAID_BILL))


def has_payment(bill: Mapping[str, object]) -> bool:
    """Whether Procurify holds a payment for the bill (``payment_uuid`` or ``bill_payment``)."""
    return bool(bill.get("payment_uuid") or bill.get("bill_payment"))


def same_bill_uuid(left: object, right: object) -> bool:
    """Bill uuids compared as Procurify's bill path reads them: hex, dashes and case aside."""
    return str(left or "").replace("-", "").lower() == str(right or "").replace("-", "").lower()


def marked_paid(session: ProcurifySession, bill: Mapping[str, Any]) -> bool:
    """The bill is Paid in Procurify without a payment: marked already (by a person or a lost attempt)."""
    return session.bill_is_paid(bill) and not has_payment(bill)


def mark_bill_paid(session: ProcurifySession, uuid: str, payment_date: date, *, named: str) -> str | Created:
    """Mark bill ``uuid`` paid on ``payment_date``: its uuid once Procurify shows it marked (``Created``
    adopting it when the answer was lost but the bill is Paid), else a ``ValueError`` in a finance user's
    words. ``named`` is how a refusal names the bill (``"bill <uuid>"``, ``"the bill"``)."""
    try:
        answer = session.mark_bills_paid([uuid], payment_date)
    except ProcurifyOutcomeUnknownError:
        if marked_paid(session, session.get("bills", uuid)):
            return Created(uuid, "adopt", "the mark's answer was lost, and Procurify shows the bill Paid")
        raise
    except ProcurifyValidationError as exc:
        raise Refused(
            refusal_of(exc, f"Procurify refused to mark {named} paid: {exc}", system=SYSTEM)
        ) from None
    skipped = [s for s in answer.get("skipped") or [] if isinstance(s, Mapping) and s.get("uuid")]
    if any(same_bill_uuid(s["uuid"], uuid) for s in skipped):
        why = "; ".join(str(s.get("reason") or "") for s in skipped)
        said = f"Procurify did not mark {named} paid: {why}"
        raise Refused(target_refused(said, system=SYSTEM, code="skipped"))
    paid = answer.get("paid")
    if isinstance(paid, list) and any(
        same_bill_uuid(p.get("uuid") if isinstance(p, Mapping) else p, uuid) for p in paid
    ):
        return uuid
    # The answer's shape is not documented (reference 2.6: a 204, an empty object, other keys): when it
    # does not say the bill was paid, the bill does. Marked only when Procurify shows it Paid.
    bill = session.get("bills", uuid)
    if marked_paid(session, bill):
        return uuid
    said = (
        f"Procurify accepted the mark-as-paid of bill {bill.get('invoice_number') or uuid} without "
        f"saying it was paid, and the bill is still {status_name(bill)} in Procurify: not recorded as "
        "marked; replay to mark it again (or mark it paid in Procurify by hand, then replay: it is "
        "then adopted)"
    )
    raise Refused(target_refused(said, system=SYSTEM, code="not marked paid"))
