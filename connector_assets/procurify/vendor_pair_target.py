"""The target of a ``vendors`` flow that pairs Procurify vendors with suppliers the other system already
has, writing neither system (Oracle Fusion <-> Procurify: Fusion has no supplier create in our reference):
the pair is the ``vendor`` cross-reference, recorded by the flow kit's ``write_record`` like any write.
``find`` answers the matched supplier, refusing one the ledger pairs with another vendor (a supplier has
one vendor); ``update`` has nothing to send.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from connector_assets.flows.core import Mapped
from connector_assets.procurify.vendor_pairing import VendorPairing
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import SYSTEM
from connector_resources.refusals import Refusal, Refused


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
