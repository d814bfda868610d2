"""What mapping an order to a Procurify requisition reads from Procurify (``ProcurifyLookups``): departments
and each paired vendor's name, once per run (``reads_for_run``), by id or by list whichever costs fewer
calls; an inactive vendor or a name two active vendors share is refused (§2.4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connector_assets.flows.target_boundary import TargetBoundary
from connector_assets.procurify.account_departments import DepartmentDirectory
from connector_assets.procurify.order_fields import words
from connector_assets.procurify.vendor_pairing import SUPPLIER_ENTITY
from connector_assets.runtime.run_reads import RunReads
from connector_resources.procurify.errors import SYSTEM
from connector_resources.refusals import Refusal, master_missing

D = TypeVar("D", bound=DepartmentDirectory)


VendorName = tuple[str | None, Refusal | None]


@dataclass
class LookupsRead(Generic[D]):
    """What ``ProcurifyLookups`` read in one run: the departments, each vendor's answer, and, once read by
    list, every vendor by id (``pages``: what the list costs; ``math.inf`` when the server gives no count)."""

    departments: D | None = None
    names: dict[str, VendorName] = field(default_factory=dict)
    listed: dict[str, dict[str, Any]] | None = None
    pages: float | None = None


_RUN_READS: RunReads[LookupsRead] = RunReads(LookupsRead)


def reads_for_run(run_id: str | None) -> LookupsRead:
    """The reads the days of run ``run_id`` share (``run_reads``); a fresh one without a run (a replay)."""
    return LookupsRead() if run_id is None else _RUN_READS(run_id)


class ProcurifyLookups(Generic[D]):
    """Procurify's departments (read whole by ``read_departments``: the integration's directory on the
    session) and vendor names by id, each read once per run (``read``); a vendor as the run's ``boundary``
    says the suppliers flow left it (in a preview, one it would create or change is read as it would be)."""

    def __init__(
        self,
        session: Any,
        read_departments: Callable[[Any], D],
        boundary: TargetBoundary,
        read: LookupsRead[D] | None = None,
    ) -> None:
        self.session, self.read_departments, self.boundary = session, read_departments, boundary
        self.read: LookupsRead[D] = LookupsRead() if read is None else read

    @property
    def departments(self) -> D:
        if self.read.departments is None:
            self.read.departments = self.read_departments(self.session)
        return self.read.departments

    def read_ahead(self, vendor_ids: Iterable[str]) -> None:
        """Read every vendor by list now when ``vendor_ids`` not read yet would cost more calls by id."""
        unread = {v for v in vendor_ids if v not in self.read.names}
        if self.read.listed is not None or len(unread) < 2:
            return
        if self.read.pages is None:
            count = self.session.count("vendors")
            self.read.pages = math.inf if count is None else math.ceil(count / self.session.page_size)
        if self.read.pages < 2 * len(unread):
            self.read.listed = {str(v.get("id")): v for v in self.session.iter_all("vendors")}

    def vendor_name(self, vendor_id: str, supplier: str) -> VendorName:
        """(name, problem) of Procurify vendor ``vendor_id``, paired with ``supplier`` (``JDE supplier
        4343``): the name a requisition line takes, refused when the vendor is inactive or another active
        vendor has the same name."""
        if vendor_id not in self.read.names:
            self.read.names[vendor_id] = self._name(vendor_id, supplier)
        return self.read.names[vendor_id]

    def _name(self, vendor_id: str, supplier: str) -> VendorName:
        listed = self.read.listed if self.read.listed and vendor_id in self.read.listed else None
        if listed is not None:
            vendor = self.boundary.as_written(SUPPLIER_ENTITY, vendor_id, lambda: listed[vendor_id])
        else:
            vendor = self.boundary.as_written(
                SUPPLIER_ENTITY, vendor_id, lambda: self.session.get("vendors", vendor_id)
            )
        name = words(vendor.get("name"))
        who = f"{supplier} is Procurify vendor {vendor_id} ({name!r})"
        if vendor.get("active") is False:
            said = f"{who}, which is inactive in Procurify; reactivate it (or re-pair the supplier)"
            return None, master_missing(said, system=SYSTEM, what="active vendor", value=vendor_id)
        if listed is not None:  # as ``find_vendors(name=...)`` answers: the exact name, inactive included
            named = [v for v in listed.values() if str(v.get("name") or "") == name]
        else:
            named = self.session.find_vendors(name=name)
        same = [v for v in named if v.get("active") is not False]
        others = sorted(str(v.get("id")) for v in same if str(v.get("id")) != vendor_id)
        if others:
            said = (
                f"{who}, but active vendor(s) {', '.join(others)} have the same name; a requisition names "
                "its vendor, so Procurify cannot tell them apart: rename or deactivate the other vendor, "
                "then replay"
            )
            return None, Refusal("ambiguous", said, {"system": SYSTEM, "candidates": [vendor_id, *others]})
        return name, None
