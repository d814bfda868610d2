"""What mapping an order to a Procurify requisition reads from Procurify, once per run (``ProcurifyLookups``):
its departments, and the name of each paired vendor. A requisition is created by names (reference §2.4:
``location_name`` / ``department_name``, each line's ``vendor_name``), so a vendor that is inactive, or
whose name another active vendor shares, cannot be named on it: Procurify would refuse the line or pick
either vendor. Used by JD Edwards -> Procurify ``purchase_orders`` (``order_records``), which names the
supplier paired with each vendor in its own words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from connector_assets.flows.target_boundary import TargetBoundary
from connector_assets.procurify.account_departments import DepartmentDirectory
from connector_assets.procurify.order_fields import words
from connector_assets.procurify.vendor_pairing import SUPPLIER_ENTITY
from connector_resources.procurify.errors import SYSTEM
from connector_resources.refusals import Refusal, master_missing

D = TypeVar("D", bound=DepartmentDirectory)


class ProcurifyLookups(Generic[D]):
    """Procurify's departments (read whole by ``read_departments``: the integration's directory on the
    session) and vendor names by id, each read once per run; a vendor as the run's ``boundary`` says the
    suppliers flow left it (in a preview, one it would create or change is read as it would be)."""

    def __init__(self, session: Any, read_departments: Callable[[Any], D], boundary: TargetBoundary) -> None:
        self.session, self.read_departments, self.boundary = session, read_departments, boundary
        self._departments: D | None = None
        self._vendors: dict[str, tuple[str | None, str | None]] = {}

    @property
    def departments(self) -> D:
        if self._departments is None:
            self._departments = self.read_departments(self.session)
        return self._departments

    def vendor_name(self, vendor_id: str, supplier: str) -> tuple[str | None, Refusal | None]:
        """(name, problem) of Procurify vendor ``vendor_id``, paired with ``supplier`` (``JDE supplier
        4343``): the name a requisition line takes, refused when the vendor is inactive or another active
        vendor has the same name."""
        if vendor_id not in self._vendors:
            self._vendors[vendor_id] = self._name(vendor_id, supplier)
        return self._vendors[vendor_id]

    def _name(self, vendor_id: str, supplier: str) -> tuple[str | None, Refusal | None]:
        vendor = self.boundary.as_written(
            SUPPLIER_ENTITY, vendor_id, lambda: self.session.get("vendors", vendor_id)
        )
        name = words(vendor.get("name"))
        who = f"{supplier} is Procurify vendor {vendor_id} ({name!r})"
        if vendor.get("active") is False:
            said = f"{who}, which is inactive in Procurify; reactivate it (or re-pair the supplier)"
            return None, master_missing(said, system=SYSTEM, what="active vendor", value=vendor_id)
        same = [v for v in self.session.find_vendors(name=name) if v.get("active") is not False]
        others = sorted(str(v.get("id")) for v in same if str(v.get("id")) != vendor_id)
        if others:
            said = (
                f"{who}, but active vendor(s) {', '.join(others)} have the same name; a requisition names "
                "its vendor, so Procurify cannot tell them apart: rename or deactivate the other vendor, "
                "then replay"
            )
            return None, Refusal("ambiguous", said, {"system": SYSTEM, "candidates": [vendor_id, *others]})
        return name, None
