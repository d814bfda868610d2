"""One missing mapping row and the records it holds, staged in a ledger: payment terms N45 missing from
``jde_coupa/payment_terms_map``, so suppliers 1870 and 1871 are refused for it, three orders and an invoice
wait on them, and one order waits on a supplier nobody refused (it clears by itself). The desk's tests of
one exception per cause share it: its browser journey and the check that every surface counts it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector_resources.ledger import Ledger, QueueItem
from connector_resources.refusals import mapping_missing, waits_for_record

TERMS = "jde_coupa/payment_terms_map"
SUPPLIER = "jde_coupa:supplier:JDE:1870"
HELD = 6  # what the N45 exception holds: two suppliers and the four records waiting on them


@dataclass(frozen=True)
class OneCause:
    suppliers: list[QueueItem]  # refused for N45
    children: list[QueueItem]  # held on them
    other: QueueItem  # held on a supplier nobody refused

    @property
    def held(self) -> list[QueueItem]:
        return [*self.suppliers, *self.children]


def held_on(ledger: Ledger, flow: str, entity: str, key: str, supplier: str) -> QueueItem:
    """``entity`` ``key`` of jde_coupa's ``flow`` held until ``supplier`` (a dependency key) syncs."""
    waits = f"{entity} {key}: waits for {supplier} to sync"
    return ledger.enqueue(
        integration="jde_coupa", flow=flow, entity=entity, source_key=key, payload={}, reason=waits,
        status="held", depends_on=supplier, refusal=waits_for_record(waits, supplier),
    )  # fmt: skip


def refused_for_n45(ledger: Ledger, an8: str) -> QueueItem:
    """Supplier ``an8`` refused by jde_coupa's suppliers flow: its payment terms N45 have no row."""
    terms = f"supplier {an8}: payment terms N45 have no Coupa payment term"
    return ledger.enqueue(
        integration="jde_coupa", flow="suppliers", entity="supplier", source_key=an8, payload={},
        reason=terms, refusal=mapping_missing(terms, table=TERMS, what="payment terms", value="N45"),
    )  # fmt: skip


def n45_missing(ledger: Ledger) -> OneCause:
    """The module docstring's queue, in ``ledger``."""
    suppliers = [refused_for_n45(ledger, "1870"), refused_for_n45(ledger, "1871")]
    children = [
        held_on(ledger, "purchase_orders", "purchase order", "7", SUPPLIER),
        held_on(ledger, "purchase_orders", "purchase order", "8", SUPPLIER),
        held_on(ledger, "invoices", "invoice", "9", SUPPLIER),
        held_on(ledger, "purchase_orders", "purchase order", "11", "jde_coupa:supplier:JDE:1871"),
    ]
    other = held_on(ledger, "purchase_orders", "purchase order", "10", "jde_coupa:supplier:JDE:2000")
    return OneCause(suppliers, children, other)
