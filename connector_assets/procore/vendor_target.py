"""The Procore vendor as a write target: an ERP record's changes patched onto the vendor it is linked to.

The vendor is found by the link the ledger holds (the mapped record's ``vendor_id``), patched with only
what differs from what it holds (``vendor_differences``: an unchanged vendor is not written, so nothing
echoes back to the ERP), never created, and read and written in its own company (the record's
``procore_company_id``, else the company the ledger keeps for the vendor, else the first).
The integration says what its ERP's record is called (``erp`` / ``erp_record``) and what a write also
records (``written``, e.g. the pair's sync time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.procore.companies import QUEUED_FIELD, first_company, vendor_company
from connector_resources.ledger import Ledger


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def vendor_differences(vendor: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``changes`` the vendor does not hold already (names and text compared on their words),
    so a PATCH sends only real changes and an unchanged vendor is not touched (no echo back)."""
    return {k: v for k, v in changes.items() if _text(vendor.get(k)) != _text(v)}


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
