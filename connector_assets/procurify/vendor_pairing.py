"""Which Procurify vendor and which supplier of the other system are one pair, whichever flow made it (the
``vendor`` or the ``supplier`` xref): every flow asks one ``VendorPairing``, so both directions name the same
pair; a claimed xref with no target id yet is not one. docs/integrations/fusion_procurify.md, "Vendors paired
by name".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from connector_assets.flows.core import Mapped
from connector_resources.ledger import Ledger, Xref, dependency_key
from connector_resources.procurify.errors import SYSTEM
from connector_resources.refusals import Refusal, Refused

SUPPLIER_ENTITY = "supplier"  # the flow from the other system's suppliers to Procurify's vendors
VENDOR_ENTITY = "vendor"  # the flow from Procurify's vendors to the other system (and manual matches)
PROCURIFY = "procurify"

KeyOf = Callable[[str | int], str]


def numeric_key(value: str | int, what: str) -> str:
    """A numeric id as the ledger keys it: digits, no padding; an error naming ``what`` otherwise."""
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"{what} {value!r} is not a number")
    return str(int(text))


def vendor_id_key(vendor_id: str | int) -> str:
    """A Procurify vendor id as the ledger keys it (``numeric_key``)."""
    return numeric_key(vendor_id, "Procurify vendor id")


@dataclass(frozen=True)
class VendorPairing:
    """The pairs of Procurify vendors with ``system``'s suppliers in ``integration``'s ledger;
    ``supplier_key`` / ``vendor_key`` key them, raising on one that cannot be a key. ``vendor_xref_first``: a
    ``vendor`` xref outranks the ``supplier`` xref (Fusion: it may be an operator's manual match, the more
    deliberate word)."""

    integration: str
    system: str
    supplier_key: KeyOf
    vendor_key: KeyOf
    vendor_xref_first: bool = False

    def paired_supplier(self, ledger: Ledger, vendor_id: str | int) -> str | None:
        """The supplier key paired with Procurify vendor ``vendor_id``: the ``vendor`` xref's target, else
        the supplier whose ``supplier`` xref targets this vendor; None when the vendor has no supplier yet."""
        key = self.vendor_key(vendor_id)
        matched = self.matched_supplier(ledger, key)
        if matched is not None:
            return matched
        written = ledger.find_xref_by_target(self.integration, SUPPLIER_ENTITY, PROCURIFY, key)
        return written.source_key if written is not None else None

    def matched_supplier(self, ledger: Ledger, vendor_key: str) -> str | None:
        """The supplier key of the ``vendor`` xref of vendor ``vendor_key`` (as the ledger keys it): the
        pair the vendor-side flow or an operator made; None without one."""
        xref = ledger.get_xref(self.integration, VENDOR_ENTITY, PROCURIFY, vendor_key, self.system)
        return xref.target_id if xref is not None and xref.target_id else None

    def paired_vendor(self, ledger: Ledger, supplier: str | int) -> str | None:
        """The Procurify vendor id paired with supplier ``supplier``: the ``supplier`` xref's target and the
        vendor whose ``vendor`` xref targets this supplier, in the order ``vendor_xref_first`` says; None
        when the supplier has no vendor yet."""
        key = self.supplier_key(supplier)
        order = (self._matched_vendor, self._written_vendor)
        for found in order if self.vendor_xref_first else reversed(order):
            vendor_id = found(ledger, key)
            if vendor_id is not None:
                return vendor_id
        return None

    def manual_vendor(self, ledger: Ledger, supplier: str | int) -> str | None:
        """The Procurify vendor id matched by hand with supplier ``supplier``; None when its pair, if any,
        was made by a flow."""
        matched = self._vendor_xref(ledger, self.supplier_key(supplier))
        return matched.source_key if matched is not None and matched.manual else None

    def vendor_dependency(self, vendor_id: str | int) -> str:
        """The dependency key of Procurify vendor ``vendor_id`` in the ``vendor`` flow
        (``<integration>:vendor:procurify:<id>``): what a record waiting for that vendor's supplier names."""
        return dependency_key(self.integration, VENDOR_ENTITY, PROCURIFY, self.vendor_key(vendor_id))

    def supplier_dependency(self, supplier: str | int) -> str:
        """The dependency key of supplier ``supplier`` in the ``supplier`` flow
        (``<integration>:supplier:<system>:<key>``): what a record waiting for its vendor names."""
        return dependency_key(self.integration, SUPPLIER_ENTITY, self.system, self.supplier_key(supplier))

    def _vendor_xref(self, ledger: Ledger, key: str) -> Xref | None:
        return ledger.find_xref_by_target(self.integration, VENDOR_ENTITY, self.system, key)

    def _matched_vendor(self, ledger: Ledger, key: str) -> str | None:
        matched = self._vendor_xref(ledger, key)
        return matched.source_key if matched is not None else None

    def _written_vendor(self, ledger: Ledger, key: str) -> str | None:
        xref = ledger.get_xref(self.integration, SUPPLIER_ENTITY, self.system, key, PROCURIFY)
        return xref.target_id if xref is not None and xref.target_id else None


# -- the target of a ``vendors`` flow that pairs Procurify vendors with suppliers the other system already
# has, writing neither system (Fusion has no supplier create in our reference): the pair is the ``vendor``
# cross-reference, recorded by the flow kit's ``write_record`` like any write.


@dataclass
class LedgerPairs:
    """Pairs of ``pairing`` kept in ``ledger`` only. A record's ``natural_key[supplier_key]`` is the matched
    supplier (``SupplierId``); ``supplier_words`` names such a supplier in a refusal (``Fusion supplier``)."""

    ledger: Ledger
    pairing: VendorPairing
    supplier_words: str
    supplier_key: str

    def find(self, record: Mapped) -> str | None:
        supplier_id = str(record.natural_key[self.supplier_key])
        other = self.pairing.paired_vendor(self.ledger, supplier_id)
        if other is not None and other != record.source_key:
            said = (
                f"Procurify vendor {record.source_key} ({record.fields.get('vendor_name')}): its name "
                f"matches {self.supplier_words} {record.fields.get('supplier')} ({self.supplier_key} "
                f"{supplier_id}), which is already paired with Procurify vendor {other}; not paired twice. "
                f"Enter the right match by hand (`ml-connector xref set {record.source_key} "
                f"<{self.supplier_words} number>`), then replay"
            )
            raise Refused(
                Refusal("ambiguous", said, {"system": SYSTEM, "candidates": [other, record.source_key]})
            )
        return supplier_id

    def create(self, record: Mapped) -> str:  # never reached: ``find`` always answers
        raise RuntimeError(
            f"Procurify vendor {record.source_key}: {self.supplier_words}s are never created here"
        )

    def update(self, target_id: str, record: Mapped) -> None:
        """Nothing to write: neither system holds the pair."""


@contextmanager
def open_pairs(
    ledger: Ledger, pairing: VendorPairing, supplier_words: str, supplier_key: str
) -> Iterator[LedgerPairs]:
    yield LedgerPairs(ledger, pairing, supplier_words, supplier_key)
