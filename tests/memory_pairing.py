"""A pairing of two systems held in memory, for the tests of the kit's match-by-hand path
(``flows.manual_matches``) and of the desk's matches page: an ERP's suppliers and a SaaS tool's, its own
cross-reference (``supplier``) and the mirror flow's (``vendor``), records held on either side."""

from __future__ import annotations

from connector_assets.flows.manual_pairs import (
    SOURCE,
    TARGET,
    Found,
    ManualPairing,
    MatchRefused,
    Side,
    Systems,
    Waiting,
    number_key,
)
from connector_resources.ledger import Ledger

ERP = {"4343": "Acme Ltd", "5000": "Bolt & Nut Co", "6000": "Crane Hire"}
SAAS = {"17": "ACME LIMITED", "18": "Bolt and Nut", "19": "Crane Hire Ltd"}


def _finder(system: str, records: dict[str, str]):
    def find(systems: Systems, ledger: Ledger, key: str) -> Found:
        if key not in records:
            raise MatchRefused(f"{system} has no supplier with id {key}")
        return Found(key, f"{system} supplier {records[key]} ({key})", {"name": records[key]})

    return find


PAIRING = ManualPairing(
    integration="erp_saas",
    entity="supplier",
    source=Side("ERP", "ERP supplier", "erp", "its number", _finder("ERP", ERP), number_key),
    target=Side("saas", "SaaS supplier", "saas", "its id", _finder("SaaS", SAAS), number_key),
    about="test pairing",
    flow_words={"supplier": "suppliers flow (number, tax id or name)", "vendor": "vendors flow"},
    mirror="vendor",
    waiting=(Waiting("supplier", "ERP", SOURCE), Waiting("vendor", "saas", TARGET)),
)
