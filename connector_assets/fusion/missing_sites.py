"""A Fusion invoice whose supplier, or its pay site in the business unit, is missing in Fusion: held on it
(``missing_records``) and released by a replay sweep that finds it (``fusion_missing_checks``); an inactive
supplier stays a refusal. docs/integrations/fusion_procurify.md, "Supplier sites".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from connector_assets.flows.replays import Resources
from connector_assets.fusion.supplier_sites import (
    Purpose,
    SupplierSite,
    SupplierSites,
    supplier_inactive_reason,
)
from connector_resources.fusion.errors import FusionValidationError
from connector_resources.missing_records import (
    HELD_UNTIL,
    MissingCheck,
    MissingKind,
    MissingRecord,
    missing_checks,
    missing_kind,
)

SUPPLIER = missing_kind(
    "Fusion", "supplier", "suppliers", label="supplier", master="Fusion's suppliers",
    todo="the vendor's match points at a supplier Fusion no longer has: match the vendor to its supplier "
    "(ml-connector xref set, or the desk)",
)  # fmt: skip
PAY_SITE = missing_kind(
    "Fusion", "supplier_site", "pay", label="pay site", master="Fusion's supplier sites",
    todo="add an active pay site for the business unit in Fusion (Manage Suppliers, Sites, purpose pay), or "
    "match the vendor to the supplier that has one",
)  # fmt: skip
KINDS = (SUPPLIER, PAY_SITE)


def site_ident(supplier_id: str, business_unit: str) -> str:
    """The id a pay-site hold names: ``<SupplierId>/<business unit>``."""
    return f"{supplier_id}/{business_unit}"


def _held(kind: MissingKind, ident: str, document: str, refusal: str, until: str) -> MissingRecord:
    reason = (
        f"{document}: {refusal}. {HELD_UNTIL} {until}: {kind.todo}. Not sent until then (or until the bill "
        "changes in the source); then sent once"
    )
    return MissingRecord(kind, ident, reason)


def site_or_hold(
    sites: SupplierSites, supplier_id: str, business_unit: str, document: str, purpose: Purpose = "pay"
) -> tuple[SupplierSite | None, MissingRecord | None, str | None]:
    """``supplier_id``'s ``purpose`` site in ``business_unit`` (site, None, None); or the hold on what Fusion
    lacks (None, hold, None): the supplier, or an active site of the purpose in the unit; or (None, None,
    why) a refusal: the supplier is inactive."""
    site, problem = sites.site_for(supplier_id, business_unit, purpose)
    if site is not None:
        return site, None, None
    record, _ = sites.supplier(supplier_id)
    if record is None:
        until = f"Fusion has supplier {supplier_id} again"
        return None, _held(SUPPLIER, supplier_id, document, str(problem), until), None
    if supplier_inactive_reason(record) is not None:
        return None, None, problem
    until = f"supplier {supplier_id} has an active {purpose} site in {business_unit}"
    return None, _held(PAY_SITE, site_ident(supplier_id, business_unit), document, str(problem), until), None


def refused_for_missing(
    exc: FusionValidationError, supplier_id: str | None, business_unit: str, document: str
) -> MissingRecord | None:
    """The pod's refusal of an invoice ``exc`` as a hold, when it refused the supplier or its site (the
    attribute it names: ``Supplier`` / ``SupplierSite``) and the supplier is known; None otherwise."""
    fields = {str(f).rsplit("/", 1)[-1] for f in getattr(exc, "fields", ()) or ()}  # a header attribute
    if not supplier_id or not fields & {"Supplier", "SupplierId", "SupplierSite", "SupplierSiteId"}:
        return None
    if fields & {"Supplier", "SupplierId"}:
        until = f"Fusion has supplier {supplier_id} (active) again"
        return _held(SUPPLIER, supplier_id, document, f"Fusion refused it: {exc}", until)
    until = f"supplier {supplier_id} has an active pay site in {business_unit}"
    return _held(
        PAY_SITE, site_ident(supplier_id, business_unit), document, f"Fusion refused it: {exc}", until
    )


# -- does it exist now --------------------------------------------------------------------------------------


def suppliers_back(session: Any, ids: Iterable[str]) -> dict[str, str]:
    """Of supplier ids, those Fusion (``session``) has now, with why."""
    sites = SupplierSites(session)
    return {i: f"Fusion has supplier {i} now" for i in ids if sites.supplier(i)[0] is not None}


def sites_set_up(session: Any, ids: Iterable[str]) -> dict[str, str]:
    """Of ``<SupplierId>/<business unit>`` ids, those whose supplier has an active pay site there now."""
    sites = SupplierSites(session)
    ready: dict[str, str] = {}
    for ident in ids:
        supplier_id, _, unit = ident.partition("/")
        if supplier_id and unit and sites.site_for(supplier_id, unit, "pay")[0] is not None:
            ready[ident] = f"supplier {supplier_id} has an active pay site in {unit} in Fusion now"
    return ready


_READERS: dict[MissingKind, Callable[[Any, list[str]], dict[str, str]]] = {
    SUPPLIER: suppliers_back,
    PAY_SITE: sites_set_up,
}


def fusion_missing_checks(resources: Resources) -> dict[tuple[str, str, str], MissingCheck]:
    """The sweeps releasing the invoices held on a Fusion supplier or pay site that exists now (a Fusion
    flow's ``Replay.outside``), each read on ``resources()["fusion"]`` (the Fusion of the replays, built
    when a sweep asks)."""
    return missing_checks(_READERS, lambda: resources()["fusion"].session())
