"""Seeds one Procurify customer: deterministic for (seed, scale, anchor date), bounded in memory.

Scale 1 is a mid-sized customer: 1,500 vendors, ~270 account codes, 40 departments, 3,000
requisitions with ~7,000 lines, ~2,900 purchase orders, ~2,100 bills and ~900 payments over 400 days
(about 0.7 s to seed; scale 100 takes about 80 s and stays near 110 MB of memory). Master data
grows with the square root of larger scales (a big customer has more vendors, not a hundred times
more) while transactions grow linearly. Stories are generated in time order and
inserted in chunks, each chunk one transaction, so Python memory does not grow with the scale.

Deliberate edge cases: vendor names in many scripts and exactly 150 characters long, inactive
duplicates of active vendor names (deleted vendors stay as inactive rows), an external_id of 100
characters, a department name of 150 and an account code of 50 characters, PO_Num values of 30, invoice
numbers of 50 characters, and the shared timestamps described in ``factory.Clock``. Those an ERP holds
less of (the 150-character vendor names, the 50-character invoice numbers) and bills spanning an ERP's
companies are planted faults: seeded only with ``planted_faults`` (the tests' world, ``budgets``);
``make dev`` seeds without them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import unicodedata

from connector_sandbox import seeding
from connector_sandbox.seeding import SeedReport, anchor_day, seed_kept_anchored

from .budgets import HEAD_OFFICE, department_location, opened, pool_location
from .factory import Catalog, Clock, Counters, DataFactory, History
from .formats import stored
from .settings import ProcurifySandboxSettings
from .store import Store
from .vocabulary import (
    ACCOUNT_CODES,
    CURRENCIES,
    DECIMAL_CURRENCY_VENDORS,
    DEPARTMENT_NAMES,
    EXPENSE_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    LOCATIONS,
    MAX_LENGTH_DEPARTMENT_NAME,
    MAX_LENGTH_VENDOR_NAMES,
    PAYMENT_METHODS,
    PAYMENT_TERMS,
    SHIPPING_METHODS,
    SHIPPING_TERMS,
    SIGNATURE_VENDORS,
    STREETS,
    vendor_name,
)

_CHUNK_STORIES = 400
JDE_NAME_MAX = 40  # F0101.ALPH: a vendor name the JDE side can hold, in the world without planted faults
MAX_LENGTH_ACCOUNT_CODE = "6990.100.200-SITE-OVERHEAD-EQUIPEMENT-TEMPORAIRE-0"
MAX_LENGTH_ACCOUNT_DESCRIPTION = (
    "Équipement temporaire de chantier, location courte durée, transport et installation inclus — "
    "refacturable au client selon l'avenant n° 7 du contrat-cadre, hors carburant et hors main-d'œuvre."
    " TVA 20 %"
)
assert len(MAX_LENGTH_ACCOUNT_DESCRIPTION) == 200 and len(MAX_LENGTH_ACCOUNT_CODE) == 50
OTHER_VENDOR_ID = 1  # Procurify's special non-vendor bucket (type 1 OTHER)
HIDDEN_VENDOR_ID = 2


SeedPlan = seeding.seed_plan(
    users=seeding.master_data(60, at_least=8),
    departments=seeding.master_data(40, at_least=8),
    generated_account_codes=seeding.master_data(250, at_least=6),
    vendors=seeding.master_data(1500, at_least=len(SIGNATURE_VENDORS) + len(MAX_LENGTH_VENDOR_NAMES) + 12),
    requisitions=seeding.transactions(3000, at_least=40),
    expense_bills=seeding.transactions(300, at_least=8),
)


def anchor_for(settings: ProcurifySandboxSettings) -> dt.datetime:
    return _midnight(anchor_day(settings))


def _midnight(day: dt.date) -> dt.datetime:
    """The moment ``day`` starts (UTC): the seeded history ends just before it."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())[:20]


