"""Builds realistic, cross-consistent Coupa records: the seed uses it for history, activity for "now".

Consistency rules the records keep: a PO's lines charge accounts of the chart (account type) that
matches the PO's currency; an invoice matched to a PO has that PO's supplier, currency and line
accounts, and its lines point at real order lines; net-due dates follow the supplier's payment term;
a paid invoice's payments add up to its total; a Coupa Pay payment's details name real invoices.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .store import Store
from .timefmt import utc_stamp
from .vocabulary import (
    ACCOUNT_TYPES,
    BUYERS,
    CITIES,
    COMPANIES,
    COST_CENTERS,
    COUNTRY_NAMES,
    CURRENCIES,
    DEPARTMENTS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    GOODS,
    MAX_LENGTH_SUPPLIERS,
    NAME_FIRST,
    NAME_SECOND,
    NAME_SUFFIX,
    NATURAL_ACCOUNTS,
    PAYMENT_TERMS,
    SERVICES,
    SHIPPING_TERMS,
    SIGNATURE_SUPPLIERS,
)

# Currency -> which chart of accounts (account type index) its documents are coded to.
_CHART_FOR_CURRENCY = {"USD": 0, "CAD": 0, "GBP": 0, "JPY": 0, "EUR": 1, "CNY": 2}
_CURRENCY_FOR_COUNTRY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "JP": "JPY",
    "CN": "CNY",
    "KR": "USD",
    "BR": "USD",
}
_STREETS = ("Industrial Way", "Hauptstraße", "Rue de la Gare", "Quarry Rd", "建设路", "Harbor Blvd")
_EURO = {"DE", "FR", "AT", "ES", "GR", "PL", "SE", "NO", "CH", "TR"}


@dataclasses.dataclass(frozen=True)
class _LinePricing:
    """How a document's generated lines are priced: the share of goods lines (the rest are services
    billed as one amount), the quantities goods come in, the share ordered in halves (0: none, and no
    draw), how far a price strays from the catalog, and the range of a service amount."""

    prefix: str  # line types are <prefix>QuantityLine / <prefix>AmountLine
    goods_share: float
    quantities: tuple[int, ...]
    half_share: float
    price_spread: tuple[float, float]
    service_range: tuple[float, float]


_ORDER_PRICING = _LinePricing("Order", 0.8, (1, 2, 5, 10, 12, 20, 40, 100), 0.1, (0.85, 1.2), (250, 25_000))
_INVOICE_PRICING = _LinePricing("Invoice", 0.6, (1, 2, 3, 10), 0, (0.9, 1.1), (100, 9000))


def _uom(code: str) -> dict[str, Any]:
    return {"id": 1 + sum(map(ord, code)) % 50, "code": code, "name": code}


def _numbered(
    rows: Iterable[tuple[Any, ...]], created: str, fields: Callable[..., dict[str, Any]]
) -> list[dict[str, Any]]:
    """A master table seeded once: ids from 1 in list order, created and last updated at seed time."""
    return [
        {"id": i, "created-at": created, "updated-at": created, **fields(*row)}
        for i, row in enumerate(rows, start=1)
    ]


def money(value: Decimal | float, decimals: int = 2) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def quantity_text(value: Decimal | float) -> str:
    text = str(Decimal(str(value)).normalize())
    if "E" in text:
        text = str(Decimal(str(value)).quantize(Decimal(1)))
    return text if "." in text else text + ".0"


@dataclasses.dataclass
class Ids:
    """In-memory id sequences, written back to the store once a batch of records is generated."""

    next: dict[str, int] = dataclasses.field(default_factory=dict)

    def take(self, name: str) -> int:
        value = self.next.get(name, 1)
        self.next[name] = value + 1
        return value

    def flush(self, store: Store) -> None:
        for name, value in self.next.items():
            store.set_sequence(name, value)


class StoreIds:
    """Ids drawn straight from the store's sequences: activity shares them with API writes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def take(self, name: str) -> int:
        return self.store.next_id(name)


@dataclasses.dataclass(frozen=True)
class SupplierRef:
    id: int
    name: str
    number: str | None
    status: str
    currency: str
    payment_term_id: int
    country: str


@dataclasses.dataclass(frozen=True)
class AccountRef:
    id: int
    code: str
    active: bool
    chart: int  # account type index


