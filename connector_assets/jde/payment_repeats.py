"""A payment JDE already holds, recognised by reading F0414 (``RMK``, ``PYID``), not by an error code; a
refusal JDE calls a duplicate that F0414 cannot show is adopted by code or words, keyed without a payment
number: docs/jde_orchestrations/README.md, "Keys that make writes safe to repeat" (Payments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connector_assets.jde.target_base import jde_number
from connector_resources import settings
from connector_resources.jde import Condition, JdeError, JdeMessage, JdeOrchestrationError
from connector_resources.jde.session import JdeSession
from connector_resources.redaction import get_logger, redact

log = get_logger(__name__)

PAYMENT_TABLE = "F0414"  # A/P payment detail: RMK = the payment's reference, PYID = JDE's payment number
DUPLICATE_CODES = "ML_JDE_DUPLICATE_PAYMENT_CODES"
_DUPLICATE = re.compile(r"\bduplicate\b", re.IGNORECASE)


def payment_target_id(company: str, document: int, dct: str, reference: str, number: int | None) -> str:
    """The ledger's id of a payment: the voucher, the reference, and JDE's payment number when known."""
    voucher_reference = f"{company}/{document}/{dct}/{reference}"
    return f"{voucher_reference}/{number}" if number else voucher_reference


@dataclass(frozen=True)
class PaymentRead:
    """What F0414 says of a payment reference on a voucher: JDE's payment number, or why there is none
    (``unreadable``: F0414 could not be read, with JDE's answer; else it holds no row of the reference)."""

    number: int | None
    unreadable: str | None = None

    def missing(self) -> str:
        """Why the number is not known, in words a finance user reads (when ``number`` is None)."""
        if self.unreadable:
            return f"F0414, where JDE keeps it, could not be read ({self.unreadable})"
        return (
            "F0414 holds no row of this reference (an ML_RecordPayment older than contract 1.1 writes none)"
        )


def read_payment(session: JdeSession, company: str, document: int, dct: str, reference: str) -> PaymentRead:
    """F0414's rows of payment ``reference`` on the voucher: JDE's payment number (the first, should JDE
    hold several), or why it shows none (the AIS user may not read F0414: a refusal then decides,
    ``duplicate_refusal``)."""
    conditions = [
        Condition(f"{PAYMENT_TABLE}.KCO", "EQUAL", company),
        Condition(f"{PAYMENT_TABLE}.DOC", "EQUAL", document),
        Condition(f"{PAYMENT_TABLE}.DCT", "EQUAL", dct),
        Condition(f"{PAYMENT_TABLE}.RMK", "EQUAL", reference),
    ]
    try:
        rows = list(session.browse(PAYMENT_TABLE, columns=["PYID", "RMK"], conditions=conditions))
    except JdeError as exc:
        log.warning("payment %s on voucher %s %s: F0414 could not be read (%s)", reference, company, document,
                    exc)  # fmt: skip
        return PaymentRead(None, redact(" ".join(str(exc).split())) or type(exc).__name__)
    ours = (jde_number(row.get("PYID")) for row in rows if str(row.get("RMK") or "").strip() == reference)
    numbers = sorted(number for number in ours if number)
    return PaymentRead(numbers[0] if numbers else None)


def recorded_payment(
    session: JdeSession, company: str, document: int, dct: str, reference: str
) -> int | None:
    """JDE's payment number of payment ``reference`` on the voucher, as F0414 shows it; None when it shows
    none, or cannot be read (``read_payment``)."""
    return read_payment(session, company, document, dct, reference).number


def duplicate_refusal(exc: JdeOrchestrationError) -> JdeMessage | None:
    """JDE's message refusing the payment as a reference already recorded: one of the setting's codes,
    else one whose title or text says duplicate; None when the refusal is something else."""
    codes = set(settings.read(DUPLICATE_CODES))
    errors = [m for m in exc.messages if m.code and m.severity == "error"]
    by_code = [m for m in errors if m.code.upper() in codes]
    by_words = [m for m in errors if _DUPLICATE.search(f"{m.title} {m.text}")]
    return (by_code or by_words or [None])[0]
