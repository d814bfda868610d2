"""A Procore vendor as one side of a pairing matched by hand (``flows.manual_pairs``), read by the vendor id
a person types, in its own company (``companies``): the one the ledger keeps for it, else each configured
company in turn. The company it was found in is kept in the ledger as the flows keep it, so the flows read
and mark the vendor there afterwards."""

from __future__ import annotations

from collections.abc import Callable

from connector_assets.flows.manual_pairs import Found, MatchRefused, Side, Systems, number_key
from connector_assets.procore.companies import first_company, remember_vendor_company, vendor_company
from connector_resources.ledger import Ledger
from connector_resources.procore.errors import ProcoreNotFoundError


def vendor_finder(integration: str) -> Callable[[Systems, Ledger, str], Found]:
    """How ``integration`` reads a Procore vendor by id (its ledger rows key the vendor's company)."""

    def find(systems: Systems, ledger: Ledger, vendor_id: str) -> Found:
        procore = systems.resource("procore")
        known = vendor_company(ledger, integration, vendor_id, first_company(procore))
        companies = [known, *(int(c) for c in procore.company_ids() if int(c) != known)]
        with procore.company_sessions() as sessions:
            for company in companies:
                try:
                    vendor = sessions.session(company).get("vendors", vendor_id)
                except ProcoreNotFoundError:
                    continue
                remember_vendor_company(ledger, integration, vendor_id, company)
                name = str(vendor.get("name") or "").strip()
                label = f"Procore vendor {name} ({vendor_id})" if name else f"Procore vendor {vendor_id}"
                return Found(vendor_id, label, {"company": str(company)}, vendor)
        listed = ", ".join(str(c) for c in companies)
        raise MatchRefused(f"Procore has no vendor with id {vendor_id} (companies {listed})")

    return find


def vendor_side(integration: str, system: str = "procore") -> Side:
    """A Procore vendor as a side of ``integration``'s pairing."""
    return Side(
        system, "Procore vendor", "procore", "its Procore vendor id", vendor_finder(integration), number_key
    )
