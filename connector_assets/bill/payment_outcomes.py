"""A day's BILL payments sorted by what they mean for the system a flow posts them to: paid by BILL (post
it), made by BILL but no longer paid (voided, canceled, its funding failed: a posting to undo by hand), or
recorded into BILL from outside (``onlinePayment`` false, reference 2.8: "no money moves"; sending it back
would pay it twice). Used by BILL payments -> JDE (``integrations/jde_bill/payments.py``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connector_assets.bill.payment_fields import made_by_bill, payment_status
from connector_assets.flows.documents import Version


@dataclass(frozen=True)
class PaymentOutcomes:
    """``paid``: made by BILL, in one of the paid statuses; ``undone``: made by BILL, in none of them;
    ``recorded``: how many were recorded into BILL from outside (never sent)."""

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

    def say_recorded(self, log: Any) -> None:
        """Tell the run log how many payments were not sent because BILL did not make them."""
        if log is not None and self.recorded:
            outside = "recorded into BILL from outside (onlinePayment false): not sent"
            log.info(f"{self.recorded} BILL payment(s) {outside}")
