"""The Procore vendor as a write target: an ERP record's changes patched onto its linked vendor, never
created, only what differs (nothing echoes back), in the vendor's company. The integration names its
record (``erp`` / ``erp_record``) and what a write records (``written``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import AssetKey

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.procore.companies import (
    QUEUED_FIELD,
    first_company,
    listed_vendors,
    remember_vendor_company,
    vendor_company,
)
from connector_assets.procore.sources import COMPANY_FIELD
from connector_assets.procore.vendor_fields import text
from connector_resources.ledger import Ledger


def vendor_differences(vendor: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``changes`` the vendor does not hold already (names and text compared on their words),
    so a PATCH sends only real changes and an unchanged vendor is not touched (no echo back)."""
    return {k: v for k, v in changes.items() if text(vendor.get(k)) != text(v)}


class ProcoreVendorPatches:
    """Linked vendors patched with what differs, never created, each in its own company (``sessions`` is
    the step's ``CompanySessions``); ``written(ledger, vendor_id, record, run_id)`` after each write."""

    def __init__(
        self,
        sessions: Any,
        ledger: Ledger,
        run_id: str | None,
        default_company: int,
        *,
        integration: str,
        erp: str,
        erp_record: str,
        written: Callable[[Ledger, str, Mapped, str | None], None],
    ) -> None:
        self.sessions, self.ledger, self.run_id = sessions, ledger, run_id
        self.default_company = default_company
        self.integration, self.erp, self.erp_record, self.written = integration, erp, erp_record, written

    def _session(self, target_id: str, record: Mapped) -> Any:
        company = record.natural_key.get(QUEUED_FIELD) or vendor_company(
            self.ledger, self.integration, target_id, self.default_company
        )
        return self.sessions.session(int(company))

    def find(self, record: Mapped) -> str | None:
        return str(record.natural_key["vendor_id"])

    def create(self, record: Mapped) -> str:
        raise ValueError(
            f"{self.erp} {self.erp_record} {record.source_key} is linked to no Procore vendor; the "
            f"integration adds vendors to {self.erp}, never {self.erp_record}s to Procore"
        )

    def update(self, target_id: str, record: Mapped) -> None:
        session = self._session(target_id, record)
        vendor = session.get("vendors", target_id)
        changes = vendor_differences(vendor, record.body)
        if changes:
            session.update_vendor(target_id, json.loads(json.dumps(changes)))
        self.written(self.ledger, target_id, record, self.run_id)


@contextmanager
def open_vendor_patches(procore: Any, ledger: Ledger, run_id: str | None, **words: Any) -> Iterator[Any]:
    """``ProcoreVendorPatches`` on the step's company sessions, the first company the default; ``words``:
    its ``integration``, ``erp``, ``erp_record`` and ``written``."""
    with procore.company_sessions() as sessions:
        yield ProcoreVendorPatches(sessions, ledger, run_id, first_company(procore), **words)


# -- Procore vendors read by id, each in its own company, for a flow that syncs vendors with an ERP: the
# vendors a held record waits for or a replay names (and the company of a vendor an order is held on), and
# the vendor a write reads at write time (its bank fields).


def vendors_by_id(
    procore: Any,
    ledger: Ledger,
    integration: str,
    keys: Iterable[str],
    queued: dict[str, int] | None = None,
    kept: Callable[[int], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The vendors, each in its company (the queued item's, else the one the ledger keeps, else the first),
    on one session per company: by list (``listed_vendors``), one the list does not show by id; each read
    record says its company as a staged one does. ``kept``: company -> the vendors its run read already
    (``document_reads.Kept.vendors``): those are not asked again, and those read here are kept there, so a
    pull that writes the vendors of the orders a step just mapped costs no call."""
    default = first_company(procore)
    companies = {
        key: (queued or {}).get(key) or vendor_company(ledger, integration, key, default) for key in keys
    }
    known = {
        key: dict(found)
        for key, company in companies.items()
        if kept is not None and isinstance(found := kept(company).get(key), dict)
    }
    with procore.company_sessions() as sessions:
        listed = {**listed_vendors(sessions, {k: c for k, c in companies.items() if k not in known}), **known}
        read = {
            key: listed.get(key) or sessions.session(company).get("vendors", key)
            for key, company in companies.items()
        }
    if kept is not None:
        for key, vendor in read.items():
            kept(companies[key]).setdefault(key, vendor)
    return [{**read[key], COMPANY_FIELD: company} for key, company in companies.items()]


def remember_companies(ledger: Ledger, integration: str, vendors: Iterable[dict[str, Any]]) -> None:
    """Keep each staged vendor's company in the ledger (the mark, the bank read, a write back to the vendor
    and later days find it there); a vendor staged without one is the first company's, nothing kept."""
    for vendor in vendors:
        if vendor.get(COMPANY_FIELD) is not None and vendor.get("id") is not None:
            remember_vendor_company(ledger, integration, str(vendor["id"]), int(vendor[COMPANY_FIELD]))


def record_vendor(
    procore: Any, sessions: Any, ledger: Ledger, integration: str, record: Mapped
) -> dict[str, Any]:
    """The vendor a mapped record was made from, read by id in its company (the record's, else the one the
    ledger keeps, else the first); on ``sessions`` (the step's ``CompanySessions``) when given."""
    company = record.natural_key.get(QUEUED_FIELD) or vendor_company(
        ledger, integration, record.source_key, first_company(procore)
    )
    if sessions is not None:
        return sessions.session(int(company)).get("vendors", record.source_key)
    with procore.session(int(company)) as session:
        return session.get("vendors", record.source_key)


def remember_held_vendor(
    ledger: Ledger, integration: str, vendor_hold: str, record: Mapped | Rejected, company: int
) -> None:
    """A record held on its vendor (``vendor_hold``: the vendors flow's dependency key of no vendor): the
    vendor's company is the record's, kept for the vendors flow to read the awaited vendor there."""
    depends = getattr(record, "depends_on", None) or getattr(record, "held_on", None) or ""
    if depends.startswith(vendor_hold):
        remember_vendor_company(ledger, integration, depends[len(vendor_hold) :], company)


def day_vendors(
    staging: Any, asset: AssetKey, partition: str | None, ledger: Ledger, integration: str, procore: Any,
    awaited: Iterable[str],
) -> list[dict[str, Any]]:  # fmt: skip
    """The vendors staged for the day (``asset``), each one's company kept in the ledger, then those
    ``awaited`` (held records wait for them) that the day did not stage, read by id in their company."""
    vendors = [json.loads(row["record"]) for row in staging.read_rows(asset, partition)]
    remember_companies(ledger, integration, vendors)
    seen = {str(v["id"]) for v in vendors}
    wanted = [key for key in awaited if key.isdigit() and key not in seen]
    return vendors + (vendors_by_id(procore, ledger, integration, wanted) if wanted else [])
