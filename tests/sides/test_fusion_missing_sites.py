"""A Fusion invoice whose supplier or pay site Fusion lacks is held on it (``fusion.missing_sites``).

The mapping's look (``site_or_hold``: the site, a hold on the missing supplier or site, or a refusal for an
inactive supplier), the pod's own refusal of the supplier or site turned into the same hold, and the replay
sweep's check reading Fusion for the held ids. Pure units on a stand-in Fusion session.
"""

from __future__ import annotations

from typing import Any

from connector_assets.fusion import missing_sites
from connector_assets.fusion.supplier_sites import SupplierSites
from connector_resources.fusion.errors import FieldMessage, FusionNotFoundError, FusionValidationError
from connector_resources.held_outside import ready_outside
from connector_resources.missing_records import is_missing_hold, kind_words

UNIT = "US1 Business Unit"


class Session:
    """Fusion's suppliers and their sites, as ``SupplierSites`` reads them; counts the reads."""

    def __init__(self, suppliers: dict[str, dict[str, Any]], sites: dict[str, list[dict[str, Any]]]) -> None:
        self.suppliers, self.sites, self.reads = suppliers, sites, 0

    def get(self, resource: str, key: str) -> dict[str, Any]:
        self.reads += 1
        if key not in self.suppliers:
            raise FusionNotFoundError(f"no supplier {key}")
        return self.suppliers[key]

    def supplier_sites(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        return self.sites.get(str(record["SupplierId"]), [])

    def iter_in(
        self, resource: str, attribute: str, values: list[str], *, expand: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """The session's list by key (``SupplierId in (...)``, sites expanded inline): one read."""
        self.reads += 1
        found = [self.suppliers[key] for key in values if key in self.suppliers]
        if "sites" in expand:
            return [{**row, "sites": self.supplier_sites(row)} for row in found]
        return found

    def session(self) -> Session:  # the resource's ``session()``, for the sweep's check
        return self

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def supplier(ident: str, **more: Any) -> dict[str, Any]:
    return {"SupplierId": ident, "Supplier": f"Supplier {ident}", "SupplierNumber": f"N{ident}", **more}


PAY = {"SupplierSite": "PAY-1", "SupplierSiteId": "11", "ProcurementBU": UNIT, "SitePurposePayFlag": True}


def test_the_site_when_there_is_one_else_a_hold_on_what_fusion_lacks_and_a_refusal_for_an_inactive_one():
    session = Session(
        {"1": supplier("1"), "2": supplier("2"), "3": supplier("3", Status="INACTIVE")},
        {"1": [PAY], "2": [{**PAY, "ProcurementBU": "US2 Business Unit"}]},
    )
    sites = SupplierSites(session)
    site, held, refused = missing_sites.site_or_hold(sites, "1", UNIT, "bill B1")
    assert site is not None and site.site == "PAY-1" and held is None and refused is None

    _, held, refused = missing_sites.site_or_hold(sites, "2", UNIT, "bill B2")
    assert held is not None and refused is None
    assert held.depends_on == f"Fusion:supplier_site:pay:2/{UNIT}" and is_missing_hold(
        held.depends_on, missing_sites.KINDS
    )
    assert held.reason.startswith("bill B2: Fusion supplier Supplier 2 (N2) has no active pay site in US1")
    assert f"Held until supplier 2 has an active pay site in {UNIT}" in held.reason
    assert kind_words(held.depends_on, missing_sites.KINDS) == "missing in Fusion: pay site (pay)"

    _, held, _ = missing_sites.site_or_hold(sites, "9", UNIT, "bill B9")
    assert held is not None and held.depends_on == "Fusion:supplier:suppliers:9"

    _, held, refused = missing_sites.site_or_hold(sites, "3", UNIT, "bill B3")
    assert held is None and refused is not None and "inactive" in refused


def test_the_pods_refusal_of_the_supplier_or_site_is_the_same_hold_others_stay_refusals():
    def refusal(*fields: str) -> FusionValidationError:
        said = "the value 'PAY-1' of attribute SupplierSite isn't a valid site"
        return FusionValidationError(said, messages=[FieldMessage(said, field) for field in fields])

    site = missing_sites.refused_for_missing(refusal("SupplierSite"), "2", UNIT, "invoice I-1")
    assert site is not None and site.depends_on == f"Fusion:supplier_site:pay:2/{UNIT}"
    assert "Fusion refused it" in site.reason
    gone = missing_sites.refused_for_missing(refusal("Supplier"), "2", UNIT, "invoice I-1")
    assert gone is not None and gone.depends_on == "Fusion:supplier:suppliers:2"
    assert missing_sites.refused_for_missing(refusal("InvoiceAmount"), "2", UNIT, "invoice I-1") is None
    assert missing_sites.refused_for_missing(refusal("SupplierSite"), None, UNIT, "invoice I-1") is None


def test_a_sweep_releases_what_fusion_has_now_and_leaves_the_rest_held():
    session = Session({"1": supplier("1"), "2": supplier("2")}, {"1": [PAY]})
    checks = missing_sites.fusion_missing_checks(lambda: {"fusion": session})
    keys = [
        f"Fusion:supplier_site:pay:1/{UNIT}",  # set up since
        f"Fusion:supplier_site:pay:2/{UNIT}",  # still none
        "Fusion:supplier:suppliers:2",  # Fusion has it again
        "Fusion:supplier:suppliers:7",  # still gone
    ]
    ready = ready_outside(keys, checks)
    assert set(ready) == {keys[0], keys[2]}, ready
    assert "has an active pay site in US1 Business Unit in Fusion now" in ready[keys[0]]
