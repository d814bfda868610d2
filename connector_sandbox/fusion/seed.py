"""Seeds the sandbox pod: deterministic for a (seed, scale, anchor date), bounded in memory.

Scale 1 gives hundreds of suppliers and thousands of purchase orders, invoices and payments. Master
data (suppliers) grows with the square root of larger scales, as a big company has tens of
thousands of suppliers, not millions; transactions grow linearly. Rows are built and inserted in
chunks, and each purchase order's invoices and payments are made right after it, so Python memory
stays bounded by the chunk, not the table.

Timestamps spread over a year before the anchor date, and on purpose collide: about 15 % of every
table shares one ``LastUpdateDate`` (a mass update three weeks before the anchor) and another 10 %
one of a dozen nightly stamps at 18:00:00.000, so "updated since" cursors and offset paging meet
long runs of identical values.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from connector_sandbox import seeding
from connector_sandbox.seeding import SeedReport, seed_kept_anchored

from .factory import Batch, Factory, Stamp
from .keys import KeyCodec
from .periods import open_calendar
from .settings import FusionSandboxSettings
from .store import Store
from .vocabulary import (
    BUSINESS_UNITS,
    COST_CENTERS,
    INTERCOMPANY,
    MAX_LENGTH_SUPPLIERS,
    NAME_HEADS,
    NAME_TAILS,
    NATURAL_ACCOUNTS,
    PROCURIFY_VENDOR_NAME_MAX,
    SIGNATURE_SUPPLIERS,
)

log = logging.getLogger("connector_sandbox.fusion.seed")
_FLUSH_AT = 5_000
HISTORY_DAYS = 365
SEED_USER = "FIN_IMPL"


SeedPlan = seeding.seed_plan(
    suppliers=seeding.master_data(400, at_least=len(SIGNATURE_SUPPLIERS) + len(MAX_LENGTH_SUPPLIERS) + 8),
    purchase_orders=seeding.transactions(2000, at_least=30),
    invoices=seeding.transactions(2500, at_least=40),
    requisitions=seeding.transactions(600, at_least=10),
)


class Timeline:
    """Creation / update moments over the history, with the deliberate collisions."""

    def __init__(self, rng: random.Random, anchor: dt.date) -> None:
        self.rng = rng
        self.end = dt.datetime.combine(anchor, dt.time(0), dt.UTC) - dt.timedelta(seconds=1)
        self.start = self.end - dt.timedelta(days=HISTORY_DAYS)
        self.mass_update = dt.datetime.combine(anchor - dt.timedelta(days=21), dt.time(2, 0), dt.UTC)
        self.nightly = [
            dt.datetime.combine(anchor - dt.timedelta(days=days), dt.time(18, 0), dt.UTC)
            for days in range(2, 14)
        ]

    def stamp(self, after: dt.datetime | None = None) -> Stamp:
        low = max(self.start, after) if after else self.start
        span = max(1.0, (self.end - low).total_seconds())
        created = low + dt.timedelta(
            seconds=self.rng.uniform(0, span), microseconds=self.rng.randrange(1000) * 1000
        )
        created = created.replace(microsecond=(created.microsecond // 1000) * 1000)
        updated = min(self.end, created + dt.timedelta(days=self.rng.uniform(0, 30)))
        updated = updated.replace(microsecond=(updated.microsecond // 1000) * 1000)
        roll = self.rng.random()
        if roll < 0.15 and self.mass_update >= created:
            updated = self.mass_update
        elif roll < 0.25:
            night = self.rng.choice(self.nightly)
            if night >= created:
                updated = night
        return Stamp(created, max(created, updated))


# Bumped when the seeded tables change: a kept file of another layout is refused (``seed_kept``).
# 2: Payables amounts stored with 3 decimals; 3: the accounting periods seeded once and kept (a file of 2
# had them rebuilt around the day at every start).
SEED_LAYOUT = 3


def seed(store: Store, settings: FusionSandboxSettings) -> SeedReport:
    """The pod's data, unless ``store`` is a kept file already seeded so (``seed_kept``)."""
    return seed_kept_anchored(store, settings, SEED_LAYOUT, _fill, log=log)


