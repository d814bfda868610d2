"""A Procore requisition and its lines as the Procore client returns them (reference §2.5, the simulator's
rendering), and the ``VoucherInputs`` the Procore -> JDE voucher mapper reads: one copy for the mapper's
tests and the account waits' tests."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from procore_jde_accounts import LABEL

from connector_assets.integrations.procore_jde.voucher_mappers import VoucherInputs

PROJECT = "562949953432100"
PO_KEY = "procore_jde:purchase_order:procore:881234"
VENDOR_KEY = "procore_jde:vendor:procore:5512098"


class WrittenLedger:
    """A ledger holding the commitment's JDE order (of an order type naming no kind) and its vendor's
    supplier: nothing to hold a voucher or change order on, so it is read and mapped in full."""

    def get_xref(self, integration: str, entity: str, *args: Any) -> Any:
        return SimpleNamespace(target_id={"purchase_order": "00001:123:XX", "vendor": "4343"}.get(entity))


def line(code: str | None, work: str, stored: str = "0.00", **more: Any) -> dict[str, Any]:
    """A requisition line billing ``work`` (and ``stored`` materials) this period on cost code ``code``."""
    return {
        "id": hash((code, work, stored)) % 10_000,
        "description": f"work on {code}",
        "_cost_code": code,
        "work_completed_this_period": work,
        "materials_presently_stored": stored,
        "work_completed_from_previous_application": "0.00",
        "retainage_percent": "0.0",
        "total_retainage": "0.00",
        **more,
    }


def requisition(**more: Any) -> dict[str, Any]:
    return {
        "id": 1280646,
        "number": 19,
        "invoice_number": "INV-2025-03",
        "commitment_id": 881234,
        "vendor_name": "Granite Supply Co",
        "billing_date": "2025-04-02",
        "requisition_start": "2025-03-01",
        "requisition_end": "2025-03-31",
        "status": "approved",
        **more,
    }


def voucher_inputs(
    lines: list[dict[str, Any]],
    *,
    currency: str = "eur",
    order_id: str | None = "00200:4711:OP",
    an8: str | None = "4343",
    **fields: Any,
) -> VoucherInputs:
    """The requisition (``fields`` changed) of commitment 881234 in ``currency`` on ``PROJECT``, with
    ``lines``; its order and vendor known to JDE unless ``order_id`` / ``an8`` is None."""
    return VoucherInputs(
        requisition=requisition(**fields),
        lines=lines,
        commitment={"id": 881234, "currency_configuration": {"currency_iso_code": currency}},
        project_id=PROJECT,
        project_label=LABEL,
        an8=an8,
        order_id=order_id,
        order_dependency=PO_KEY,
        vendor_dependency=VENDOR_KEY,
        updated_at=datetime(2025, 4, 2, 10, 15, tzinfo=UTC),
    )
