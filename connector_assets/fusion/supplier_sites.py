"""The Fusion supplier site a purchase order (purpose ``purchasing``) or an invoice (purpose ``pay``) goes
to, chosen here the same way for every integration. One ``SupplierSites`` per run or replay, so its cache
is never staler than that. The rules and why: docs/integrations/fusion_procurify.md, "Supplier sites".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from connector_assets.flows.values import text
from connector_assets.fusion import values
from connector_assets.runtime.run_reads import RunReads
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.redaction import get_logger
from connector_resources.refusals import master_missing
from connector_resources.said import said

log = get_logger(__name__)

Purpose = Literal["purchasing", "pay"]
PURPOSE_FLAGS: dict[str, str] = {"purchasing": "SitePurposePurchasingFlag", "pay": "SitePurposePayFlag"}


@dataclass(frozen=True)
class SupplierSite:
    """One Fusion supplier site as an order or invoice names it: the supplier (id, name, number), the site
    (name and id) and the business unit the site belongs to."""

    supplier_id: str
    supplier: str
    supplier_number: str
    site: str
    site_id: str
    business_unit: str


def _name(value: Any) -> str:
    """A display name as Fusion holds it (not trimmed: orders and invoices must repeat it exactly)."""
    return "" if value is None else str(value)


def inactive_since(record: dict[str, Any], today: date) -> date | None:
    """The ``InactiveDate`` of a supplier or site when it is on or before ``today`` (it is inactive)."""
    day = values.day(record.get("InactiveDate"))
    return day if day is not None and day <= today else None


def supplier_label(supplier: dict[str, Any]) -> str:
    """``Fusion supplier Acme (1234)``: the name and the supplier number a finance user searches by."""
    name = text(supplier.get("Supplier")) or f"id {text(supplier.get('SupplierId'))}"
    number = text(supplier.get("SupplierNumber"))
    return f"Fusion supplier {name}" + (f" ({number})" if number else "")


def supplier_inactive_reason(supplier: dict[str, Any], today: date | None = None) -> str | None:
    """Why the Fusion supplier cannot be used (``Status`` INACTIVE or an ``InactiveDate`` reached), None
    when it can. Both names are unconfirmed: a pod without them gives an active supplier."""
    today = today or datetime.now(UTC).date()
    if text(supplier.get("Status")).upper() == "INACTIVE":
        return f"{supplier_label(supplier)} is inactive (Status INACTIVE)"
    since = inactive_since(supplier, today)
    if since is not None:
        return f"{supplier_label(supplier)} is inactive since {since.isoformat()} (InactiveDate)"
    return None


def _site_id_order(site: dict[str, Any]) -> tuple[int, int | str]:
    site_id = text(site.get("SupplierSiteId"))
    return (0, int(site_id)) if site_id.isdigit() else (1, site_id)


def choose_site(
    sites: list[dict[str, Any]], business_unit: str, purpose: Purpose, today: date | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The site to use among ``sites`` (pure; the rule: docs, "Supplier sites") and every eligible
    site it was chosen from."""
    if purpose not in PURPOSE_FLAGS:
        raise ValueError(f"site purpose {purpose!r}: one of {', '.join(PURPOSE_FLAGS)}")
    today = today or datetime.now(UTC).date()
    flag_name = PURPOSE_FLAGS[purpose]
    eligible = [
        site
        for site in sites
        if _name(site.get("ProcurementBU")) == business_unit
        and inactive_since(site, today) is None
        and values.flag(site.get(flag_name)) is not False
        and text(site.get("SupplierSite"))
    ]
    if not eligible:
        return None, []
    # Explicitly flagged for the purpose first, then the lowest (oldest) SupplierSiteId.
    eligible.sort(key=lambda site: (values.flag(site.get(flag_name)) is not True, _site_id_order(site)))
    return eligible[0], eligible


Read = dict[str, tuple[dict[str, Any] | None, list[dict[str, Any]]]]  # SupplierId -> (supplier, its sites)

_RUN_SUPPLIERS: RunReads[Read] = RunReads(dict)


def suppliers_for_run(run_id: str) -> Read:
    """The suppliers and sites read in run ``run_id``, shared by every day and flow of the run that maps
    orders or invoices: a cache per day's step read a supplier again on each day naming it."""
    return _RUN_SUPPLIERS(run_id)


