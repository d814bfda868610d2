"""Builds cross-consistent Procurify records: one code path for the seed and for live activity.

A requisition's lines are priced on accounts of its own department; purchasing groups the approved
lines by vendor into purchase orders; receiving drives the PO's fulfilment status and line statuses;
bills cover received lines of one PO at the PO's prices; payments pay bill groups in the bill's
currency. Whatever the seed or scale, every reference points at a row that exists.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .formats import stored
from .store import Store
from .vocabulary import ITEMS

Row = dict[str, Any]

# Requisition (order) status -> weight; item statuses follow from it (reference 2.4).
ORDER_STATUS_WEIGHTS = {6: 3, 0: 7, 2: 5, 1: 10, 4: 2, 3: 58, 5: 15}
ORDER_ITEM_STATUS_FOR_ORDER = {6: 8, 0: 0, 2: 7, 1: 0, 4: 4}
PUBLIC_PAYMENT_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "denied",
    "paid",
    "processing",
    "failed",
    "scheduled",
)
RAILS = ("ACH", "FEDWIRE", "PAPER_CHECK", "SWIFT", "EFT")
# Payment rail -> the old v2 payment_method__type code (0 other, 1 check, 2 ACH, 3 EFT, 4 wire).
RAIL_METHOD_TYPE = {"ACH": 2, "FEDWIRE": 4, "PAPER_CHECK": 1, "SWIFT": 4, "EFT": 3}
BILL_STATUS_WEIGHTS_OPEN_PO = {0: 15, 1: 20, 2: 30, 3: 5, 6: 8, 7: 7, 8: 3, 4: 10, 5: 2}
BILL_STATUS_WEIGHTS_CLOSED_PO = {4: 50, 2: 20, 6: 12, 7: 12, 8: 6}
PAYMENT_STATUS_FOR_BILL = {
    4: ("paid",),
    6: ("approved", "scheduled"),
    7: ("processing",),
    8: ("failed", "pending_approval"),
}


def pick(rng: random.Random, weights: dict[int, int]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class Clock:
    """The seeded history: a window ending at the anchor, with shared 'mass update' stamps.

    About 15 % of every table carries one identical timestamp (a bulk update three weeks ago) and
    another 10 % one of a dozen nightly 18:00:00 stamps, so a client's "modified since" cursor meets
    long runs of equal values at page boundaries.
    """

    anchor: dt.datetime  # midnight UTC ending the history; everything seeded is older
    days: int = 400

    @property
    def start(self) -> dt.datetime:
        return self.anchor - dt.timedelta(days=self.days)

    @property
    def mass_update(self) -> dt.datetime:
        return self.anchor - dt.timedelta(days=21) + dt.timedelta(hours=2, minutes=13, seconds=7)

    @property
    def nightly(self) -> tuple[dt.datetime, ...]:
        return tuple(self.anchor - dt.timedelta(days=k) + dt.timedelta(hours=18) for k in range(1, 13))

    def created(self, rng: random.Random) -> dt.datetime:
        seconds = rng.uniform(0, (self.anchor - self.start).total_seconds() - 86_400 * 2)
        return self._with_micro(rng, self.start + dt.timedelta(seconds=seconds))

    def modified(self, rng: random.Random, created: dt.datetime) -> dt.datetime:
        draw = rng.random()
        if draw < 0.15 and created <= self.mass_update:
            return self.mass_update
        if draw < 0.25:
            later = [stamp for stamp in self.nightly if stamp >= created]
            if later:
                return rng.choice(later)
        return self.after(rng, created, 30)

    def after(self, rng: random.Random, moment: dt.datetime, max_days: float) -> dt.datetime:
        """A moment not before ``moment`` and before the anchor."""
        room = (self.anchor - moment).total_seconds() - 1
        offset = rng.uniform(0, max(0.0, min(room, max_days * 86_400)))
        # New microseconds may land just before ``moment``; a later event is never stamped earlier.
        return max(moment, self._with_micro(rng, moment + dt.timedelta(seconds=offset)))

    @staticmethod
    def _with_micro(rng: random.Random, moment: dt.datetime) -> dt.datetime:
        # One in five stamps has no fraction: DRF then renders no ".ffffff" at all.
        micro = 0 if rng.random() < 0.2 else rng.randrange(1, 1_000_000)
        return moment.replace(microsecond=micro)


@dataclass
class Catalog:
    """Master data the transaction generator draws from (ids only, loaded from the store)."""

    users: list[int]
    locations: dict[int, int]  # location id -> currency id
    departments: list[tuple[int, int]]  # (department id, location id), active
    accounts_by_department: dict[int, list[int]]  # active accounts on active codes
    # (id, currency id, payment term name): purchasable vendors billing in a two-decimal currency. Those in
    # yen or dinars are billed on request only (``POST /sandbox/bills``), so the random activity every test
    # plays draws from the vendors and currencies it always had.
    vendors: list[tuple[int, int, str | None]]
    currency_rates: dict[int, str]
    currency_places: dict[int, int]  # currency id -> decimals its money is stored with
    contracts: list[int]
    payment_terms: list[str]
    shipping_terms: list[str]
    shipping_methods: list[str]

    @classmethod
    def load(cls, store: Store) -> Catalog:
        accounts: dict[int, list[int]] = {}
        for row in store.all(
            "SELECT a.id, a.department_id FROM accounts a JOIN account_codes c ON c.id = a.account_code_id "
            "WHERE a.active = 1 AND c.active = 1 AND c.account_type = 5"
        ):
            accounts.setdefault(row["department_id"], []).append(row["id"])
        departments = [
            (row["id"], row["branch_id"])
            for row in store.all("SELECT id, branch_id FROM departments WHERE active = 1 ORDER BY id")
            if row["id"] in accounts
        ]

        def names(kind: str) -> list[str]:
            return [
                r["name"] for r in store.all("SELECT name FROM terms WHERE kind = ? ORDER BY id", (kind,))
            ]

        return cls(
            users=[row["id"] for row in store.all("SELECT id FROM users ORDER BY id")],
            locations={
                row["id"]: row["currency_id"] for row in store.all("SELECT id, currency_id FROM locations")
            },
            departments=departments,
            accounts_by_department=accounts,
            vendors=[
                (row["id"], row["currency_id"], row["term"])
                for row in store.all(
                    "SELECT v.id, v.currency_id, t.name AS term FROM vendors v "
                    "JOIN currencies c ON c.id = v.currency_id "
                    "LEFT JOIN terms t ON t.id = v.payment_term_id "
                    "WHERE v.active = 1 AND v.type IN (3, 4) AND c.decimals = 2 ORDER BY v.id"
                )
            ],
            currency_rates={row["id"]: row["rate"] for row in store.all("SELECT id, rate FROM currencies")},
            currency_places={
                row["id"]: row["decimals"] for row in store.all("SELECT id, decimals FROM currencies")
            },
            contracts=[row["id"] for row in store.all("SELECT id FROM contracts ORDER BY id")],
            payment_terms=names("payment_term"),
            shipping_terms=names("shipping_term"),
            shipping_methods=names("shipping_method"),
        )


@dataclass
class Counters:
    """Next ids; a sequence per table, as the real database has."""

    order: int = 1
    order_item: int = 1
    purchase_order: int = 1000
    bill: int = 1
    bill_item: int = 1
    bill_group: int = 500
    payment: int = 1

    @classmethod
    def from_store(cls, store: Store) -> Counters:
        def following(sql: str, floor: int) -> int:
            return max(int(store.scalar(sql) or 0) + 1, floor)

        return cls(
            order=following("SELECT MAX(num) FROM orders", 1),
            order_item=following("SELECT MAX(id) FROM order_items", 1),
            purchase_order=following('SELECT MAX("procurify_PO") FROM purchase_orders', 1000),
            bill=following("SELECT MAX(id) FROM bills", 1),
            bill_item=following("SELECT MAX(id) FROM bill_items", 1),
            bill_group=following("SELECT MAX(group_id) FROM bills", 500),
            payment=following("SELECT MAX(id) FROM payments", 1),
        )

    def take(self, name: str) -> int:
        value = getattr(self, name)
        setattr(self, name, value + 1)
        return value


@dataclass
class History:
    """Rows of one business story (a requisition and everything that followed), ready to insert."""

    orders: list[Row] = field(default_factory=list)
    order_items: list[Row] = field(default_factory=list)
    purchase_orders: list[Row] = field(default_factory=list)
    bills: list[Row] = field(default_factory=list)
    bill_items: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    payment_groups: list[Row] = field(default_factory=list)

    def extend(self, other: History) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))

    def tables(self) -> dict[str, list[Row]]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def po_totals(lines: Sequence[Row], po: Row) -> tuple[int, int]:
    """(subtotal, total) in hundredths from approved quantities and prices, tax, discount and freight."""
    subtotal = sum(round(line["approved_quantity"] * line["approved_price"] / 100) for line in lines)
    tax = po["tax_value"] if po["tax_type"] == "amount" else round(subtotal * po["tax_value"] / 10_000)
    discount = (
        po["discount_value"]
        if po["discount_type"] == "amount"
        else round(subtotal * po["discount_value"] / 10_000)
    )
    return subtotal, subtotal + po["freight"] + tax - discount + po["other"]


def budget_account(
    account_id: int, code_id: int, department_id: int, stamp: str, *, active: int = 1, in_effect: int = 1
) -> Row:
    """An ``accounts`` row: an account code opened for one department's budget."""
    return {
        "id": account_id,
        "account_code_id": code_id,
        "department_id": department_id,
        "active": active,
        "in_effect": in_effect,
        "modified_at": stamp,
    }