@dataclasses.dataclass
class Masters:
    """What transactional records refer to."""

    currencies: dict[str, int]  # code -> id
    currency_decimals: dict[str, int]
    terms: dict[int, int]  # payment term id -> net days
    account_types: list[int]  # ids by chart index
    accounts_by_chart: dict[int, list[AccountRef]]
    suppliers: list[SupplierRef]


class DataFactory:
    def __init__(self, rng: random.Random, ids: Ids | StoreIds, anchor: dt.date) -> None:
        self.rng = rng
        self.ids = ids
        self.anchor = anchor
        self.anchor_moment = dt.datetime.combine(anchor, dt.time(), dt.UTC)
        self.masters: Masters | None = None
        self._supplier_numbers = 10_000
        self._shared_numbers: set[tuple[int, str]] = set()
        self._active_accounts: dict[int, list[AccountRef]] = {}
        # Replaced for activity, where earlier records live in the store, not in this factory's memory.
        self.invoice_number_taken: Callable[[int, str], bool] = lambda supplier_id, number: (
            (supplier_id, number) in self._shared_numbers
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _user(self) -> dict[str, Any]:
        index = self.rng.randrange(len(BUYERS))
        login, email = BUYERS[index]
        return {"id": 100 + index, "login": login, "email": email}

    def _address(
        self, city: str, state: str, country: str, postal: str, name: str | None = None
    ) -> dict[str, Any]:
        return {
            "id": self.ids.take("addresses"),
            "name": name,
            "street1": f"{self.rng.randint(1, 9999)} {self.rng.choice(_STREETS)}",
            "street2": self.rng.choice((None, None, f"Suite {self.rng.randint(100, 999)}")),
            "city": city,
            "state": state,
            "postal-code": postal,
            "country": {
                "id": 1 + sorted(COUNTRY_NAMES).index(country),
                "code": country,
                "name": COUNTRY_NAMES[country],
            },
        }

    def _postal(self, pattern: str) -> str:
        return "".join(str(self.rng.randint(0, 9)) if ch == "#" else ch for ch in pattern)

    def _company_address(self) -> dict[str, Any]:
        return self._address("Portland", "OR", "US", "97201", name="Head Office")

    def updated_after(self, created: dt.datetime, shared: list[dt.datetime]) -> dt.datetime:
        """Mostly a later moment; a quarter of records land on shared stamps (mass updates, nightly jobs)."""
        draw = self.rng.random()
        if draw < 0.15:
            moment = shared[0]
        elif draw < 0.25:
            moment = self.rng.choice(shared[1:])
        else:
            span = (self.anchor_moment - created).total_seconds()
            moment = created + dt.timedelta(seconds=self.rng.uniform(0, max(span - 1, 0)) * self.rng.random())
        return max(moment, created)

    # --- master data -----------------------------------------------------------------------------

    def currencies(self, created: str) -> list[dict[str, Any]]:
        return _numbered(
            CURRENCIES,
            created,
            lambda code, decimals: {"code": code, "decimals": decimals, "enabled-flag": True},
        )

    def payment_terms(self, created: str) -> list[dict[str, Any]]:
        return _numbered(
            PAYMENT_TERMS,
            created,
            lambda code, description, net, discount_days, rate: {
                "code": code,
                "description": description,
                "days-for-net-payment": net,
                "days-for-discount-payment": discount_days,
                "discount-rate": rate,
                "active": True,
            },
        )

    def account_types(self, created: str, currency_ids: dict[str, int]) -> list[dict[str, Any]]:
        return _numbered(
            ACCOUNT_TYPES,
            created,
            lambda name, currency: {"name": name, "active": True, "currency": {"id": currency_ids[currency]}},
        )

    def lookups(self, created: str) -> list[dict[str, Any]]:
        names = (
            ("Chart of Accounts Segments", "Company / cost center / natural account, for dynamic accounts"),
            ("Projects", "Construction projects (JDE job numbers)"),
        )
        return _numbered(
            names,
            created,
            lambda name, description: {"name": name, "description": description, "active": True},
        )

    def lookup_values(self, created: str, project_count: int) -> list[dict[str, Any]]:
        """A three-level segment hierarchy (company > cost center > account) and a flat project list."""
        values: list[dict[str, Any]] = []

        def add(
            lookup_id: int, name: str, ref_num: str, parent: dict[str, Any] | None, **extra: Any
        ) -> dict[str, Any]:
            code = ref_num if parent is None else f"{parent['external-ref-code']}-{ref_num}"
            value = {
                "id": self.ids.take("lookup_values"),
                "created-at": created,
                "updated-at": created,
                "name": name,
                "description": extra.get("description"),
                "lookup": {"id": lookup_id},
                "external-ref-num": ref_num,
                "external-ref-code": code,
                "parent": None if parent is None else {"id": parent["id"]},
                "depth": 1 if parent is None else parent["depth"] + 1,
                "active": extra.get("active", True),
                "is-default": extra.get("is_default", False),
            }
            values.append(value)
            return value

        for company_index, (company_code, company_name, _) in enumerate(COMPANIES):
            company = add(1, company_name, company_code, None, is_default=company_index == 0)
            for center_code, center_name in COST_CENTERS:
                center = add(1, center_name, center_code, company)
                for account_code, account_name in NATURAL_ACCOUNTS:
                    add(1, account_name, account_code, center, active=self.rng.random() > 0.03)
        for number in range(project_count):
            job = f"J{24000 + number * 7}"
            add(
                2,
                f"Project {job} — {self.rng.choice(('Bridge', 'Depot', 'Terminal', 'Werk', 'Usine'))}",
                job,
                None,
                description=f"JDE job {job}",
            )
        return values

    def accounts(self, created: str, account_type_ids: list[int], per_chart: int) -> list[dict[str, Any]]:
        """Accounts of each chart: company-costcenter-natural account, segments 1-3, a few inactive."""
        accounts: list[dict[str, Any]] = []
        for company_code, company_name, chart in COMPANIES:
            combos = [(c, n) for c in COST_CENTERS for n in NATURAL_ACCOUNTS]
            self.rng.shuffle(combos)
            for (center_code, center_name), (natural_code, natural_name) in combos[:per_chart]:
                accounts.append(
                    {
                        "id": self.ids.take("accounts"),
                        "created-at": created,
                        "updated-at": created,
                        "name": f"{company_name} - {center_name} - {natural_name}",
                        "code": f"{company_code}-{center_code}-{natural_code}",
                        "active": self.rng.random() > 0.05,
                        "account-type": {"id": account_type_ids[chart]},
                        "segment-1": company_code,
                        "segment-2": center_code,
                        "segment-3": natural_code,
                    }
                )
        return accounts

    def departments(self, created: str) -> list[dict[str, Any]]:
        return _numbered(
            ((name,) for name in DEPARTMENTS),
            created,
            lambda name: {"name": name, "active": name != "Facilities"},
        )

    def supplier_name(self, index: int, taken: set[str]) -> str:
        named = SIGNATURE_SUPPLIERS + tuple((name, "", "", "") for name in MAX_LENGTH_SUPPLIERS)
        if index < len(named):
            return named[index][0]
        while True:
            name = (
                f"{self.rng.choice(NAME_FIRST)} {self.rng.choice(NAME_SECOND)} {self.rng.choice(NAME_SUFFIX)}"
            )
            if name.casefold() in taken:
                name = f"{name} {self.rng.randint(2, 999)}"
            if name.casefold() not in taken:
                return name

    def supplier(
        self, index: int, created: dt.datetime, updated: dt.datetime, taken: set[str], term_count: int
    ) -> dict[str, Any]:
        name = self.supplier_name(index, taken)
        taken.add(name.casefold())
        if index < len(SIGNATURE_SUPPLIERS):
            _, city, state, country = SIGNATURE_SUPPLIERS[index]
            postal = self._postal("#####")
        else:
            city, state, country, pattern = self.rng.choice(CITIES)
            postal = self._postal(pattern)
        status = (
            "active"
            if index < len(SIGNATURE_SUPPLIERS)
            else self.rng.choices(("active", "inactive", "draft"), (80, 10, 10))[0]
        )
        self._supplier_numbers += self.rng.randint(1, 40)
        # Drafts created in Coupa have no ERP number yet; everything else carries the JDE address number.
        number = None if status == "draft" and self.rng.random() < 0.7 else str(self._supplier_numbers)
        given, family = self.rng.choice(GIVEN_NAMES), self.rng.choice(FAMILY_NAMES)
        domain = f"supplier{index}.example"
        po_method = self.rng.choices(("email", "cxml", "prompt", "mark_as_sent"), (60, 20, 10, 10))[0]
        city_address = self._address(city, state, country, postal)
        shipping = self.rng.randrange(len(SHIPPING_TERMS))
        doc = {
            "id": self.ids.take("suppliers"),
            "created-at": utc_stamp(created),
            "updated-at": utc_stamp(updated),
            "created-by": self._user(),
            "updated-by": self._user(),
            "name": name,
            "display-name": name if self.rng.random() < 0.8 else name.upper(),
            "number": number,
            "status": status,
            "po-method": po_method,
            "po-email": f"orders@{domain}" if po_method == "email" else None,
            "po-change-method": po_method,
            "payment-method": self.rng.choices(("invoice", "virtual_card", "pcard"), (85, 10, 5))[0],
            "payment-term": {"id": self.rng.randint(1, term_count)},
            "shipping-term": {
                "id": shipping + 1,
                "code": SHIPPING_TERMS[shipping][0],
                "description": SHIPPING_TERMS[shipping][1],
            },
            "invoice-matching-level": self.rng.choice(("2-way", "3-way", "3-way", "none")),
            "tax-id": self._tax_id(country),
            "duns": f"{self.rng.randint(10**8, 10**9 - 1)}" if self.rng.random() < 0.5 else None,
            "account-number": f"ACCT-{self.rng.randint(1000, 99999)}" if self.rng.random() < 0.3 else None,
            "primary-contact": {
                "id": self.ids.take("contacts"),
                "email": f"ap@{domain}",
                "name-given": given,
                "name-family": family,
                "phone-work": {
                    "country-code": "1",
                    "area-code": str(self.rng.randint(201, 989)),
                    "number": f"555-{self.rng.randint(1000, 9999)}",
                },
            },
            "primary-address": city_address,
            "remit-to-addresses": [
                {
                    "id": self.ids.take("addresses"),
                    "remit_to_code": f"RT{index:05d}",
                    "name": name[:60],
                    "street1": city_address["street1"],
                    "city": city,
                    "state": state,
                    "postal_code": postal,
                    "country": city_address["country"],
                    "active": True,
                }
            ],
            "supplier-sites": (
                [
                    {
                        "id": self.ids.take("supplier_sites"),
                        "code": f"S{index}-1",
                        "name": f"{city} site",
                        "active": True,
                    }
                ]
                if self.rng.random() < 0.3
                else []
            ),
            "on-hold": self.rng.random() < 0.03,
            "one_time_supplier": self.rng.random() < 0.02,
            "custom-fields": {"jde-address-number": number, "jde-search-type": "V"} if number else {},
        }
        return doc

    def _tax_id(self, country: str) -> str | None:
        if self.rng.random() < 0.1:
            return None
        if country == "US":
            return f"{self.rng.randint(10, 99)}-{self.rng.randint(1000000, 9999999)}"
        if country in _EURO:
            return f"{country}{self.rng.randint(100000000, 999999999)}"
        return f"{self.rng.randint(10**11, 10**12 - 1)}"

    @staticmethod
    def supplier_ref(doc: dict[str, Any]) -> SupplierRef:
        country = (doc.get("primary-address") or {}).get("country", {}).get("code", "US")
        currency = _CURRENCY_FOR_COUNTRY.get(country, "EUR" if country in _EURO else "USD")
        return SupplierRef(
            doc["id"],
            doc["name"],
            doc.get("number"),
            doc["status"],
            currency,
            doc["payment-term"]["id"],
            country,
        )

    # --- transactions ----------------------------------------------------------------------------

    def _account(self, currency: str, masters: Masters, *, active_only: bool = True) -> AccountRef:
        chart = _CHART_FOR_CURRENCY.get(currency, 0)
        accounts = masters.accounts_by_chart[chart]
        if active_only:
            # Cached per chart: this runs for every generated line.
            active = self._active_accounts.get(chart)
            if active is None:
                active = self._active_accounts[chart] = [a for a in accounts if a.active] or accounts
            return self.rng.choice(active)
        return self.rng.choice(accounts)

    def purchase_order(
        self,
        supplier: SupplierRef,
        created: dt.datetime,
        updated: dt.datetime,
        *,
        status: str | None = None,
        po_number: str | None = None,
    ) -> dict[str, Any]:
        masters = self.masters
        assert masters is not None
        po_id = self.ids.take("purchase_orders")
        decimals = masters.currency_decimals[supplier.currency]
        status = (
            status
            or self.rng.choices(
                (
                    "issued",
                    "closed",
                    "soft_closed",
                    "cancelled",
                    "buyer_hold",
                    "draft",
                    "supplier_hold",
                    "currency_hold",
                ),
                (55, 15, 5, 6, 5, 6, 4, 4),
            )[0]
        )
        lines = []
        need_by = created.date() + dt.timedelta(days=self.rng.randint(3, 60))
        for line_num in range(1, self.rng.choices((1, 2, 3, 4, 6, 8), (30, 25, 20, 12, 8, 5))[0] + 1):
            lines.append(
                self._order_line(
                    po_id, line_num, supplier.currency, decimals, created, updated, need_by, status
                )
            )
        total = sum(Decimal(line["total"]) for line in lines)
        exported = status in ("issued", "closed", "cancelled", "soft_closed") and self.rng.random() < 0.6
        version = self.rng.choices((1, 2, 3), (75, 20, 5))[0]
        doc = {
            "id": po_id,
            "created-at": utc_stamp(created),
            "updated-at": utc_stamp(updated),
            "po-number": po_number or self._po_number(po_id),
            "type": "OrderHeader" if self.rng.random() < 0.85 else "ExternalOrderHeader",
            "status": status,
            "version": version,
            "internal-revision": version + self.rng.choice((0, 0, 1)),
            "supplier": {"id": supplier.id},
            "supplier-site": None,
            "currency": {"id": masters.currencies[supplier.currency]},
            "payment-term": {"id": supplier.payment_term_id},
            "shipping-term": {"id": 1, "code": SHIPPING_TERMS[0][0], "description": SHIPPING_TERMS[0][1]},
            "ship-to-address": self._company_address(),
            "ship-to-user": self._user(),
            "requester": self._user(),
            "requisition-header": {"id": self.ids.take("requisitions")} if self.rng.random() < 0.7 else None,
            "order-lines": lines,
            "total": money(total, decimals),
            "invoice-total": money(0, decimals),
            "exported": exported,
            "last-exported-at": utc_stamp(updated) if exported else None,
            "transmission-status": "transmitted" if status != "draft" else "pending",
            "acknowledged-flag": status in ("issued", "closed") and self.rng.random() < 0.4,
            "custom-fields": {"jde-order-type": "OP", "jde-company": "00001"}
            if self.rng.random() < 0.5
            else {},
        }
        return doc

    def _po_number(self, po_id: int) -> str:
        if self.rng.random() < 0.01:
            return f"JDE-OP-{po_id:013d}"[-20:]  # exactly the 20-character maximum
        return f"PO-{po_id:06d}"

    def _order_line(
        self,
        po_id: int,
        line_num: int,
        currency: str,
        decimals: int,
        created: dt.datetime,
        updated: dt.datetime,
        need_by: dt.date,
        status: str,
    ) -> dict[str, Any]:
        line, total = self._generated_line(
            "order_lines", _ORDER_PRICING, line_num, currency, decimals, created, updated
        )
        received = (
            total
            if status == "closed"
            else (total * Decimal(self.rng.choice((0, 0, 0.5, 1)))).quantize(Decimal("0.01"))
        )
        return {
            **line,
            "commodity": {
                "id": 1 + line_num % 7,
                "name": self.rng.choice(("Construction", "MRO", "Services", "IT", "Fleet")),
            },
            "need-by-date": need_by.isoformat(),
            "received": money(received, decimals),
            "invoiced": money(0, decimals),
            "match-type": "three_way" if line["type"] == "OrderQuantityLine" else "two_way",
            "status": "closed"
            if status == "closed"
            else ("cancelled" if status == "cancelled" else "created"),
            "order-header-id": po_id,
            "version": 1,
        }

    def invoice(
        self,
        supplier: SupplierRef,
        created: dt.datetime,
        updated: dt.datetime,
        *,
        order: dict[str, Any] | None = None,
        status: str | None = None,
        invoice_number: str | None = None,
    ) -> dict[str, Any]:
        masters = self.masters
        assert masters is not None
        decimals = masters.currency_decimals[supplier.currency]
        invoice_id = self.ids.take("invoices")
        status = (
            status
            or self.rng.choices(
                (
                    "approved",
                    "pending_approval",
                    "draft",
                    "voided",
                    "disputed",
                    "ap_hold",
                    "pending_receipt",
                    "on_hold",
                    "abandoned",
                    "rejected",
                    "booking_hold",
                ),
                (48, 11, 6, 5, 3, 4, 5, 3, 4, 2, 2),
            )[0]
        )
        credit_note = status in ("approved", "pending_approval") and self.rng.random() < 0.05
        sign = Decimal(-1) if credit_note else Decimal(1)
        invoice_date = (created - dt.timedelta(days=self.rng.randint(0, 10))).date()
        lines = []
        if order is not None:
            for source in self.rng.sample(
                order["order-lines"], k=self.rng.randint(1, len(order["order-lines"]))
            ):
                lines.append(
                    self._invoice_line_from_order(
                        invoice_id, len(lines) + 1, source, order, sign, decimals, created, updated
                    )
                )
        else:
            for _ in range(self.rng.choices((1, 2, 3), (60, 30, 10))[0]):
                lines.append(
                    self._invoice_line(
                        invoice_id, len(lines) + 1, supplier.currency, sign, decimals, created, updated
                    )
                )
        gross = sum(Decimal(line["total"]) for line in lines)
        tax = (gross * Decimal(self.rng.choice(("0", "0", "0.0725", "0.19", "0.2", "0.13")))).quantize(
            Decimal(1).scaleb(-decimals)
        )
        shipping = Decimal(money(self.rng.choice((0, 0, 0, 25, 80)), decimals)) * sign
        term_days = masters.terms.get(supplier.payment_term_id, 30)
        exported = status in ("approved", "voided") and self.rng.random() < 0.7
        paid = status == "approved" and not credit_note and self.rng.random() < 0.45
        total_with_taxes = gross + tax + shipping
        payments: list[dict[str, Any]] = []
        payment_date = None
        if paid:
            payment_moment = min(
                created + dt.timedelta(days=term_days), self.anchor_moment - dt.timedelta(hours=2)
            )
            payment_moment = max(payment_moment, created)
            payment_date = utc_stamp(payment_moment)
            parts = (
                [total_with_taxes]
                if self.rng.random() < 0.8
                else [
                    (total_with_taxes / 2).quantize(Decimal(1).scaleb(-decimals)),
                    total_with_taxes - (total_with_taxes / 2).quantize(Decimal(1).scaleb(-decimals)),
                ]
            )
            for amount in parts:
                payments.append(
                    {
                        "id": self.ids.take("invoice_payments"),
                        "created-at": payment_date,
                        "updated-at": payment_date,
                        "amount-paid": money(amount, decimals),
                        "notes": f"JDE check {self.rng.randint(100000, 999999)}",
                        "payment-date": payment_date,
                        "payable-type": "InvoiceHeader",
                        "payable-id": invoice_id,
                    }
                )
        number = invoice_number or self._invoice_number(supplier, invoice_id)
        return {
            "id": invoice_id,
            "created-at": utc_stamp(created),
            "updated-at": utc_stamp(
                max(updated, dt.datetime.fromisoformat(payment_date.replace("Z", "+00:00")))
                if payment_date
                else updated
            ),
            "invoice-number": number,
            "invoice-date": invoice_date.isoformat(),
            "supplier": {"id": supplier.id},
            "currency": {"id": masters.currencies[supplier.currency]},
            "status": status,
            "document-type": "Credit Note" if credit_note else "Invoice",
            "is-credit-note": credit_note,
            "original-invoice-number": f"INV-{self.rng.randint(1000, 9999)}" if credit_note else None,
            "original-invoice-date": (invoice_date - dt.timedelta(days=30)).isoformat()
            if credit_note
            else None,
            "payment-term": {"id": supplier.payment_term_id},
            "net-due-date": (invoice_date + dt.timedelta(days=term_days)).isoformat(),
            "discount-due-date": None,
            "gross-total": money(gross, decimals),
            "total-with-taxes": money(total_with_taxes, decimals),
            "tax-amount": money(tax, decimals),
            "shipping-amount": money(shipping, decimals),
            "handling-amount": money(0, decimals),
            "misc-amount": money(0, decimals),
            "line-level-taxation": False,
            "account-type": {"id": masters.account_types[_CHART_FOR_CURRENCY.get(supplier.currency, 0)]},
            "bill-to-address": self._company_address(),
            "remit-to-address": None,
            "supplier-remit-to": None,
            "invoice-lines": lines,
            "invoice-charges": [],
            "tax-lines": [
                {
                    "id": self.ids.take("tax_lines"),
                    "amount": money(tax, decimals),
                    "rate": None,
                    "code": "TAX",
                }
            ]
            if tax
            else [],
            "approvals": [],
            "paid": paid,
            "payment-date": payment_date,
            "payment-notes": payments[0]["notes"] if payments else None,
            "payments": payments,
            "payment-channel": "erp",
            "exported": exported,
            "last-exported-at": utc_stamp(updated) if exported else None,
            "lock-version-key": self.rng.randint(1, 6),
            "custom-fields": {},
        }

    def _invoice_number(self, supplier: SupplierRef, invoice_id: int) -> str:
        draw = self.rng.random()
        if draw < 0.01:
            # Exactly the 40-character maximum.
            return f"{supplier.id:06d}-RECHNUNG-{invoice_id:024d}"[-40:]
        if draw < 0.05:
            # Supplier invoice numbers repeat across suppliers; uniqueness is per supplier.
            shared = f"INV-{1000 + invoice_id % 50}"
            if not self.invoice_number_taken(supplier.id, shared):
                self._shared_numbers.add((supplier.id, shared))
                return shared
        return f"{self.rng.choice(('INV', 'RE', 'FAC', 'F'))}-{invoice_id:07d}"

    def _invoice_line_from_order(
        self,
        invoice_id: int,
        line_num: int,
        source: dict[str, Any],
        order: dict[str, Any],
        sign: Decimal,
        decimals: int,
        created: dt.datetime,
        updated: dt.datetime,
    ) -> dict[str, Any]:
        quantity = source.get("quantity")
        price = Decimal(source["price"])
        total = (Decimal(quantity) * price if quantity else price) * sign
        return {
            **self._line(
                "invoice_lines",
                line_num,
                created,
                updated,
                line_type="InvoiceQuantityLine" if quantity else "InvoiceAmountLine",
                description=source["description"],
                quantity=quantity,
                price=str(price),
                total=money(total, decimals),
                uom=source["uom"],
                account=source["account"],
            ),
            "order-line-id": source["id"],
            "po-number": order["po-number"],
            "status": "accounted",
        }

    def _invoice_line(
        self,
        invoice_id: int,
        line_num: int,
        currency: str,
        sign: Decimal,
        decimals: int,
        created: dt.datetime,
        updated: dt.datetime,
    ) -> dict[str, Any]:
        line, _ = self._generated_line(
            "invoice_lines", _INVOICE_PRICING, line_num, currency, decimals, created, updated, sign
        )
        return {
            **line,
            "order-line-id": None,
            "po-number": None,
            "status": "accounted",
        }

    def _generated_line(
        self,
        table: str,
        pricing: _LinePricing,
        line_num: int,
        currency: str,
        decimals: int,
        created: dt.datetime,
        updated: dt.datetime,
        sign: Decimal = Decimal(1),
    ) -> tuple[dict[str, Any], Decimal]:
        """A line charged to an active account of the currency's chart, priced by ``pricing``; with its
        unrounded total."""
        masters = self.masters
        assert masters is not None
        account = self._account(currency, masters)
        description, uom, unit, total, line_type, quantity = self._priced(pricing, decimals, sign)
        line = self._line(
            table,
            line_num,
            created,
            updated,
            line_type=line_type,
            description=description,
            quantity=quantity,
            price=str(unit),
            total=money(total, decimals),
            uom=_uom(uom),
            account={"id": account.id},
        )
        return line, total

    def _priced(
        self, pricing: _LinePricing, decimals: int, sign: Decimal = Decimal(1)
    ) -> tuple[str, str, Decimal, Decimal, str, str | None]:
        """A goods line (a quantity at a catalog price, varied) or a service line (an amount):
        description, unit of measure, unit price, total, line type and quantity text."""
        if self.rng.random() < pricing.goods_share:
            description, uom, price = self.rng.choice(GOODS)
            quantity = Decimal(self.rng.choice(pricing.quantities))
            if pricing.half_share:
                quantity /= 2 if self.rng.random() < pricing.half_share else 1
            unit = Decimal(str(price)) * Decimal(str(self.rng.uniform(*pricing.price_spread)))
            unit_price = Decimal(money(unit, max(decimals, 2)))
            line_type = f"{pricing.prefix}QuantityLine"
            return (
                description,
                uom,
                unit_price,
                quantity * unit_price * sign,
                line_type,
                quantity_text(quantity),
            )
        description = self.rng.choice(SERVICES)
        unit_price = Decimal(money(self.rng.uniform(*pricing.service_range), decimals))
        return description, "EA", unit_price, unit_price * sign, f"{pricing.prefix}AmountLine", None

    def _line(
        self,
        table: str,
        line_num: int,
        created: dt.datetime,
        updated: dt.datetime,
        *,
        line_type: str,
        description: str,
        quantity: str | None,
        price: str,
        total: str,
        uom: dict[str, Any],
        account: dict[str, Any],
    ) -> dict[str, Any]:
        """The elements every generated order or invoice line starts with, in schema order."""
        return {
            "id": self.ids.take(table),
            "created-at": utc_stamp(created),
            "updated-at": utc_stamp(updated),
            "line-num": line_num,
            "type": line_type,
            "description": description,
            "quantity": quantity,
            "price": price,
            "total": total,
            "uom": uom,
            "account": account,
            "account-allocations": [],
        }

    def coupa_payment(
        self,
        invoices: list[dict[str, Any]],
        created: dt.datetime,
        updated: dt.datetime,
        *,
        status: str | None = None,
    ) -> dict[str, Any]:
        """A Coupa Pay payment settling one or more approved invoices of one supplier."""
        masters = self.masters
        assert masters is not None
        currency_id = invoices[0]["currency"]["id"]
        code = next(code for code, cid in masters.currencies.items() if cid == currency_id)
        decimals = masters.currency_decimals[code]
        details = [
            {
                "id": self.ids.take("payment_details"),
                "source-transaction-id": invoice["id"],
                "source-transaction-reference": invoice["invoice-number"],
                "source-transaction-type": "InvoiceHeader",
                "payment-total": invoice["total-with-taxes"],
                "currency": {"id": currency_id},
            }
            for invoice in invoices
        ]
        total = sum(Decimal(detail["payment-total"]) for detail in details)
        status = (
            status
            or self.rng.choices(
                (
                    "completed_successfully",
                    "payment_initiated",
                    "payment_in_progress",
                    "completed_with_errors",
                    "approved",
                    "draft",
                ),
                (60, 12, 10, 6, 7, 5),
            )[0]
        )
        exported = status in ("completed_successfully", "completed_with_errors") and self.rng.random() < 0.6
        supplier_account_types = ("CoupaPay::SupplierPaymentAccount", "CoupaPay::VirtualCardPaymentAccount")
        return {
            "id": self.ids.take("payments"),
            "created-at": utc_stamp(created),
            "updated-at": utc_stamp(updated),
            "status": status,
            "exported": exported,
            "last-exported-at": utc_stamp(updated) if exported else None,
            "pay-from-total": money(total, decimals),
            "pay-to-total": money(total, decimals),
            "exchange-rate": "1.0",
            "pay-from-currency": {"id": currency_id},
            "pay-to-currency": {"id": currency_id},
            "pay-to-account": {
                "id": self.ids.take("pay_accounts"),
                "type": self.rng.choices(supplier_account_types, (85, 15))[0],
                "name": f"Supplier account {invoices[0]['supplier']['id']}",
            },
            "payment-details": details,
        }


def load_masters(store: Store) -> Masters:
    """Rebuild the reference lists from the database (for activity after a seed or a restart)."""
    from .schema import RESOURCES

    currencies = {doc["code"]: doc["id"] for doc in store.select(RESOURCES["currencies"])}
    decimals = {doc["code"]: doc.get("decimals", 2) for doc in store.select(RESOURCES["currencies"])}
    terms = {
        doc["id"]: doc.get("days-for-net-payment", 30) for doc in store.select(RESOURCES["payment_terms"])
    }
    type_ids = [doc["id"] for doc in store.select(RESOURCES["account_types"])]
    by_chart: dict[int, list[AccountRef]] = {index: [] for index in range(len(type_ids))}
    for doc in store.select(RESOURCES["accounts"]):
        type_id = (doc.get("account-type") or {}).get("id")
        if type_id in type_ids:
            chart = type_ids.index(type_id)
            by_chart[chart].append(AccountRef(doc["id"], doc["code"], bool(doc.get("active")), chart))
    suppliers = [DataFactory.supplier_ref(doc) for doc in store.select(RESOURCES["suppliers"])]
    return Masters(currencies, decimals, terms, type_ids, by_chart, suppliers)