# Bumped when the seeded tables change: a kept file of another layout is refused (``seed_kept``).
SEED_LAYOUT = 2  # 2: currencies with their decimals (JPY, KWD), money in its currency's minor unit


def seed(store: Store, settings: ProcurifySandboxSettings) -> SeedReport:
    """The customer's data, unless ``store`` is a kept file already seeded so (``seed_kept``)."""
    return seed_kept_anchored(store, settings, SEED_LAYOUT, _fill)


def _fill(store: Store, settings: ProcurifySandboxSettings, anchor: dt.date) -> None:
    plan = SeedPlan.for_scale(settings.scale)
    clock = Clock(_midnight(anchor))
    _master_data(store, settings, plan, clock)
    catalog = Catalog.load(store)
    rng = random.Random(f"{settings.seed}:history")
    factory = DataFactory(rng, clock, catalog, Counters(), planted_faults=settings.planted_faults)
    _history(store, factory, plan, clock)
    _decimal_currency_vendors(store, settings, clock)


def _master_data(store: Store, settings: ProcurifySandboxSettings, plan: SeedPlan, clock: Clock) -> None:
    rng = random.Random(f"{settings.seed}:master")
    with store.transaction():
        store.insert(
            "currencies",
            (
                {"id": i, "name": n, "rate": r, "is_base": int(b), "decimals": d}
                for i, n, r, b, d in CURRENCIES
            ),
        )
        app = settings.applications[0]
        users = [
            {
                "id": 1,
                "email": app.user_email,
                "first_name": app.user_first_name,
                "last_name": app.user_last_name,
            }
        ]
        for user_id in range(2, plan.users + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{_slug(first) or 'user'}.{_slug(last) or 'x'}{user_id}@{settings.domain}.example"
            users.append({"id": user_id, "email": email, "first_name": first, "last_name": last})
        store.insert("users", users)
        currency_ids = {name: currency_id for currency_id, name, *_rest in CURRENCIES}
        store.insert(
            "locations",
            (
                {
                    "id": i,
                    "name": name,
                    "headquarter": int(hq),
                    "address_line_one": f"{100 * i} {STREETS[i % len(STREETS)]}",
                    "city": city,
                    "state_province": state,
                    "postal_code": postal,
                    "country": country,
                    "active": 1,
                    "currency_id": currency_ids[currency],
                }
                for i, (name, hq, city, state, postal, country, currency) in enumerate(LOCATIONS, start=1)
            ),
        )
        terms, term_id = [], 0
        for kind, values in (
            ("payment_term", PAYMENT_TERMS),
            ("shipping_term", SHIPPING_TERMS),
            ("payment_method", PAYMENT_METHODS),
            ("shipping_method", SHIPPING_METHODS),
        ):
            for name, description in values:
                term_id += 1
                terms.append(
                    {"id": term_id, "kind": kind, "name": name, "description": description, "active": 1}
                )
        store.insert("terms", terms)
        store.insert(
            "contracts",
            ({"id": i, "name": f"Master Supply Agreement {2023 + i}"} for i in range(1, 6)),
        )
        store.insert("departments", _departments(rng, plan, clock, settings.domain))
        codes = _account_codes(rng, plan, clock)
        store.insert("account_codes", codes)
        store.insert("accounts", _accounts(rng, codes, plan, clock, settings.planted_faults))
        store.insert("vendors", _vendors(rng, plan, clock, terms, settings.planted_faults))


def _departments(rng: random.Random, plan: SeedPlan, clock: Clock, domain: str) -> list[dict]:
    rows = []
    per_round = len(LOCATIONS) * len(DEPARTMENT_NAMES)
    for index in range(plan.departments):
        location_id = department_location(index + 1)
        name = DEPARTMENT_NAMES[(index // len(LOCATIONS)) % len(DEPARTMENT_NAMES)]
        if index >= per_round:
            name = f"{name} {index // per_round + 1}"
        department_id = index + 1
        external_id = f"JDE-BU-{department_id:05d}" if rng.random() < 0.8 else None
        rows.append(
            {
                "id": department_id,
                "name": name,
                "external_id": external_id,
                "active": 0 if index > 5 and rng.random() < 0.08 else 1,
                "branch_id": location_id,
                "punchout_email": f"punchout+{department_id}@{domain}.example"
                if rng.random() < 0.2
                else None,
                "modified_at": stored(clock.modified(rng, clock.created(rng))),
            }
        )
    rows[1]["name"] = MAX_LENGTH_DEPARTMENT_NAME
    rows[2]["external_id"] = ("JDE-BU-" + "0123456789" * 10)[:100]
    return rows


def _account_codes(rng: random.Random, plan: SeedPlan, clock: Clock) -> list[dict]:
    rows = []

    def add(code: str, description: str, account_type: int, parent: int | None, active: bool = True) -> int:
        code_id = len(rows) + 1
        rows.append(
            {
                "id": code_id,
                "code": code,
                "description": description,
                "account_type": account_type,
                "active": int(active),
                "parent_id": parent,
                "modified_at": stored(clock.modified(rng, clock.created(rng))),
            }
        )
        return code_id

    by_code: dict[str, int] = {}
    for code, description, account_type in ACCOUNT_CODES:
        parent = by_code.get(code[0] + "000") if not code.endswith("000") else None
        by_code[code] = add(code, description, account_type, parent)
    expense_parent = by_code["6000"]
    for index in range(plan.generated_account_codes):
        word = EXPENSE_WORDS[index % len(EXPENSE_WORDS)]
        code = f"{7000 + index}" if index % 5 else f"6100-{index:02d}"
        add(code, f"{word} — cost pool {index + 1}", 5, expense_parent, active=rng.random() > 0.1)
    add(MAX_LENGTH_ACCOUNT_CODE, MAX_LENGTH_ACCOUNT_DESCRIPTION, 5, expense_parent)
    return rows


def _accounts(
    rng: random.Random, codes: list[dict], plan: SeedPlan, clock: Clock, planted: bool = True
) -> list[dict]:
    """Budget lines: every department gets the named expense codes and a share of the generated ones;
    without planted faults, only those of its own location (``budgets``), at the share that gives it as
    many. The same random draws either way, so the rest of the seed does not move."""
    expense = [code for code in codes if code["account_type"] == 5 and code["parent_id"] is not None]
    named = [code for code in expense if code["id"] <= len(ACCOUNT_CODES)]
    share = min(1.0, 30 / max(1, len(expense)))
    local_share = min(1.0, share * len(LOCATIONS))
    homes = {code["id"]: _home(code, plan) for code in expense}
    rows = []
    for department_id in range(1, plan.departments + 1):
        for code in expense:
            drawn = None if code in named else rng.random()
            if planted:
                chosen = drawn is None or drawn < share
            else:
                local = opened(homes[code["id"]], department_id)
                chosen = local and (drawn is None or drawn < local_share)
            if chosen:
                rows.append(
                    {
                        "id": len(rows) + 1,
                        "account_code_id": code["id"],
                        "department_id": department_id,
                        "active": 0 if rng.random() < 0.03 else 1,
                        "in_effect": 1 if rng.random() < 0.97 else 0,
                        "modified_at": stored(clock.modified(rng, clock.created(rng))),
                    }
                )
    return rows


def _home(code: dict, plan: SeedPlan) -> int | None:
    """A code's location in the world without planted faults (``budgets``): None for a named code; the
    generated pools dealt round the locations; the long code after them, at the head office."""
    index = code["id"] - len(ACCOUNT_CODES) - 1
    if index < 0:
        return None
    return pool_location(index) if index < plan.generated_account_codes else HEAD_OFFICE


def _vendors(
    rng: random.Random, plan: SeedPlan, clock: Clock, terms: list[dict], planted: bool = True
) -> list[dict]:
    term_ids = {kind: [t["id"] for t in terms if t["kind"] == kind] for kind in {t["kind"] for t in terms}}
    country_currency = {"US": 3, "CA": 1, "DE": 2, "FR": 2, "ES": 2, "IE": 2, "GR": 2, "CN": 4, "GB": 5}
    rows: list[dict] = []

    def add(
        name: str,
        *,
        vendor_type: int = 3,
        active: bool = True,
        city: str = "Portland",
        state: str = "OR",
        country: str = "US",
        external_id: str | None | bool = True,
    ) -> dict:
        vendor_id = len(rows) + 1
        created = clock.created(rng)
        slug = _slug(name) or f"vendor{vendor_id}"
        emails = [f"ap@{slug}.example"] + ([f"orders@{slug}.example"] if rng.random() < 0.25 else [])
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        row = {
            "id": vendor_id,
            "name": name,
            "active": int(active),
            "address_line_one": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
            "address_line_two": None if rng.random() < 0.8 else f"Suite {rng.randint(100, 900)}",
            "postal_code": f"{rng.randint(10000, 99999)}",
            "city": city,
            "state_province": state,
            "country": country,
            "phone_one": f"503555{rng.randint(1000, 9999)}",
            "phone_two": None,
            "fax": None,
            "email": json.dumps(emails, ensure_ascii=False),
            "contact": f"{first} {last}",
            "url": None if rng.random() < 0.5 else f"https://{slug}.example",
            "comments": "",
            "external_id": (f"JDE-V-{10000 + vendor_id}" if rng.random() < 0.8 else None)
            if external_id is True
            else (external_id or None),
            "date_modified": stored(clock.modified(rng, created)),
            "currency_id": country_currency.get(country, 3),
            "payment_term_id": rng.choice(term_ids["payment_term"]),
            "shipping_term_id": rng.choice(term_ids["shipping_term"]) if rng.random() < 0.6 else None,
            "payment_method_id": rng.choice(term_ids["payment_method"]) if rng.random() < 0.7 else None,
            "shipping_method_id": rng.choice(term_ids["shipping_method"]) if rng.random() < 0.4 else None,
            "tax": None,
            "type": vendor_type,
            "default_payment_method": None,
            "is_1099_eligible": int(country == "US" and rng.random() < 0.3),
            "overall_score": None if rng.random() < 0.7 else f"{rng.uniform(2.5, 5):.2f}",
            "is_auto_email_po_enabled": int(rng.random() < 0.6),
        }
        rows.append(row)
        return row

    add("Other", vendor_type=1, external_id=None)  # id 1: the OTHER bucket (reference 2.3)
    add("Amazon Business", vendor_type=2, external_id=None, city="Seattle", state="WA")  # id 2: HIDDEN
    for name, city, state, country in SIGNATURE_VENDORS:
        add(name, city=city, state=state, country=country)
    for name in MAX_LENGTH_VENDOR_NAMES:  # without planted faults, cut to what JDE's F0101 ALPH holds
        name = name if planted else name[:JDE_NAME_MAX].rstrip()
        add(name, vendor_type=4, city="München", state="BY", country="DE")
    add("American Express Corporate", vendor_type=6, external_id=None, city="New York", state="NY")
    add("Visa Purchasing Card", vendor_type=6, external_id=None, city="Foster City", state="CA")
    # Deleted vendors stay as inactive rows, so names repeat (reference 2.3): never key on the name.
    for name, city, state, country in SIGNATURE_VENDORS[:3]:
        add(name, active=False, city=city, state=state, country=country, external_id=False)
    rows[-1]["external_id"] = ("JDE-V-" + "ABCDEFGHIJ" * 10)[:100]  # the longest external_id allowed
    countries = ("US", "US", "US", "CA", "DE", "FR", "CN", "GB", "ES")
    names = {row["name"] for row in rows}
    while len(rows) < plan.vendors:
        draw = rng.random()
        if draw < 0.03:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            add(f"{first} {last}", vendor_type=5, external_id=None)  # employee reimbursement vendors
            continue
        names.add(name := vendor_name(rng, names))
        add(
            name,
            vendor_type=3 if draw < 0.6 else 4,
            active=rng.random() > 0.07,
            country=rng.choice(countries),
        )
    return rows


def _history(store: Store, factory: DataFactory, plan: SeedPlan, clock: Clock) -> None:
    rng = factory.rng
    moments = sorted(clock.created(rng) for _ in range(plan.requisitions))
    expense_moments = sorted(clock.created(rng) for _ in range(plan.expense_bills))
    pending = History()
    expense_index = 0
    for count, created in enumerate(moments, start=1):
        while expense_index < len(expense_moments) and expense_moments[expense_index] <= created:
            pending.extend(factory.expense_bill(expense_moments[expense_index]))
            expense_index += 1
        pending.extend(factory.requisition(created))
        if count % _CHUNK_STORIES == 0:
            _flush(store, pending)
            pending = History()
    for moment in expense_moments[expense_index:]:
        pending.extend(factory.expense_bill(moment))
    _flush(store, pending)


def _flush(store: Store, story: History) -> None:
    with store.transaction():
        for table, rows in story.tables().items():
            if rows:
                store.insert(table, rows)


def _decimal_currency_vendors(store: Store, settings: ProcurifySandboxSettings, clock: Clock) -> None:
    """A vendor billing in yen and one in dinars (``DECIMAL_CURRENCY_VENDORS``), each with a paid expense
    bill and its payment in its currency. Drawn after the history with a generator of their own, so every
    record seeded before them is the same as without them."""
    rng = random.Random(f"{settings.seed}:decimals")
    currency_ids = {name: currency_id for currency_id, name, *_rest in CURRENCIES}
    terms = [row["id"] for row in store.all("SELECT id FROM terms WHERE kind = 'payment_term' ORDER BY id")]
    first_id = int(store.scalar("SELECT MAX(id) FROM vendors")) + 1
    vendors = []
    for vendor_id, (name, city, state, country, currency) in enumerate(DECIMAL_CURRENCY_VENDORS, first_id):
        slug = _slug(name) or f"vendor{vendor_id}"
        vendors.append(
            {
                "id": vendor_id,
                "name": name,
                "active": 1,
                "address_line_one": f"{rng.randint(1, 99)}-{rng.randint(1, 9)} {rng.choice(STREETS)}",
                "postal_code": f"{rng.randint(10000, 99999)}",
                "city": city,
                "state_province": state,
                "country": country,
                "phone_one": f"503555{rng.randint(1000, 9999)}",
                "email": json.dumps([f"ap@{slug}.example"]),
                "contact": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "comments": "",
                "external_id": f"JDE-V-{10000 + vendor_id}",
                "date_modified": stored(clock.modified(rng, clock.created(rng))),
                "currency_id": currency_ids[currency],
                "payment_term_id": rng.choice(terms),
                "type": 3,
                "is_1099_eligible": 0,
                "is_auto_email_po_enabled": 1,
            }
        )
    with store.transaction():
        store.insert("vendors", vendors)
    factory = DataFactory(
        rng, clock, Catalog.load(store), Counters.from_store(store), planted_faults=settings.planted_faults
    )
    story = History()
    for vendor in vendors:
        paid_bill = factory.expense_bill(
            clock.created(rng), vendor=(vendor["id"], vendor["currency_id"]), status=4
        )
        if not paid_bill.payments:  # the bill is paid: its payment is seeded with it
            factory.payment(paid_bill, paid_bill.bills, [paid_bill.bills[0]["group_id"]], 4)
        story.extend(paid_bill)
    _flush(store, story)