def fulfilment(lines: Sequence[Row]) -> str:
    received = [min(line["received_pass"], line["approved_quantity"]) for line in lines]
    if all(amount == 0 for amount in received):
        return "empty"
    if all(line["received_pass"] >= line["approved_quantity"] for line in lines):
        return "full"
    return "partial"


class DataFactory:
    """Generates stories on a catalog; deterministic for a given generator state."""

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        catalog: Catalog,
        counters: Counters,
        *,
        planted_faults: bool = True,
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.catalog = catalog
        self.counters = counters
        self.planted_faults = planted_faults  # settings.planted_faults: e.g. 50-character invoice numbers

    # --- requisitions -------------------------------------------------------------------------------

    def requisition(
        self, created: dt.datetime, status: int | None = None, *, now: dt.datetime | None = None
    ) -> History:
        """A requisition with 1-5 lines and, when purchased, its POs, receipts, bills and payments.

        ``now`` stamps every row with one moment (live activity); otherwise history is spread out.
        """
        rng, catalog = self.rng, self.catalog
        status = pick(rng, ORDER_STATUS_WEIGHTS) if status is None else status
        department_id, location_id = rng.choice(catalog.departments)
        currency_id = catalog.locations[location_id]
        requester = rng.choice(catalog.users)
        num = self.counters.take("order")
        approved_at = None if status in (6, 0, 2) else self._later(created, 3, now)
        order = {
            "num": num,
            "uuid": new_uuid(rng),
            "description": self._description(num),
            "branch_id": location_id,
            "user_id": requester,
            "department_id": department_id,
            "currency_id": currency_id,
            "date": stored(created),
            "date_required": (created + dt.timedelta(days=rng.randint(3, 45))).date().isoformat(),
            "date_modified": stored(now or self.clock.modified(rng, approved_at or created)),
            "status": status,
            "next_approver_id": rng.choice(catalog.users) if status == 0 else None,
        }
        story = History(orders=[order])
        # Most requisitions buy from one vendor; some mix vendors and then become several POs.
        one_vendor = rng.choice(catalog.vendors)[0] if rng.random() < 0.75 else None
        for _ in range(rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 12, 8))[0]):
            story.order_items.append(self._line(order, created, approved_at, status, now, one_vendor))
        if status in (3, 5):
            by_vendor: dict[int, list[Row]] = {}
            for line in story.order_items:
                by_vendor.setdefault(line["vendor_id"], []).append(line)
            for lines in by_vendor.values():
                self._purchase(
                    story, order, lines, approved_at or created, received_order=status == 5, now=now
                )
        return story

    def _description(self, num: int) -> str:
        draw = self.rng.random()
        if draw < 0.02:
            return ("Matériel de chantier — réapprovisionnement urgent, équipe béton " * 4)[:255]
        if draw < 0.1:
            return ""
        return (
            self.rng.choice(("Materials for site", "Restock", "Monthly supplies", "Equipment", "Baustelle"))
            + f" #{num}"
        )

    def _line(
        self,
        order: Row,
        created: dt.datetime,
        approved_at: dt.datetime | None,
        status: int,
        now: dt.datetime | None,
        vendor_id: int | None,
    ) -> Row:
        rng = self.rng
        name, unit, typical = rng.choice(ITEMS)
        vendor_id = vendor_id or rng.choice(self.catalog.vendors)[0]
        quantity = rng.choice((100, 200, 500, 1000, 1200, 2500, 250, 50))  # hundredths: 1.00 ... 25.00
        price = self.price(order["currency_id"], max(1, round(typical * rng.uniform(0.8, 1.25))))
        approved = approved_at is not None
        custom = [] if rng.random() < 0.85 else [{"name": "Project", "value": f"P-{rng.randint(100, 999)}"}]
        return {
            "id": self.counters.take("order_item"),
            "order_num": order["num"],
            "po_id": None,
            "po_line_num": None,
            "name": name,
            "sku": None if rng.random() < 0.3 else f"SKU-{rng.randint(10000, 99999)}",
            "quantity": quantity,
            "approved_quantity": quantity if approved else None,
            "price": price,
            "approved_price": price if approved else None,
            "unit": unit,
            "received_pass": 0,
            "received_fail": 0,
            "account_id": rng.choice(self.catalog.accounts_by_department[order["department_id"]]),
            "currency_id": order["currency_id"],
            "vendor_id": vendor_id,
            "last_modified": stored(now or self.clock.modified(rng, approved_at or created)),
            "external_id": None,
            "status": ORDER_ITEM_STATUS_FOR_ORDER.get(status, 2),
            "type": rng.choices((0, 1, 2), weights=(92, 5, 3))[0],
            "approved_datetime": stored(approved_at) if approved_at else None,
            "po_created_date": None,
            "purchased_date": None,
            "received_on": None,
            "custom_fields": json.dumps(custom, ensure_ascii=False),
        }

    def price(self, currency_id: int, cents: int) -> int:
        """An item's price (``ITEMS``: in cents) in ``currency_id``'s minor unit. A two-decimal currency
        keeps the figure, as the seed always has (24.50 USD or EUR); yen and dinars take it at the
        currency's rate to the base, so a 24.50 item is 3704 JPY (no fraction) or 7.534 KWD (fils)."""
        places = self.catalog.currency_places.get(currency_id, 2)
        if places == 2:
            return cents
        exact = (Decimal(cents) * Decimal(self.catalog.currency_rates[currency_id])).scaleb(places - 2)
        return max(1, int(exact.to_integral_value(rounding=ROUND_HALF_UP)))

    def _later(self, moment: dt.datetime, max_days: float, now: dt.datetime | None) -> dt.datetime:
        return now if now is not None else self.clock.after(self.rng, moment, max_days)

    # --- purchasing, receiving ------------------------------------------------------------------------

    def _purchase(
        self,
        story: History,
        order: Row,
        lines: list[Row],
        approved_at: dt.datetime,
        *,
        received_order: bool,
        now: dt.datetime | None,
    ) -> None:
        rng = self.rng
        purchased_at = self._later(approved_at, 3, now)
        state = rng.choice((3, 4)) if received_order else pick(rng, {0: 60, 5: 8, 1: 7, 3: 15, 4: 10})
        if now is not None and not received_order:
            state = 0
        receipt = (
            "full"
            if state in (3, 4)
            else "empty"
            if state == 1
            else rng.choice(("empty", "empty", "partial", "full"))
        )
        if now is not None and state == 0:
            receipt = "empty"
        po = self.purchase_order(lines, order, purchased_at, state, now=now)
        latest = purchased_at
        for position, line in enumerate(lines, start=1):
            line["po_id"] = po["procurify_PO"]
            line["po_line_num"] = position
            line["po_created_date"] = stored(purchased_at)
            line["purchased_date"] = stored(purchased_at)
            received_at = self._receive(line, receipt, purchased_at, now)
            line_latest = max(purchased_at, received_at or purchased_at)
            latest = max(latest, line_latest)
            if now is None:
                # A line changes when it is purchased and received: its stamp is never older than that.
                line["last_modified"] = stored(self.clock.modified(self.rng, line_latest))
        if now is None:
            if po["closed_date"] is not None:
                closed_at = max(latest, self.clock.after(self.rng, latest, 30))
                po["closed_date"] = stored(closed_at)
                latest = closed_at
            po["last_modified"] = stored(self.clock.modified(self.rng, latest))
            order["date_modified"] = max(
                order["date_modified"], stored(self.clock.modified(self.rng, purchased_at))
            )
        po["fulfilment_status"] = fulfilment(lines)
        po["subtotal"], po["total"] = po_totals(lines, po)
        story.purchase_orders.append(po)
        if state != 1 and po["fulfilment_status"] != "empty" and rng.random() < 0.85:
            self._bill_purchase_order(story, po, lines, now)

    def purchase_order(
        self,
        lines: list[Row],
        order: Row,
        purchased_at: dt.datetime,
        state: int,
        *,
        now: dt.datetime | None = None,
        po_num: str | None = None,
    ) -> Row:
        """A PO header for approved lines of one vendor (totals are filled in by the caller)."""
        rng, catalog = self.rng, self.catalog
        number = self.counters.take("purchase_order")
        vendor_id = lines[0]["vendor_id"]
        currency_id = order["currency_id"]
        draw = rng.random()
        if po_num is None and now is None:
            po_num = (
                None
                if draw < 0.7
                else f"JDE-OP-{number:07d}"
                if draw < 0.95
                else (f"OP-{number:06d}-" + "X" * 20)[:30]
            )
        percentage = rng.random() < 0.3
        closed = state in (3, 4)
        return {
            "procurify_PO": number,
            "uuid": new_uuid(rng),
            "po_num": po_num,
            "version": 1 if now is not None or rng.random() < 0.9 else 2,
            "date": stored(purchased_at),
            "last_modified": stored(now or self.clock.modified(rng, purchased_at)),
            "vendor_id": vendor_id,
            "purchaser_id": rng.choice(catalog.users),
            "branch_id": order["branch_id"],
            "payment_terms": rng.choice(catalog.payment_terms),
            "shipping_terms": rng.choice(catalog.shipping_terms),
            "shipping_method": rng.choice(catalog.shipping_methods),
            "promise_date": (purchased_at + dt.timedelta(days=rng.randint(5, 30))).date().isoformat(),
            "expiry_date": (purchased_at + dt.timedelta(days=365)).date().isoformat()
            if lines[0]["type"] == 2
            else None,
            "subtotal": 0,
            "freight": 0 if rng.random() < 0.7 else rng.choice((2500, 4999, 12000)),
            "tax_value": rng.choice((500, 700, 1200)) if percentage else 0,
            "tax_type": "percentage" if percentage else "amount",
            "discount_value": 0 if rng.random() < 0.9 else 1500,
            "discount_type": "amount",
            "other": 0,
            "total": 0,
            "currency_id": currency_id,
            "currency_rate": catalog.currency_rates[currency_id],
            "state": state,
            "closed_date": stored(self._later(purchased_at, 60, now)) if closed else None,
            "contract_id": rng.choice(catalog.contracts)
            if catalog.contracts and rng.random() < 0.1
            else None,
            "staged_for_export": 1 if rng.random() < 0.2 else 0,
            "fulfilment_status": "empty",
        }

    def _receive(
        self, line: Row, receipt: str, purchased_at: dt.datetime, now: dt.datetime | None
    ) -> dt.datetime | None:
        """Receive a line (nothing, half or all); returns when, or None."""
        rng = self.rng
        if receipt == "empty":
            line["status"] = 2
            return None
        quantity = line["approved_quantity"]
        if receipt == "partial" and quantity >= 200:
            line["received_pass"] = quantity // 2
            line["status"] = 5
        else:
            line["received_pass"] = quantity
            line["received_fail"] = 100 if rng.random() < 0.05 else 0
            line["status"] = 6 if rng.random() < 0.2 else 3
        received_at = self._later(purchased_at, 20, now)
        line["received_on"] = received_at.date().isoformat()
        return received_at

    # --- accounts payable --------------------------------------------------------------------------

    def _bill_purchase_order(
        self, story: History, po: Row, lines: list[Row], now: dt.datetime | None
    ) -> None:
        """One bill for the received lines, sometimes split in two (both then share a bill group)."""
        rng = self.rng
        received = [line for line in lines if line["received_pass"] > 0]
        split = len(received) >= 2 and rng.random() < 0.15
        parts = [received[: len(received) // 2], received[len(received) // 2 :]] if split else [received]
        weights = BILL_STATUS_WEIGHTS_CLOSED_PO if po["state"] in (3, 4) else BILL_STATUS_WEIGHTS_OPEN_PO
        status = 4 if po["state"] == 4 else pick(rng, weights)
        if now is not None:
            status = 1
        shared_group = (
            self.counters.take("bill_group")
            if split and status in (4, 6, 7, 8) and rng.random() < 0.5
            else None
        )
        groups: list[int] = []
        bills: list[Row] = []
        for part in parts:
            bill = self.bill(
                po["vendor_id"],
                po["currency_id"],
                status,
                dt.datetime.fromisoformat(po["date"]).replace(tzinfo=dt.UTC),
                part,
                story,
                now=now,
                group_id=shared_group,
                tax_percent=po["tax_value"] if po["tax_type"] == "percentage" else 0,
            )
            bills.append(bill)
            if bill["group_id"] is not None and bill["group_id"] not in groups:
                groups.append(bill["group_id"])
        if groups and status in PAYMENT_STATUS_FOR_BILL and (status != 4 or rng.random() < 0.7):
            self.payment(story, bills, groups, status, now=now)

    def bill(
        self,
        vendor_id: int,
        currency_id: int,
        status: int,
        after: dt.datetime,
        lines: Sequence[Row],
        story: History,
        *,
        now: dt.datetime | None = None,
        group_id: int | None = None,
        tax_percent: int = 0,
        expense_accounts: Sequence[int] = (),
    ) -> Row:
        """A bill for PO lines (type 0) or, without lines, an expense bill on ``expense_accounts``."""
        rng = self.rng
        bill_id = self.counters.take("bill")
        created = self._later(after, 40, now)
        invoice_date = created.date()
        approved = status in (2, 4, 6, 7, 8)
        if group_id is None and status in (4, 6, 7, 8):
            group_id = self.counters.take("bill_group")
        # A PO line is billed for what was received at the PO price; an expense is one unit of an item.
        items = [
            self._bill_item(
                bill_id,
                created,
                line["id"],
                line["name"],
                line["received_pass"],
                line["approved_price"],
                line["account_id"],
            )
            for line in lines
        ]
        for account_id in expense_accounts:
            name, _unit, typical = rng.choice(ITEMS)
            price = self.price(currency_id, typical)
            items.append(self._bill_item(bill_id, created, None, name, 100, price, account_id))
        subtotal = sum(round(item["quantity"] * item["unit_cost"] / 100) for item in items)
        exported = approved and now is None and rng.random() < 0.4
        users = self.catalog.users
        paid_at = self._later(created, 30, now) if status == 4 else None
        exported_at = self._later(created, 10, now) if exported else None
        # The bill's stamp follows its last event (payment, export), never earlier.
        last_event = max(moment for moment in (created, paid_at, exported_at) if moment is not None)
        bill = {
            "id": bill_id,
            "uuid": new_uuid(rng),
            "version": 1,
            "status": status,
            "locked": 1 if status in (4, 6, 7, 8) else 0,
            "currency_id": currency_id,
            "vendor_id": vendor_id,
            "invoice_number": self._invoice_number(bill_id),
            "invoice_date": invoice_date.isoformat(),
            "due_date": (invoice_date + dt.timedelta(days=rng.choice((0, 30, 45, 60)))).isoformat(),
            "submitted_date": None if status == 0 else invoice_date.isoformat(),
            "gl_post_date": invoice_date.isoformat() if approved else None,
            "subtotal": subtotal,
            "tax_amount": round(subtotal * tax_percent / 10_000),
            "last_modified_datetime": stored(now or self.clock.modified(rng, last_event)),
            "last_export_date": exported_at.date().isoformat() if exported_at else None,
            "last_export_user_id": rng.choice(users) if exported else None,
            "group_id": group_id,
            "type": 0 if lines else 1,
            "user_id": rng.choice(users),
            "creator_id": rng.choice(users),
            "approver_id": rng.choice(users) if approved else None,
            "payment_uuid": None,
            "invoice_uuid": new_uuid(rng),
            "note": "" if rng.random() < 0.8 else "Rechnung geprüft — ok",
            "payment_terms": rng.choice(self.catalog.payment_terms),
            "payment_date": paid_at.date().isoformat() if paid_at else None,
            "sync_status": "synced" if exported else "not_synced",
        }
        story.bills.append(bill)
        story.bill_items.extend(items)
        return bill

    def _bill_item(
        self,
        bill_id: int,
        created: dt.datetime,
        order_item_id: int | None,
        description: str,
        quantity: int,
        unit_cost: int,
        account_id: int,
    ) -> Row:
        return {
            "id": self.counters.take("bill_item"),
            "bill_id": bill_id,
            "order_item_id": order_item_id,
            "description": description,
            "quantity": quantity,
            "unit_cost": unit_cost,
            "account_id": account_id,
            "created_at": stored(created),
        }

    def _invoice_number(self, bill_id: int) -> str:
        draw = self.rng.random()
        if draw < 0.03 and self.planted_faults:  # Procurify holds 50; JDE's F0411 VINV 25: refused there
            return f"RE-{bill_id:08d}/" + "Ä" * 10 + "-" + "9" * 27  # exactly 50 characters
        if draw < 0.03:
            return f"RE-{bill_id:08d}/" + "Ä" * 3 + "-" + "9" * 9  # exactly 25 characters
        if draw < 0.1:
            return f"FA-2025-ÉTÉ-{bill_id:05d}"
        return f"INV-{bill_id:06d}"

    def payment(
        self,
        story: History,
        bills: Sequence[Row],
        groups: Sequence[int],
        bill_status: int,
        *,
        now: dt.datetime | None = None,
    ) -> Row:
        rng = self.rng
        created_from = max(dt.datetime.fromisoformat(b["last_modified_datetime"]) for b in bills).replace(
            tzinfo=dt.UTC
        )
        created = now or self.clock.after(rng, created_from - dt.timedelta(days=2), 5)
        status = rng.choice(PAYMENT_STATUS_FOR_BILL[bill_status])
        rail = rng.choice(RAILS)
        payment = {
            "id": self.counters.take("payment"),
            "uuid": uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            "amount": sum(b["subtotal"] + b["tax_amount"] for b in bills),
            "currency_id": bills[0]["currency_id"],
            "status": status,
            "processing_date": created.date().isoformat(),
            "posted_date": created.date().isoformat() if status == "paid" else None,
            "created_at": stored(created),
            "updated_at": stored(now or self.clock.modified(rng, created)),
            "creator_id": rng.choice(self.catalog.users),
            "vendor_id": bills[0]["vendor_id"],
            "gl_code": "1010",
            "payment_source_type": rng.choice(("direct_debit", "financial_account", "external", "external")),
            "rail": rail,
            "method_type": RAIL_METHOD_TYPE[rail],
            "approver_id": rng.choice(self.catalog.users),
        }
        for bill in bills:
            bill["payment_uuid"] = payment["uuid"]
        story.payments.append(payment)
        story.payment_groups.extend({"payment_id": payment["id"], "group_id": group} for group in groups)
        return payment

    def expense_bill(
        self,
        after: dt.datetime,
        *,
        now: dt.datetime | None = None,
        vendor: tuple[int, int] | None = None,
        status: int | None = None,
    ) -> History:
        """A non-PO bill (type 1, expense) on one or two accounts of a random department, from a random
        vendor in its currency or from ``vendor`` (id, currency id), in ``status`` or one drawn."""
        rng, catalog = self.rng, self.catalog
        vendor_id, currency_id = vendor or rng.choice(catalog.vendors)[:2]
        department_id, _location = rng.choice(catalog.departments)
        accounts = rng.sample(
            catalog.accounts_by_department[department_id],
            k=min(2, len(catalog.accounts_by_department[department_id])),
        )
        if status is None:
            status = 1 if now is not None else pick(rng, BILL_STATUS_WEIGHTS_OPEN_PO)
        story = History()
        bill = self.bill(vendor_id, currency_id, status, after, (), story, now=now, expense_accounts=accounts)
        if bill["group_id"] is not None and status in PAYMENT_STATUS_FOR_BILL and rng.random() < 0.7:
            self.payment(story, [bill], [bill["group_id"]], status, now=now)
        return story
