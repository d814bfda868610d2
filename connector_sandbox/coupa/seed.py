"""Seeds the simulated instance: deterministic for (seed, scale, anchor date), bounded in memory.

Master data (suppliers, accounts, lookups) grows with the square root of scales above 1 (a large
customer has thousands of suppliers, not millions); purchase orders, invoices and payments grow
linearly. Each PO is generated together with the invoices matched to it, then both are written in
chunks, so nothing proportional to the data volume is held in Python.

A quarter of the transactional records carry shared ``updated-at`` stamps (15 % one mass update three
weeks before the anchor, 10 % a dozen nightly jobs), so ``updated_at[gt]`` cursors meet long runs of
identical values that span many 50-record pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from decimal import Decimal
from typing import Any

from connector_sandbox import seeding
from connector_sandbox.seeding import SeedReport, seed_kept_anchored

from .factory import DataFactory, Ids, Masters, SupplierRef, load_masters, money
from .schema import RESOURCES
from .settings import CoupaSandboxSettings
from .store import Store
from .timefmt import utc_stamp
from .vocabulary import MAX_LENGTH_SUPPLIERS, SIGNATURE_SUPPLIERS

log = logging.getLogger("connector_sandbox.coupa.seed")
_CHUNK = 2_000
_HISTORY_DAYS = 365
_SEED_FORMAT = 2  # bump when generated data changes: a kept db_path of another format is refused


SeedPlan = seeding.seed_plan(
    suppliers=seeding.master_data(400, at_least=len(SIGNATURE_SUPPLIERS) + len(MAX_LENGTH_SUPPLIERS) + 10),
    accounts_per_chart=seeding.master_data(60, at_least=12, at_most=80),
    projects=seeding.master_data(30, at_least=5),
    purchase_orders=seeding.transactions(1500, at_least=30),
    unmatched_invoices=seeding.transactions(900, at_least=20),
)


def shared_stamps(anchor: dt.date) -> list[dt.datetime]:
    """The mass-update stamp first, then twelve nightly job stamps (02:00 UTC = evening in the US)."""
    base = dt.datetime.combine(anchor, dt.time(2, 0), dt.UTC)
    return [base - dt.timedelta(days=21)] + [base - dt.timedelta(days=days) for days in range(1, 13)]


def seed(store: Store, settings: CoupaSandboxSettings, *, force: bool = False) -> SeedReport:
    """Fill ``store`` unless it already holds what this (seed, scale) produces (``seed_kept``: a kept file
    is reused on any later day, the records written since included); ``force`` (a reset) seeds anew."""
    if force:
        store.clear()
    return seed_kept_anchored(store, settings, _SEED_FORMAT, _fill, log=log)


def _fill(store: Store, settings: CoupaSandboxSettings, anchor: dt.date) -> None:
    _Seeder(store, settings, anchor).run()


class _Seeder:
    def __init__(self, store: Store, settings: CoupaSandboxSettings, anchor: dt.date) -> None:
        self.store = store
        self.plan = SeedPlan.for_scale(settings.scale)
        self.rng = random.Random(settings.seed)
        self.ids = Ids()
        self.factory = DataFactory(self.rng, self.ids, anchor)
        self.anchor = anchor
        self.end = dt.datetime.combine(anchor, dt.time(), dt.UTC) - dt.timedelta(hours=1)
        self.start = self.end - dt.timedelta(days=_HISTORY_DAYS)
        self.shared = shared_stamps(anchor)
        self.pending: dict[str, list[dict[str, Any]]] = {key: [] for key in RESOURCES}

    def _moment(self, index: int, count: int) -> dt.datetime:
        """Creation times rise with ids, as Coupa ids do; several records share a second."""
        span = (self.end - self.start).total_seconds()
        offset = (index + self.rng.random()) * span / max(count, 1)
        return self.start + dt.timedelta(seconds=int(offset))

    def _add(self, key: str, doc: dict[str, Any]) -> None:
        pending = self.pending[key]
        pending.append(doc)
        if len(pending) >= _CHUNK:
            self._flush(key)

    def _flush(self, key: str) -> None:
        if self.pending[key]:
            with self.store.transaction():
                self.store.insert_many(RESOURCES[key], self.pending[key])
            self.pending[key] = []

    def run(self) -> None:
        master_stamp = utc_stamp(self.start - dt.timedelta(days=760))
        factory = self.factory
        currencies = factory.currencies(master_stamp)
        terms = factory.payment_terms(master_stamp)
        currency_ids = {doc["code"]: doc["id"] for doc in currencies}
        account_types = factory.account_types(master_stamp, currency_ids)
        with self.store.transaction():
            self.store.insert_many(RESOURCES["currencies"], currencies)
            self.store.insert_many(RESOURCES["payment_terms"], terms)
            self.store.insert_many(RESOURCES["account_types"], account_types)
            self.store.insert_many(RESOURCES["lookups"], factory.lookups(master_stamp))
            self.store.insert_many(
                RESOURCES["lookup_values"], factory.lookup_values(master_stamp, self.plan.projects)
            )
            self.store.insert_many(
                RESOURCES["accounts"],
                factory.accounts(
                    master_stamp, [doc["id"] for doc in account_types], self.plan.accounts_per_chart
                ),
            )
            self.store.insert_many(RESOURCES["departments"], factory.departments(master_stamp))
        for key, docs in (
            ("currencies", currencies),
            ("payment_terms", terms),
            ("account_types", account_types),
        ):
            self.ids.next[key] = max(doc["id"] for doc in docs) + 1
        self.ids.next["lookups"] = 3
        self.ids.next["departments"] = 13
        self._suppliers(len(terms))
        factory.masters = load_masters(self.store)
        self._transactions(factory.masters)
        for key in self.pending:
            self._flush(key)
        with self.store.transaction():
            self.ids.flush(self.store)

    def _suppliers(self, term_count: int) -> None:
        taken: set[str] = set()
        count = self.plan.suppliers
        # Suppliers were onboarded during the two years before the history starts, so every document
        # refers to a supplier that already existed; their updates still fall inside the history.
        for index in range(count):
            created = (
                self.start
                - dt.timedelta(days=730)
                + dt.timedelta(seconds=int((index + self.rng.random()) * (730 * 86_400) / count))
            )
            updated = self.factory.updated_after(created, self.shared)
            self._add("suppliers", self.factory.supplier(index, created, updated, taken, term_count))
        self._flush("suppliers")

    def _transactions(self, masters: Masters) -> None:
        usable = [s for s in masters.suppliers if s.status == "active"] or masters.suppliers
        count = self.plan.purchase_orders
        for index in range(count):
            supplier = self.rng.choice(usable)
            created = self._moment(index, count)
            order = self.factory.purchase_order(
                supplier, created, self.factory.updated_after(created, self.shared)
            )
            if order["status"] in ("issued", "closed", "soft_closed"):
                matches = self.rng.choices((0, 1, 2), (25, 65, 10))[0]
                for _ in range(matches):
                    self._invoice(supplier, created, order)
            self._add("purchase_orders", order)
        count = self.plan.unmatched_invoices
        for index in range(count):
            self._invoice(self.rng.choice(usable), self._moment(index, count), None)

    def _invoice(self, supplier: SupplierRef, after: dt.datetime, order: dict[str, Any] | None) -> None:
        created = after + dt.timedelta(seconds=self.rng.randint(3600, 40 * 86_400))
        if created >= self.end:
            created = after
        invoice = self.factory.invoice(
            supplier, created, self.factory.updated_after(created, self.shared), order=order
        )
        if order is not None:
            # Keep the PO's invoiced amounts consistent with the invoices matched to it.
            by_line = {line["id"]: line for line in order["order-lines"]}
            for line in invoice["invoice-lines"]:
                source = by_line.get(line["order-line-id"])
                if source is not None:
                    source["invoiced"] = money(Decimal(source["invoiced"]) + Decimal(line["total"]))
            order["invoice-total"] = money(Decimal(order["invoice-total"]) + Decimal(invoice["gross-total"]))
        if (
            invoice["status"] == "approved"
            and not invoice["paid"]
            and not invoice["is-credit-note"]
            and self.rng.random() < 0.3
        ):
            invoice["payment-channel"] = "coupa_pay"
            paid_at = min(created + dt.timedelta(days=self.rng.randint(5, 40)), self.end)
            self._add(
                "payments",
                self.factory.coupa_payment(
                    [invoice], paid_at, self.factory.updated_after(paid_at, self.shared)
                ),
            )
        self._add("invoices", invoice)
