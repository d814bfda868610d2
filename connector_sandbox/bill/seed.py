"""Deterministic, realistic, cross-consistent data for every sandbox organization.

Per organization: a chart of accounts (bank, payables, expense and cost-of-goods accounts, two archived),
departments, locations, classes, items, jobs, employees, funding accounts, then vendors (the special
names of ``vocabulary`` first: umlauts, CJK, apostrophes, commas, quotes, colons, and names of exactly
the maximum length), bills with 1-5 lines classified by expense account + department, and the payments
that explain each bill's paymentStatus (cleared, partial, scheduled, canceled, voided).

Timestamps: a year of history before the anchor date. About 15 % of records share one ``updatedTime``
(a mass update three weeks back, 02:00:00.000 UTC) and another 10 % a dozen nightly stamps (18:00:00.000),
so "updated since" cursors meet long runs of identical values. Rows are written in chunks: memory stays
bounded at any scale.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connector_sandbox.seeding import SeedReport, seed_kept_anchored

from . import vocabulary as words
from .documents import new_bill_doc, new_payment_doc, new_vendor_doc, refresh_bill, set_payment_status, stamp
from .formats import new_id
from .resources import BILLS, CLASSIFICATIONS, PAYMENTS, VENDORS
from .settings import BillSandboxSettings, Organization
from .store import Store
from .validation import FIELD_LIMITS

DAY_MS = 86_400_000
CHUNK = 2000


def _ms(day: dt.date, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(
        dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.UTC).timestamp() * 1000
    )


def fit(text: str, length: int) -> str:
    """``text`` cut or padded (with a repeat of itself) to exactly ``length`` characters."""
    while len(text) < length:
        text = f"{text} {text}"
    return text[:length].rstrip() + "X" * (length - len(text[:length].rstrip()))


@dataclass
class References:
    """Ids a new record may point at, per organization."""

    expense_accounts: list[str] = field(default_factory=list)
    bank_accounts: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    funding: dict[str, str] = field(default_factory=dict)  # type -> id
    approvers: list[str] = field(default_factory=list)


class DataFactory:
    """Makes vendors, bills and payments for one organization; used by the seed and by activity."""

    def __init__(self, org: Organization, rng: random.Random, anchor: dt.date, user_id: str) -> None:
        self.org = org
        self.rng = rng
        self.anchor = anchor
        self.anchor_ms = _ms(anchor)
        self.start_ms = self.anchor_ms - 365 * DAY_MS
        self.mass_update_ms = _ms(anchor - dt.timedelta(days=21), 2)
        self.nightly_ms = [_ms(anchor - dt.timedelta(days=days), 18) for days in range(1, 13)]
        self.user_id = user_id
        # Where the seeded payments' history ends (``BillSandboxSettings.payments_quiet_days``); the anchor
        # unless a world keeps its last days quiet.
        self.payments_end_ms = self.anchor_ms
        self.refs = References(approvers=[new_id("user", rng) for _ in range(3)])
        self._names: set[str] = set()
        self._invoice_counter = 0

    # -- time ---------------------------------------------------------------------------------------

    def created_ms(self) -> int:
        return self.rng.randrange(self.start_ms, self.anchor_ms - 3_600_000)

    def updated_ms(self, created: int) -> int:
        roll = self.rng.random()
        if roll < 0.15 and created <= self.mass_update_ms:
            return self.mass_update_ms
        if roll < 0.25:
            later = [stamp_ms for stamp_ms in self.nightly_ms if stamp_ms >= created]
            if later:
                return self.rng.choice(later)
        if roll < 0.55:
            return created
        return self.rng.randrange(created, self.anchor_ms)

    # -- classifications ----------------------------------------------------------------------------

    def _classification(self, kind: str, name: str, ms: int, **extra: Any) -> dict[str, Any]:
        doc = {"id": new_id(kind, self.rng), "name": name, "archived": False, "_kind": kind, **extra}
        stamp(doc, ms, created=True)
        return doc

    def classifications(self) -> Iterator[dict[str, Any]]:
        ms = self.start_ms - 30 * DAY_MS
        parents: dict[str, str] = {}
        for number, name, account_type in words.CHART_OF_ACCOUNTS:
            doc = self._classification("chart-of-accounts", name, ms, accountNumber=number, type=account_type)
            parent = parents.get(number[:2])
            if parent and account_type in words.EXPENSE_TYPES:
                doc["parentId"] = parent
            parents.setdefault(number[:2], doc["id"])
            if number in words.ARCHIVED_ACCOUNT_NUMBERS:
                doc["archived"] = True
                stamp(doc, self.mass_update_ms)
            elif account_type in words.EXPENSE_TYPES:
                self.refs.expense_accounts.append(doc["id"])
            elif account_type == "BANK":
                self.refs.bank_accounts.append(doc["id"])
            yield doc
        long_name = fit("Rückstellungen für ausstehende Rechnungen aus Subunternehmerleistungen", 100)
        doc = self._classification(
            "chart-of-accounts", long_name, ms, accountNumber="5999-" + "9" * 25, type="COST_OF_GOODS_SOLD"
        )
        self.refs.expense_accounts.append(doc["id"])
        yield doc
        for name in words.DEPARTMENTS:
            doc = self._classification("departments", name, ms)
            if name in words.ARCHIVED_DEPARTMENTS:
                doc["archived"] = True
                stamp(doc, self.mass_update_ms)
            else:
                self.refs.departments.append(doc["id"])
            yield doc
        for kind, names, target in (
            ("locations", words.LOCATIONS, self.refs.locations),
            ("accounting-classes", words.ACCOUNTING_CLASSES, self.refs.classes),
            ("items", words.ITEMS, self.refs.items),
            ("jobs", words.JOBS, None),
            ("employees", words.EMPLOYEES, None),
        ):
            for name in names:
                doc = self._classification(kind, name, ms)
                if target is not None:
                    target.append(doc["id"])
                yield doc

    def funding_accounts(self) -> list[dict[str, Any]]:
        accounts = [
            ("BANK_ACCOUNT", "Operating account ••••4821"),
            ("CARD_ACCOUNT", "Visa Business ••••1007"),
            ("WALLET", "BILL balance"),
            ("AP_CARD", "BILL Divvy Card"),
        ]
        docs = []
        for kind, name in accounts:
            doc = {"id": new_id(kind, self.rng), "type": kind, "name": name}
            self.refs.funding[kind] = doc["id"]
            docs.append(doc)
        return docs

    # -- vendors ------------------------------------------------------------------------------------

    def _unique_name(self, base: str, city: str) -> str:
        name = base
        if name in self._names:
            name = f"{base} ({city})"
        counter = 2
        while name in self._names:
            name = f"{base} ({city}) {counter}"
            counter += 1
        self._names.add(name)
        return name[: FIELD_LIMITS["vendor.name"]]

    def vendor_fields(self, position: int) -> tuple[dict[str, Any], dict[str, str] | None]:
        rng = self.rng
        specials = words.SPECIAL_VENDORS
        if position < len(specials):
            name, country, currency, city, state, zip_code = specials[position]
            name = self._unique_name(name, city)
        elif position < len(specials) + len(words.LONG_NAME_SEEDS):
            seed_name = words.LONG_NAME_SEEDS[position - len(specials)]
            name, country, currency = fit(seed_name, FIELD_LIMITS["vendor.name"]), "US", "USD"
            city, state, zip_code = words.US_CITIES[0]
            self._names.add(name)
        else:
            city, state, zip_code = rng.choice(words.US_CITIES)
            country, currency = "US", "USD"
            if rng.random() < 0.05:
                base = rng.choice(words.PERSON_NAMES)
            else:
                base = " ".join(
                    (
                        rng.choice(words.NAME_PREFIXES),
                        rng.choice(words.NAME_CORES),
                        rng.choice(words.NAME_SUFFIXES),
                    )
                )
            name = self._unique_name(base, city)
        person = name in words.PERSON_NAMES
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20] or f"vendor{position}"
        fields: dict[str, Any] = {
            "name": name,
            "shortName": name.split(" ")[0][: FIELD_LIMITS["vendor.shortName"]],
            "accountType": "PERSON" if person else "BUSINESS",
            "email": f"ap@{slug}.example",
            "phone": f"503555{rng.randrange(10_000):04d}",
            "billCurrency": currency,
            "address": {
                "line1": f"{rng.randrange(1, 9999)} {rng.choice(words.STREETS)}",
                "city": city,
                "stateOrProvince": state,
                "zipOrPostalCode": zip_code,
                "country": country,
            },
            "paymentInformation": {"payeeName": name},
        }
        if position == len(specials):  # one vendor with every field at its maximum length
            fields["shortName"] = fit("Großhandel", FIELD_LIMITS["vendor.shortName"])
            fields["address"]["line1"] = fit(
                "Industriestraße 1234, Gewerbegebiet Nord", FIELD_LIMITS["address.line1"]
            )
            fields["address"]["city"] = fit("Garmisch-Partenkirchen-Süd", FIELD_LIMITS["address.city"])
        if country == "US" and rng.random() < 0.7:
            fields["additionalInfo"] = {
                "taxId": f"{rng.randrange(10, 99)}-{rng.randrange(10**7):07d}",
                "taxIdType": "EIN",
            }
        elif country != "US":
            fields["additionalInfo"] = {"taxId": f"{country}{rng.randrange(10**9):09d}", "taxIdType": "VAT"}
        bank = None
        if country == "US" and rng.random() < 0.6:
            bank = {"nameOnAccount": name, "last4": f"{rng.randrange(10_000):04d}", "type": "CHECKING"}
        return fields, bank

    def vendor(self, position: int, created: int, updated: int) -> dict[str, Any]:
        fields, bank = self.vendor_fields(position)
        network = self.rng.choices(("NOT_CONNECTED", "CONNECTED", "PENDING"), (80, 15, 5))[0]
        doc = new_vendor_doc(new_id("vendor", self.rng), fields, bank, created, network=network)
        if position >= 20 and self.rng.random() < 0.05:
            doc["archived"] = True
        stamp(doc, max(updated, created))
        return doc

    # -- bills --------------------------------------------------------------------------------------

    def line_id(self) -> str:
        return new_id("line_item", self.rng)

    def bill_fields(self, vendor: dict[str, Any], created: int) -> dict[str, Any]:
        rng, refs = self.rng, self.refs
        invoice_day = dt.datetime.fromtimestamp(created / 1000, dt.UTC).date() - dt.timedelta(
            days=rng.randrange(0, 10)
        )
        self._invoice_counter += 1
        number = f"INV-{invoice_day:%Y%m}-{self._invoice_counter:05d}"
        if self._invoice_counter % 97 == 0:
            number = fit(
                f"INV/{vendor['name'][:12]}/{self._invoice_counter}/Nachtrag-Änderung",
                FIELD_LIMITS["invoice.invoiceNumber"],
            )
        lines = []
        for _ in range(rng.choices((1, 2, 3, 4, 5), (35, 25, 20, 12, 8))[0]):
            line: dict[str, Any] = {"description": rng.choice(words.LINE_DESCRIPTIONS)}
            if rng.random() < 0.4:
                quantity = rng.randrange(1, 40)
                price_cents = rng.randrange(150, 90_000)
                line.update(quantity=float(quantity), price=price_cents / 100, _cents=quantity * price_cents)
            else:
                line["_cents"] = rng.randrange(1_000, 2_500_000)
            classifications = {
                "chartOfAccountId": rng.choice(refs.expense_accounts),
                "departmentId": rng.choice(refs.departments),
            }
            if rng.random() < 0.3:
                classifications["locationId"] = rng.choice(refs.locations)
            if rng.random() < 0.2:
                classifications["accountingClassId"] = rng.choice(refs.classes)
            line["classifications"] = classifications
            lines.append(line)
        fields: dict[str, Any] = {
            "vendor": vendor,
            "invoice": {"invoiceNumber": number, "invoiceDate": invoice_day.isoformat()},
            "dueDate": (invoice_day + dt.timedelta(days=rng.choice((15, 30, 30, 45, 60)))).isoformat(),
            "description": rng.choice(words.BILL_DESCRIPTIONS),
            "billLineItems": lines,
        }
        if self._invoice_counter % 151 == 0:
            fields["description"] = fit(
                "Leistungszeitraum März – Baustelle Nord; siehe Anlage. ", FIELD_LIMITS["bill.description"]
            )
        if rng.random() < 0.5:
            fields["purchaseOrderNumber"] = f"PO-{rng.randrange(1000, 99999)}"
        if rng.random() < 0.3 and refs.bank_accounts:
            fields["payFromChartOfAccountId"] = refs.bank_accounts[0]
        return fields

    def bill(self, vendor: dict[str, Any], created: int, updated: int) -> dict[str, Any]:
        rng = self.rng
        status = rng.choices(
            ("UNASSIGNED", "ASSIGNED", "APPROVING", "APPROVED", "DENIED"), (70, 10, 8, 10, 2)
        )[0]
        approvals = []
        if status != "UNASSIGNED":
            for order, approver in enumerate(self.refs.approvers[: rng.randrange(1, 4)], start=1):
                approvals.append({"userId": approver, "approverOrder": order, "status": "WAITING"})
            if status == "APPROVED":
                for approval in approvals:
                    approval["status"] = "APPROVED"
            elif status == "DENIED":
                approvals[0]["status"] = "DENIED"
            elif status == "APPROVING":
                approvals[0]["status"] = "APPROVED"
        doc = new_bill_doc(
            new_id("bill", rng),
            self.bill_fields(vendor, created),
            self.user_id,
            created,
            self.line_id,
            approval_status=status,
            approvals=approvals,
        )
        stamp(doc, max(updated, created))
        return doc

    # -- payments -----------------------------------------------------------------------------------

    def payment(
        self,
        vendor: dict[str, Any],
        bill: dict[str, Any],
        cents: int,
        when: int,
        single_status: str,
        *,
        online: bool = True,
    ) -> dict[str, Any]:
        rng = self.rng
        process_day = dt.datetime.fromtimestamp(when / 1000, dt.UTC).date() + dt.timedelta(days=1)
        by = (vendor.get("paymentInformation") or {}).get("payByType")
        kind = "ACH" if by == "ACH" else "CHECK"
        doc = new_payment_doc(
            new_id("payment", rng),
            vendor,
            [(new_id("bill_payment", rng), bill["id"], cents)],
            process_day.isoformat(),
            funding={"type": "BANK_ACCOUNT", "id": self.refs.funding["BANK_ACCOUNT"]} if online else None,
            single_status="SCHEDULED",
            disbursement_type=kind if online else "OFFLINE",
            online=online,
            created_by=self.user_id,
            ms=when,
            transaction_number="".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(20)),
            confirmation_number=f"P{process_day:%y%m%d}01 - {rng.randrange(10**7):07d}",
            check_number=str(rng.randrange(10_000, 99_999)) if kind == "CHECK" and online else None,
        )
        if single_status != "SCHEDULED":
            set_payment_status(doc, single_status, min(when + 2 * DAY_MS, self.payments_end_ms - 60_000))
        return doc

    def settle(self, vendor: dict[str, Any], bill: dict[str, Any]) -> list[dict[str, Any]]:
        """Payments that explain the bill's state, applied to the bill (paid / scheduled cents)."""
        rng = self.rng
        if bill["archived"] or bill["approvalStatus"] == "DENIED":
            return []
        roll = rng.random()
        amount = bill["_amountCents"]
        end = self.payments_end_ms
        when = min(bill["_createdMs"] + rng.randrange(1, 40) * DAY_MS, end - 3_600_000)
        payments: list[dict[str, Any]] = []
        if roll < 0.45:
            payments.append(self.payment(vendor, bill, amount, when, "CLEARED", online=rng.random() < 0.7))
            bill["_paidCents"] = amount
        elif roll < 0.53:
            part = max(1, amount // rng.choice((2, 3, 4)))
            payments.append(self.payment(vendor, bill, part, when, "CLEARED"))
            bill["_paidCents"] = part
        elif roll < 0.59:
            payments.append(
                self.payment(vendor, bill, amount, end - rng.randrange(1, 72) * 3_600_000, "SCHEDULED")
            )
            bill["_scheduledCents"] = amount
        elif roll < 0.62:
            canceled = self.payment(vendor, bill, amount, when, "CANCELED")
            canceled["cancelRequestSubmitted"] = True
            payments.append(canceled)
        elif roll < 0.63:
            voided = self.payment(vendor, bill, amount, when, "VOIDED")
            voided["voidInfo"] = {"voidDate": voided["updatedTime"][:10], "voidReason": "Check lost in mail"}
            payments.append(voided)
        if payments:
            refresh_bill(bill)
            latest = max(payment["_updatedMs"] for payment in payments)
            if latest > bill["_updatedMs"]:
                stamp(bill, latest)
        return payments


def seed_organization(
    store: Store, settings: BillSandboxSettings, org: Organization, anchor: dt.date
) -> None:
    rng = random.Random(f"{settings.seed}:{org.id}")
    factory = DataFactory(org, rng, anchor, settings.user_id)
    factory.payments_end_ms -= settings.payments_quiet_days * DAY_MS
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in factory.classifications():
        by_kind.setdefault(doc["_kind"], []).append(doc)
    for kind, docs in by_kind.items():
        store.put_many(CLASSIFICATIONS[kind], org.id, docs)
    for account in factory.funding_accounts():
        store.put_funding_account(org.id, account)

    vendor_count = max(len(words.SPECIAL_VENDORS) + 8, round(400 * settings.scale))
    vendors: list[dict[str, Any]] = []
    for position in range(vendor_count):
        created = factory.created_ms() if position >= len(words.SPECIAL_VENDORS) else factory.start_ms
        vendors.append(factory.vendor(position, created, factory.updated_ms(created)))
    for start in range(0, len(vendors), CHUNK):
        store.put_many(VENDORS, org.id, vendors[start : start + CHUNK])

    active = [vendor for vendor in vendors if not vendor["archived"]]
    slim = [
        {key: vendor[key] for key in ("id", "name", "billCurrency", "paymentInformation")}
        for vendor in active
    ]
    bill_count = max(40, round(3000 * settings.scale))
    bills: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for _ in range(bill_count):
        vendor = rng.choice(slim)
        created = factory.created_ms()
        bill = factory.bill(vendor, created, factory.updated_ms(created))
        if rng.random() < 0.02:
            bill["archived"] = True
        payments.extend(factory.settle(vendor, bill))
        bills.append(bill)
        if len(bills) >= CHUNK:
            store.put_many(BILLS, org.id, bills)
            store.put_many(PAYMENTS, org.id, payments)
            bills, payments = [], []
    store.put_many(BILLS, org.id, bills)
    store.put_many(PAYMENTS, org.id, payments)


# Bumped when the seeded tables change: a kept file of another layout is refused (``seed_kept``).
SEED_LAYOUT = 1


def seed(store: Store, settings: BillSandboxSettings) -> SeedReport:
    """Every organization's data, unless ``store`` is a kept file already seeded so (``seed_kept``)."""
    return seed_kept_anchored(store, settings, SEED_LAYOUT, _fill)


def _fill(store: Store, settings: BillSandboxSettings, anchor: dt.date) -> None:
    with store.transaction():
        for org in settings.organizations:
            seed_organization(store, settings, org, anchor)