def _fill(store: Store, settings: FusionSandboxSettings, anchor: dt.date) -> None:
    plan = SeedPlan.for_scale(settings.scale)
    rng = random.Random(settings.seed)
    factory = Factory(store, rng, SEED_USER)
    timeline = Timeline(rng, anchor)
    _seed_chart_of_accounts(store, factory, anchor)
    _seed_suppliers(store, factory, timeline, plan, settings.planted_faults)
    _seed_transactions(store, factory, timeline, plan)
    # The calendar opens the month of the pod's today (its clock at a first start is UTC's), not the
    # anchor's: the day's writes land in an Open period. Seeded once: later only people move it.
    open_calendar(store, KeyCodec.of_seed(settings.seed), settings.periods, dt.datetime.now(dt.UTC).date())
    factory.save_counters()
    store.create_indexes()


def _seed_chart_of_accounts(store: Store, factory: Factory, anchor: dt.date) -> None:
    """Every company x cost center x natural account, with disabled, end-dated and summary ones."""
    batch = Batch()
    start = dt.date(anchor.year - 5, 1, 1)
    for unit in BUSINESS_UNITS:
        for center, _ in COST_CENTERS:
            for account, kind, _ in NATURAL_ACCOUNTS:
                roll = factory.rng.random()
                enabled = roll >= 0.03
                end = anchor - dt.timedelta(days=90) if 0.03 <= roll < 0.05 else None
                posting = account != "31000"  # retained earnings takes no direct postings
                batch.add(
                    "code_combination",
                    factory.code_combination(
                        (unit.company, center, account, "000"),
                        kind,
                        enabled=enabled,
                        posting=posting,
                        start=start,
                        end=end,
                    ),
                )
        for other, _ in INTERCOMPANY[1:]:
            if other != unit.company:
                batch.add(
                    "code_combination",
                    factory.code_combination(
                        (unit.company, "00", "12100", other),
                        "A",
                        enabled=True,
                        posting=True,
                        start=start,
                        end=None,
                    ),
                )
    value_sets = (
        ("SBX_COMPANY", "Company", [(unit.company, unit.legal_entity) for unit in BUSINESS_UNITS]),
        ("SBX_COST_CENTER", "Cost Center", list(COST_CENTERS)),
        ("SBX_ACCOUNT", "Natural Account", [(account, title) for account, _, title in NATURAL_ACCOUNTS]),
        ("SBX_INTERCOMPANY", "Intercompany", list(INTERCOMPANY)),
    )
    stamp = Stamp(
        dt.datetime.combine(start, dt.time(9), dt.UTC), dt.datetime.combine(start, dt.time(9), dt.UTC)
    )
    for code, title, values in value_sets:
        set_id = factory.next("value_set")
        batch.add(
            "value_set",
            {
                "sbx_id": set_id,
                "ValueSetId": set_id,
                "ValueSetCode": code,
                "Description": title,
                "ValidationType": "Independent",
                "ValueDataType": "Character",
                "MaximumLength": max(len(value) for value, _ in values),
                **factory.who(stamp),
            },
        )
        for value, description in values:
            value_id = factory.next("value")
            batch.add(
                "value_set_value",
                {
                    "sbx_id": value_id,
                    "sbx_parent": set_id,
                    "ValueId": value_id,
                    "Value": value,
                    "Description": description,
                    "EnabledFlag": 1,
                    "StartDateActive": start.isoformat(),
                    "EndDateActive": None,
                    "SummaryFlag": 0,
                    **factory.who(stamp),
                },
            )
    batch.flush(store)


