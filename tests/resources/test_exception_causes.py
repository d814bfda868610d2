"""What a cause holds (``exception_causes``): a refused parent that no missing row explains is its own
exception with the records waiting on it; a record missing two rows is held by both causes, counted once
in each; a record waiting on one that itself waits belongs to no cause (it waits with that record)."""

from __future__ import annotations

from connector_resources.exception_causes import by_kind, exception_causes
from connector_resources.refusals import mapping_missing, target_refused, waits_for_record

SUPPLIER = "jde_coupa:supplier:JDE:4472"
ORDER = "jde_coupa:purchase order:JDE:PO-1"


def _held(ledger, flow: str, entity: str, key: str, on: str):
    why = f"{entity} {key} waits for {on} to sync"
    return ledger.enqueue(
        integration="jde_coupa", flow=flow, entity=entity, source_key=key, payload={}, reason=why,
        status="held", depends_on=on, refusal=waits_for_record(why, on),
    )  # fmt: skip


def test_a_refused_parent_holds_itself_and_what_waits_on_it_and_a_chain_waits_with_its_link(ledger):
    said = "supplier 4472: Coupa answered 422 (tax id taken)"
    supplier = ledger.enqueue(
        integration="jde_coupa", flow="suppliers", entity="supplier", source_key="4472", payload={},
        reason=said, refusal=target_refused(said, system="Coupa", code="422"),
    )  # fmt: skip
    order = _held(ledger, "purchase_orders", "purchase order", "PO-1", SUPPLIER)
    invoice = _held(ledger, "invoices", "invoice", "INV-1", SUPPLIER)
    _held(ledger, "receipts", "receipt", "R-1", ORDER)  # waits on the order, which waits itself
    [cause] = exception_causes(ledger)
    assert cause.parent == supplier and cause.kind == supplier.kind
    assert [i.id for i in cause.held] == [supplier.id, order.id, invoice.id]
    assert cause.said() == (
        "supplier 4472 (The target refused the record: Coupa, 422): 3 records (1 supplier refused, "
        "2 invoices and purchase orders waiting on it)"
    )
    assert cause.touches("jde_coupa", "invoices") and not cause.touches("jde_coupa", "receipts")


def test_a_record_missing_two_rows_is_held_by_both_and_counted_once_by_kind(ledger):
    table = "jde_coupa/account_map"
    for key, values in (("PO-1", ["6100", "6200"]), ("PO-2", "6100")):
        said = f"order {key}: accounts {values} have no row"
        ledger.enqueue(
            integration="jde_coupa", flow="purchase_orders", entity="purchase order", source_key=key,
            payload={}, reason=said, refusal=mapping_missing(said, table=table, what="account", value=values),
        )  # fmt: skip
    causes = exception_causes(ledger)
    assert [(c.gap.value, sorted(i.source_key for i in c.held)) for c in causes] == [
        ("6100", ["PO-1", "PO-2"]),
        ("6200", ["PO-1"]),
    ]
    every = frozenset().union(*(c.ids for c in causes))
    assert by_kind(causes, [("refused · other", 1)], every) == [
        (causes[0].kind, 2),  # two records, not three
        ("refused · other", 1),
    ]
