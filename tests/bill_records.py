"""A BILL bill as the tests write it, through the client or to the simulator: one builder for every test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any


def a_bill(ids: Mapping[str, str], invoice: str, *amounts: str) -> dict[str, Any]:
    """Bill ``invoice`` of ``ids``' vendor, a line per amount (one of 245.10 when none is given), each on
    ``ids``' expense account and department (``vendor``, ``account``, ``department``)."""
    return {
        "vendorId": ids["vendor"],
        "dueDate": date(2030, 4, 9),
        "invoice": {"invoiceNumber": invoice, "invoiceDate": "2030-03-10"},
        "description": "JDE voucher",
        "billLineItems": [
            {
                "description": f"pay item {at}",
                "amount": Decimal(amount),
                "classifications": {"chartOfAccountId": ids["account"], "departmentId": ids["department"]},
            }
            for at, amount in enumerate(amounts or ("245.10",), start=1)
        ],
    }