def _seed_suppliers(
    store: Store, factory: Factory, timeline: Timeline, plan: SeedPlan, planted: bool = True
) -> None:
    batch = Batch()
    longest = (
        MAX_LENGTH_SUPPLIERS
        if planted
        else tuple(
            (name[:PROCURIFY_VENDOR_NAME_MAX].rstrip(), country) for name, country in MAX_LENGTH_SUPPLIERS
        )
    )
    named = list(SIGNATURE_SUPPLIERS + longest)
    used = {name for name, _ in named}
    for index in range(plan.suppliers):
        if index < len(named):
            name, country = named[index]
        else:
            name = f"{factory.rng.choice(NAME_HEADS)} {factory.rng.choice(NAME_TAILS)}"
            if name in used:
                name = f"{name} {index}"
            used.add(name)
            country = factory.rng.choice(("US", "US", "US", "DE", "FR", "CN"))
        inactive = index >= len(named) and factory.rng.random() < 0.04
        factory.supplier(batch, name, country, timeline.stamp(), inactive=inactive)
        if batch.size() >= _FLUSH_AT:
            batch.flush(store)
    batch.flush(store)


def _seed_transactions(store: Store, factory: Factory, timeline: Timeline, plan: SeedPlan) -> None:
    """POs, with their requisitions, invoices and payments right behind them; then unmatched ones."""
    rng = factory.rng
    batch = Batch()
    matched_share = min(1.0, 0.6 * plan.invoices / plan.purchase_orders)
    matched = 0
    requisitions = 0
    unpaid: list[dict] = []
    for _ in range(plan.purchase_orders):
        order_stamp = timeline.stamp()
        order = factory.purchase_order(batch, order_stamp)
        status = batch.rows["po_header"][-1]["StatusCode"]
        if rng.random() < 0.4 and requisitions < plan.requisitions:
            factory.requisition(batch, Stamp(order_stamp.created, order_stamp.created), order)
            requisitions += 1
        if status in {"OPEN", "CLOSED", "FINALLY CLOSED"} and rng.random() < matched_share:
            header = factory.invoice(batch, timeline.stamp(after=order_stamp.created), order=order)
            matched += 1
            _maybe_pay(factory, batch, timeline, header, unpaid)
        if batch.size() >= _FLUSH_AT:
            unpaid.clear()
            batch.flush(store)
    for index in range(max(0, plan.invoices - matched)):
        number = description = None
        if index % 97 == 3:
            number = ("LONG-" + "9" * 60)[:46] + f"{index:04d}"  # exactly 50 characters
            description = ("Wartungsvertrag für Gebäudetechnik, Los " * 8)[:240]
        header = factory.invoice(batch, timeline.stamp(), order=None, number=number, description=description)
        _maybe_pay(factory, batch, timeline, header, unpaid)
        if batch.size() >= _FLUSH_AT:
            unpaid.clear()
            batch.flush(store)
    for _ in range(max(0, plan.requisitions - requisitions)):
        factory.requisition(batch, timeline.stamp(), None)
        if batch.size() >= _FLUSH_AT:
            batch.flush(store)
    batch.flush(store)


def _maybe_pay(factory: Factory, batch: Batch, timeline: Timeline, header: dict, unpaid: list[dict]) -> None:
    """Pay most validated, approved invoices; sometimes two of one supplier in one payment."""
    rng = factory.rng
    if header["ValidationStatus"] != "Validated" or header["ApprovalStatus"] != "Approved":
        return
    roll = rng.random()
    if roll >= 0.8:
        return
    partner = next(
        (
            other
            for other in unpaid
            if other["SupplierNumber"] == header["SupplierNumber"]
            and other["PaymentCurrency"] == header["PaymentCurrency"]
            and other["BusinessUnit"] == header["BusinessUnit"]
        ),
        None,
    )
    latest = max(header["CreationDate"], partner["CreationDate"] if partner else 0)
    stamp = timeline.stamp(after=dt.datetime.fromtimestamp(latest / 1000, dt.UTC))
    if partner is not None and roll < 0.2:
        unpaid.remove(partner)
        factory.pay(batch, [partner, header], stamp)
    elif roll < 0.1:
        factory.pay(batch, [header], stamp, partial=True)
    elif roll < 0.13:
        factory.pay(batch, [header], stamp, void=True)
    elif roll < 0.65:
        factory.pay(batch, [header], stamp)
    else:
        unpaid.append(header)
