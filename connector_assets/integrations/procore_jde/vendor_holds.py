"""An order or voucher held on its Procore vendor: the vendor's company is remembered for the vendors flow.

The company facts themselves are Procore's (``connector_assets.procore.companies``); what stays here is
this integration's rule: which hold names a vendor (the vendors flow's dependency key), so the vendors flow
reads the awaited vendor in its company even when the vendor was not staged (unchanged) that day.
"""

from __future__ import annotations

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.procore.companies import remember_vendor_company
from connector_resources.ledger import Ledger

VENDOR_HOLD = f"{INTEGRATION}:vendor:procore:"  # VENDORS_FLOW.dependency_key("") (no import cycle)


def remember_held_vendor(ledger: Ledger, record: Mapped | Rejected, company: int) -> None:
    """An order or voucher held on its vendor: the vendor is in the record's company (a commitment's
    vendor is its company's), kept so the vendors flow reads the awaited vendor there even when the
    vendor was not staged (unchanged) that day."""
    depends = getattr(record, "depends_on", None) or ""
    if depends.startswith(VENDOR_HOLD):
        remember_vendor_company(ledger, INTEGRATION, depends[len(VENDOR_HOLD) :], company)
