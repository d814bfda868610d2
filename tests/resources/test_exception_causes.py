"""What a cause holds (``exception_causes``): a refused parent that no missing row explains is its own
exception with the records waiting on it; a record missing two rows is held by both causes, counted once
in each; a record waiting on one that itself waits belongs to no cause (it waits with that record). The
SQL form the desk's pages read (``cause_sql``) selects exactly the records the causes hold."""

from __future__ import annotations

import sqlalchemy as sa

from connector_resources import cause_sql
from connector_resources.exception_causes import by_kind, exception_causes, scope_of
from connector_resources.ledger import schema
from connector_resources.refusals import mapping_missing, target_refused, waits_for_record

SUPPLIER = "jde_coupa:supplier:JDE:4472"
ORDER = "jde_coupa:purchase order:JDE:PO-1"


def _held(ledger, flow: str, entity: str, key: str, on: str):
    why = f"{entity} {key} waits for {on} to sync"
    return ledger.enqueue(
        integration="jde_coupa", flow=flow, entity=entity, source_key=key, payload={}, reason=why,
        status="held", depends_on=on, refusal=waits_for_record(why, on),
    )  # fmt: skip


def _refused_parent(ledger):
    """Supplier 4472 refused by Coupa, an order and an invoice held on it, a receipt held on the order."""
    said = "supplier 4472: Coupa answered 422 (tax id taken)"
    supplier = ledger.enqueue(
        integration="jde_coupa", flow="suppliers", entity="supplier", source_key="4472", payload={},
        reason=said, refusal=target_refused(said, system="Coupa", code="422"),
    )  # fmt: skip
    order = _held(ledger, "purchase_orders", "purchase order", "PO-1", SUPPLIER)
    invoice = _held(ledger, "invoices", "invoice", "INV-1", SUPPLIER)
    _held(ledger, "receipts", "receipt", "R-1", ORDER)  # waits on the order, which waits itself
    return supplier, order, invoice


def test_a_refused_parent_holds_itself_and_what_waits_on_it_and_a_chain_waits_with_its_link(ledger):
    supplier, order, invoice = _refused_parent(ledger)
    [cause] = exception_causes(ledger)
    assert cause.parent == supplier and cause.kind == supplier.kind
    assert [i.id for i in cause.held] == [supplier.id, order.id, invoice.id]
    assert cause.said() == (
        "supplier 4472 (The target refused the record: Coupa, 422): 3 records (1 supplier refused, "
        "2 invoices and purchase orders waiting on it)"
    )
    assert cause.touches("jde_coupa", "invoices") and not cause.touches("jde_coupa", "receipts")


def _two_rows_missing(ledger) -> None:
    """Order PO-1 misses accounts 6100 and 6200, order PO-2 account 6100."""
    table = "jde_coupa/account_map"
    for key, values in (("PO-1", ["6100", "6200"]), ("PO-2", "6100")):
        said = f"order {key}: accounts {values} have no row"
        ledger.enqueue(
            integration="jde_coupa", flow="purchase_orders", entity="purchase order", source_key=key,
            payload={}, reason=said, refusal=mapping_missing(said, table=table, what="account", value=values),
        )  # fmt: skip


def test_a_record_missing_two_rows_is_held_by_both_and_counted_once_by_kind(ledger):
    _two_rows_missing(ledger)
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


def _agree(ledger) -> None:
    """The open records the SQL form selects are exactly those the causes hold."""
    causes = exception_causes(ledger)
    t = schema.retry_queue
    with ledger.engine.connect() as conn:
        chosen = set(conn.scalars(sa.select(t.c.id).where(scope_of(causes).sql(t))))
        left = set(conn.scalars(sa.select(t.c.id).where(sa.not_(scope_of(causes).sql(t)))))
    assert chosen == set().union(*(c.ids for c in causes))
    assert chosen | left == set(conn_ids(ledger))  # never NULL: each record on one side


def conn_ids(ledger) -> list[int]:
    t = schema.retry_queue
    with ledger.engine.connect() as conn:
        return list(conn.scalars(sa.select(t.c.id)))


def test_the_sql_form_selects_what_the_causes_hold(ledger):
    assert cause_sql.OPEN == schema.QUEUE_OPEN_STATUSES
    _refused_parent(ledger)
    _two_rows_missing(ledger)
    said = "order PO-3: a row with no value"
    ledger.enqueue(
        integration="jde_coupa", flow="purchase_orders", entity="purchase order", source_key="PO-3",
        payload={}, reason=said, refusal=mapping_missing(said, table="jde_coupa/account_map", what="account",
                                                         value=""),
    )  # fmt: skip
    ledger.enqueue(
        integration="jde_coupa", flow="x", entity="x", source_key="K", payload={}, reason="no kind"
    )
    _held(
        ledger, "purchase_orders", "purchase order", "PO-9", "jde_coupa:supplier:JDE:9999"
    )  # nobody refused
    _agree(ledger)
