"""What a BILL payment says, as any integration applying BILL payments reads it: the bills it pays and how
much of each, its status, and whether BILL made it at all (or only recorded a payment made elsewhere); and
what a bill says has been paid on it; and a day's payments sorted by what they mean for the system a flow
posts them to (``PaymentOutcomes``).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows.documents import Version
from connector_assets.flows.reconciliation import amount


def paid_bills(payment: dict[str, Any]) -> list[tuple[str, Any]]:
    """(bill id, amount as BILL wrote it) per bill the payment pays: its ``billPayments``, else its own
    ``billId`` and ``amount`` (a single-bill payment may name only those)."""
    lines = payment.get("billPayments") or []
    if lines:
        return [(str(line.get("billId") or ""), line.get("amount")) for line in lines]
    return [(str(payment.get("billId") or ""), payment.get("amount"))] if payment.get("billId") else []


def made_by_bill(payment: Mapping[str, object]) -> bool:
    """False for a payment recorded into BILL from outside (``onlinePayment`` false); one that does not say is
    BILL's own: the field is in every documented payment object (reference 2.8)."""
    return payment.get("onlinePayment") is not False


def payment_status(payment: Mapping[str, object]) -> str:
    """``singleStatus`` (the documented enum), else ``status`` (what webhooks carry)."""
    return str(payment.get("singleStatus") or payment.get("status") or "").upper()


def paid_on_bill(bill: Mapping[str, object] | None) -> Decimal | None:
    """What BILL says has been paid on a bill: its ``amount`` less its ``dueAmount``; None when there is no
    bill or it does not say its due amount (unconfirmed in v3: then nothing is assumed)."""
    if bill is None or bill.get("dueAmount") in (None, ""):
        return None
    return amount(bill.get("amount")) - amount(bill.get("dueAmount"))


@dataclass(frozen=True)
class PaymentOutcomes:
    """``paid``: made by BILL, in one of the paid statuses (post it); ``undone``: made by BILL, in none of
    them (voided, canceled, its funding failed: a posting to undo by hand); ``recorded``: how many were
    recorded into BILL from outside (reference 2.8: "no money moves"), never sent: it would pay twice."""

    paid: list[Version]
    undone: list[Version]
    recorded: int

    @classmethod
    def of(cls, versions: Iterable[Version], statuses: frozenset[str]) -> "PaymentOutcomes":
        versions = list(versions)
        made = [v for v in versions if made_by_bill(v.record)]
        return cls(
            [v for v in made if payment_status(v.record) in statuses],
            [v for v in made if payment_status(v.record) not in statuses],
            len(versions) - len(made),
        )

    def say_recorded(self, log: logging.Logger | None) -> None:
        """Tell the run log how many payments were not sent because BILL did not make them."""
        if log is not None and self.recorded:
            outside = "recorded into BILL from outside (onlinePayment false): not sent"
            log.info(f"{self.recorded} BILL payment(s) {outside}")
