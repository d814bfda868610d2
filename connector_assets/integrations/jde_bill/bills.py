"""JD Edwards approved purchase orders (F4301 + F4311) and vouchers (F0411) -> BILL bills (BILL has no
purchase orders): the record's schema, the flow spec, its assets and its replay. What is sent, when,
matching and currency: docs/integrations/jde_bill.md, "The flows" ("bills").
"""

from collections.abc import Iterable, Iterator
from typing import Any

from connector_assets.bill.bodies import BillColumns
from connector_assets.bill.classifications import (
    CHART_OF_ACCOUNTS_ASSET,
    DEPARTMENTS_ASSET,
    bill_classifications,
)
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.mapping_tables import build_mapping_table_asset
from connector_assets.flows.record_models import matching, record_model
from connector_assets.flows.replays import Replay
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import (
    DISTRIBUTION_TABLE,
    changed_purchase_orders,
    changed_purchase_orders_of_days,
    changed_vouchers,
    voucher_key,
    vouchers_by_key,
)
from connector_assets.jde.kept_rows import read_for_run
from connector_assets.jde.order_vouchers import (
    order_source_key,
    parse_source_key,
    purchase_orders_by_ref,
    voucher_order,
    voucher_source_key,
)
from connector_assets.jde.tables import AP_LEDGER, GL_ACCOUNTS, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.session import JdeSession
from connector_resources.refusals import refused

from .bill_keys import ENTITY
from .bill_mappers import Books
from .bill_mappings import BillPolicy, LineCoder
from .bill_plan import plan_bills, read_plan_ahead
from .bill_target import bills_target
from .integration import Own, route, settings_resources

CLASSIFICATIONS = (CHART_OF_ACCOUNTS_ASSET, DEPARTMENTS_ASSET)  # what every bill line is checked against
BillRecord = record_model(
    "BillRecord",
    "What is sent as a BILL bill (``BillColumns``: which invoice, when due, at least one line, a positive "
    "total) and whose, from which JDE document.",
    base=BillColumns,
    source_key=matching(r"^(PO|PV):[^:]*:\d+:[^:]*$"),
    supplier_number=matching(r"^\d{1,8}$"),
)


# -- the partition's bills, and a replay's -----------------------------------------------------------------


def staged_books(own: Own, staging: StagingResource, today: bool) -> Books:
    """The instance's tables as staged for the run (``today``: staged afresh from today's files, for a
    replay)."""
    tables = own.tables
    rows = {t.asset: t.restage(staging) if today else t.snapshot(staging) for t in tables}
    accounts, departments, terms = (rows[t.asset] for t in tables)
    gl = GlAccounts.load(staging)
    chart, units = (bill_classifications(staging, own.bill.key(k)) for k in CLASSIFICATIONS)
    coder = LineCoder(accounts, departments, gl, chart, units, tables)
    return Books(coder, terms, BillPolicy.of(own.it), {}, own.vendors)


def bills_flow(own: Own) -> Flow:
    """The instance's bills flow: its spec, its assets (its mapping tables and, on a BILL organization of
    its own, its classifications among them) and its replay."""

    def map_bills(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's changed orders (header or any line) and vouchers (any pay item) as BILL bills; a
        range's first day reads what every day of it needs from JDE at once (``read_bills_ahead``)."""
        staging = context.resources.staging
        books = staged_books(own, staging, today=False)
        jde, ledger = context.resources.jde, context.resources.ledger.get()
        with read_for_run(
            context, spec.name, lambda days: read_bills_ahead(staging, jde, days, books.policy)
        ):
            orders = changed_purchase_orders(staging, jde, partition)
            vouchers = changed_vouchers(staging, jde, partition)
            made = list(_once_each(plan_bills(jde, ledger, books, orders, vouchers)))
        yield from made

    def remap_bills(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named bills (``PO:...`` / ``PV:...``) read from JDE again and mapped with today's tables
        (they are staged afresh first, so a fixed table takes effect)."""
        yield from remapped_bills(context, keys, staged_books(own, context.resources.staging, today=True))

    target = bills_target(own.instance)
    # Beside the staged tables (upstream), F0911 (distribution), F0401 (terms) and F0411 by order are read.
    spec = route(own.it).flow(
        "bills",
        ENTITY,
        BillRecord,
        map_bills,
        remap_bills,
        target,
        reads={"JDE": (DISTRIBUTION_TABLE, SUPPLIERS.table)},
    )
    assets = [
        *(build_mapping_table_asset(table, group=own.instance) for table in own.tables),
        *own.bill.assets(*CLASSIFICATIONS),  # its own BILL organization's, if it reaches one
        *build_flow_assets(
            spec,
            partitions_def=jde_partitions,
            # After the vendors' write: in one run, a bill's vendor is synced before the bill is mapped.
            upstream=[
                PO_HEADERS.asset,
                PO_LINES.asset,
                AP_LEDGER.asset,
                GL_ACCOUNTS.asset,
                *map(own.bill.key, CLASSIFICATIONS),
                *(table.asset for table in own.tables),
                own.vendors.key("written"),
            ],
            parents=[own.vendors],  # a vendor unchanged since before the first day is pulled by the write
        ),
    ]
    return Flow(spec, assets, replay=Replay(target.for_replay, settings_resources(own.it)))


def read_bills_ahead(
    staging: StagingResource, jde: SessionSource[JdeSession], days: list[str | None], policy: BillPolicy
) -> None:
    """What ``map_bills`` reads from JDE for each of ``days``, read at once: their orders and vouchers, and
    what the voucher-on-order rule reads for them (``bill_plan.read_plan_ahead``)."""
    orders = changed_purchase_orders_of_days(staging, jde, days)
    keys = {voucher_key(row) for day in days for row in staging.read_rows(AP_LEDGER.asset, day)}
    read_plan_ahead(jde, policy, orders, vouchers_by_key(jde, keys))


def remapped_bills(context: Any, keys: list[str], books: Books) -> Iterator[Mapped | Rejected]:
    """The named bills (``PO:...`` / ``PV:...``) read from JDE again and mapped with ``books``."""
    jde, ledger = context.resources.jde, context.resources.ledger.get()
    parsed = [p for p in (parse_source_key(k) for k in keys) if p]
    orders = purchase_orders_by_ref(jde, {(p[1], p[2], p[3]) for p in parsed if p[0] == "PO"})
    vouchers = vouchers_by_key(jde, {(p[1], p[2], p[3]) for p in parsed if p[0] == "PV"})
    made = list(_once_each(plan_bills(jde, ledger, books, orders, vouchers)))
    yield from made
    named = {record.source_key for record in made}
    for voucher in vouchers:
        own = voucher_source_key(voucher.key)
        ref = voucher_order(voucher)
        if own in keys and own not in named and ref is not None and order_source_key(ref) in named:
            said = (
                f"voucher {voucher.label} is now the first voucher on purchase order "
                f"{ref[0]}/{ref[1]}/{ref[2]}: "
                f"it is written as that order's bill ({order_source_key(ref)}), not as a bill of its own; "
                "abandon this item"
            )
            yield Rejected.of(own, refused(said, rule="written as its order's bill"))


def _once_each(records: Iterable[Mapped | Rejected]) -> Iterator[Mapped | Rejected]:
    seen: set[str] = set()
    for record in records:
        if record.source_key not in seen:
            seen.add(record.source_key)
            yield record
