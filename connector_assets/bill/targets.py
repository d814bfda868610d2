"""BILL write targets: vendors here, bills in ``ledger_bills``; each found in BILL before any create (the
cross-reference first, in the kit), so a crashed attempt's record is adopted, never doubled (BILL has no
idempotency keys, quirk 8).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.flows.targets import SessionTarget
from connector_resources.refusals import Refusal

# The parts of BILL's vendor ``address``: an update names them all, so none the source dropped stays.
ADDRESS_KEYS = ("line1", "line2", "city", "stateOrProvince", "zipOrPostalCode", "country")


def comparable_name(value: object) -> str:
    """A vendor name as BILL's vendors are matched and reconciled: spacing and case do not count."""
    return " ".join(str(value or "").split()).casefold()


def comparable_tax_id(value: object) -> str:
    """A tax ID as matched and reconciled: only its letters and digits count (``12-345`` is ``12345``)."""
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def _tax_of(vendor: Mapping[str, object]) -> str:
    info = vendor.get("additionalInfo")
    return comparable_tax_id(info.get("taxId")) if isinstance(info, dict) else ""


@dataclass
class VendorIndex:
    """BILL's live vendors by normalised tax ID and name (names compare case- and space-insensitively, tax
    IDs on letters and digits: ``12-3456789`` = ``123456789``), oldest first."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_tax: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, vendors: Iterable[dict[str, Any]]) -> "VendorIndex":
        index = cls()
        for vendor in vendors:
            index.add(vendor)
        return index

    def add(self, vendor: dict[str, Any]) -> None:
        """Index ``vendor`` (replacing what was known of it); an archived one is dropped."""
        vendor_id = str(vendor["id"])
        old = self.by_id.pop(vendor_id, None)
        if old is not None:
            for bucket in (
                self.by_tax.get(_tax_of(old), []),
                self.by_name.get(comparable_name(old.get("name")), []),
            ):
                bucket[:] = [v for v in bucket if str(v["id"]) != vendor_id]
        if vendor.get("archived") is True:
            return
        self.by_id[vendor_id] = vendor
        for bucket_map, key in (
            (self.by_tax, _tax_of(vendor)),
            (self.by_name, comparable_name(vendor.get("name"))),
        ):
            if key:
                bucket = bucket_map.setdefault(key, [])
                bucket.append(vendor)
                bucket.sort(key=lambda v: (str(v.get("createdTime") or ""), str(v["id"])))

    def match(self, name: str, tax_id: str | None) -> str | None:
        """The vendor to adopt for a supplier of this name and tax ID: one with the same tax ID (the one of
        the same name first: a renamed vendor is still found), else one of the same name without a tax ID;
        never one whose tax ID differs (another business of the same name)."""
        tax, wanted = comparable_tax_id(tax_id), comparable_name(name)
        if tax:
            same_tax = self.by_tax.get(tax, [])
            named = [v for v in same_tax if comparable_name(v.get("name")) == wanted]
            if named or same_tax:
                return str((named or same_tax)[0]["id"])
        untaxed = [v for v in self.by_name.get(wanted, []) if not _tax_of(v)]
        return str(untaxed[0]["id"]) if untaxed else None


class BillVendors(SessionTarget):
    """Vendors in BILL: finds through one listing of BILL's vendors per session
    (``VendorIndex``), creates and updates through the client."""

    resource = "bill"
    writes = ("vendors",)

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._index: VendorIndex | None = None

    @property
    def index(self) -> VendorIndex:
        """BILL's vendors, listed on first use (a run whose records are all known lists nothing). Under the
        target's lock: the write step's workers (``write_concurrency``) share this target, and one listing
        serves them all."""
        with self.lock:
            if self._index is None:
                self._index = VendorIndex.of(self.session.iter_records("vendors"))
            return self._index

    def find(self, record: Mapped) -> str | None:
        index = self.index
        with self.lock:  # a worker's create may be adding to the index meanwhile
            return index.match(record.natural_key["name"], record.natural_key["tax_id"])

    def create(self, record: Mapped) -> str:
        created = self.session.create_vendor(record.body)
        with self.lock:
            if self._index is not None:
                self._index.add(created)
        return str(created["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        """PATCH: address parts the source no longer has are sent empty, so BILL keeps none of them. BILL's
        vendor model types every address part as a string (no null; how a part is cleared is not
        documented): an empty string, except the country, an ISO code, which is left as it is."""
        changes = dict(record.body)
        if "address" in changes:
            given = changes["address"]
            changes["address"] = {
                key: given.get(key) or "" for key in ADDRESS_KEYS if given.get(key) or key != "country"
            }
        updated = self.session.update_vendor(target_id, changes)
        with self.lock:
            if self._index is not None:
                self._index.add(updated)


class BillAlreadyPaid(RuntimeError):
    """BILL has paid (or scheduled) the bill: it is not rewritten from the source system; a person decides
    (its ``refusal``: a ``conflict`` in BILL, kept by the writer as data)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.refusal = Refusal("conflict", sentence, {"system": "bill"})