class SupplierSites:
    """The site of a Fusion supplier for a purpose in a business unit, on one Fusion session, with each
    supplier and its sites read once (``read``: one per run, ``suppliers_for_run``, else per instance)."""

    def __init__(self, session: Any, read: Read | None = None) -> None:
        self.session = session
        self._read: Read = {} if read is None else read

    def read_many(self, supplier_ids: Iterable[str]) -> None:
        """Read the suppliers of ``supplier_ids`` not read yet, with their sites, by list: ``SupplierId in
        (...)`` 50 ids a query with ``expand=sites`` (reference §2.2, §2.7), instead of a supplier read and
        a sites read each. An id the list does not answer is a supplier Fusion lacks, as ``get`` would say."""
        wanted = [key for key in dict.fromkeys(map(text, supplier_ids)) if key.isdigit()]
        wanted = [key for key in wanted if key not in self._read]
        if not wanted:
            return
        found: Read = {}
        for row in self.session.iter_in("suppliers", "SupplierId", wanted, expand=("sites",)):
            sites = row.pop("sites", None)
            found[text(row.get("SupplierId"))] = (
                row,
                list(sites) if isinstance(sites, list) else self.session.supplier_sites(row),
            )
        self._read.update({key: found.get(key, (None, [])) for key in wanted})

    def supplier(self, supplier_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The supplier record (None when Fusion has no supplier with this id) and its sites, cached; one
        not read yet is read with its sites in one call (``read_many``), an id that is not a number by key
        and sites apart."""
        key = text(supplier_id)
        self.read_many([key])
        if key not in self._read:
            try:
                record = self.session.get("suppliers", key)
            except FusionNotFoundError:
                self._read[key] = (None, [])
            else:
                sites = self.session.supplier_sites(record)
                self._read[key] = (record, sites)
        return self._read[key]

    def site_for(
        self, supplier_id: str, business_unit: str, purpose: Purpose
    ) -> tuple[SupplierSite | None, str | None]:
        """``(site, None)``, or ``(None, reason)`` naming the supplier, the purpose and the business unit
        (a ``Said``: Fusion lacks the supplier, an active one, or its site: ``master_missing``). Fusion errors
        other than "no such supplier" propagate (the flow queues them as failures)."""
        record, sites = self.supplier(supplier_id)
        if record is None:
            sentence = (
                f"Fusion has no supplier with SupplierId {supplier_id}; the vendor's match points at a "
                "supplier that no longer exists. Correct the match (ml-connector xref set) and replay"
            )
            return None, said(master_missing(sentence, system="Fusion", what="supplier", value=supplier_id))
        inactive = supplier_inactive_reason(record)
        if inactive is not None:
            sentence = f"{inactive}; activate it in Fusion or match the vendor to another supplier"
            return None, said(
                master_missing(sentence, system="Fusion", what="active supplier", value=supplier_id)
            )
        chosen, eligible = choose_site(sites, business_unit, purpose)
        who = supplier_label(record)
        if chosen is None:
            sentence = (
                f"{who} has no active {purpose} site in {business_unit}; add one in Fusion "
                f"(Manage Suppliers, Sites, purpose {purpose}) and replay"
            )
            site = f"{supplier_id}@{business_unit}"
            return None, said(master_missing(sentence, system="Fusion", what=f"{purpose} site", value=site))
        if len(eligible) > 1:
            log.info(
                "%s: %d active %s sites in %s (%s); chose %s (the lowest SupplierSiteId)",
                who,
                len(eligible),
                purpose,
                business_unit,
                ", ".join(f"{text(s.get('SupplierSite'))}={text(s.get('SupplierSiteId'))}" for s in eligible),
                text(chosen.get("SupplierSite")),
            )
        return (
            SupplierSite(
                supplier_id=text(record.get("SupplierId")) or text(supplier_id),
                supplier=_name(record.get("Supplier")),
                supplier_number=text(record.get("SupplierNumber")),
                site=_name(chosen.get("SupplierSite")),
                site_id=text(chosen.get("SupplierSiteId")),
                business_unit=business_unit,
            ),
            None,
        )
