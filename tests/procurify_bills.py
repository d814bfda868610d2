"""A Procurify bill as the API gives it, for tests of the flows that read bills (JDE <-> Procurify)."""

from __future__ import annotations

from typing import Any

UUID = "7f1c2b0e-4d7a-4a77-9c1e-2f0a5b6c9d11"


def a_bill(**changes: Any) -> dict[str, Any]:
    """A full bill as ``GET /api/v2/ap/bills/{uuid}/`` gives it (decimal strings, a float total)."""
    bill = {
        "id": 107,
        "uuid": UUID,
        "status": 2,
        "currency": {"id": 5, "name": "GBP", "rate": "0.7890"},
        "vendor": {"id": 69, "name": "Coastal HVAC AG"},
        "invoice_number": "INV-000107",
        "invoice_date": "2026-11-20",
        "due_date": "2027-01-07",
        "gl_post_date": "2026-11-23",
        "total_cost_with_tax": 175.3,
        "tax_amount": "9.65",
        "costs": [],
        "items": [
            {
                "id": 169,
                "description": 'Plywood 3/4"  CDX',
                "quantity": "1.00",
                "unit_cost": "52.75",
                "total_cost": "52.75",
                "account": {"id": 24, "account_code": {"id": 13, "code": "6100"}},
                "orderitem": None,
            },
            {
                "id": 170,
                "description": "Copper wire 12 AWG 250 ft, spooled, for the east wing",
                "quantity": "2.00",
                "unit_cost": "56.45",
                "total_cost": "112.90",
                "account": None,
                "orderitem": {"account": {"account_code": {"code": "6800"}}},
            },
        ],
    }
    bill.update(changes)
    return bill
