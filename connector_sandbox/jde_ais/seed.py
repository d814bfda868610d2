"""Seeds the simulated E1 database: deterministic for a (seed, scale, anchor date), bounded in memory.

Scale 1 gives thousands of suppliers, accounts, purchase orders and vouchers; master data grows with
the square root of larger scales (a big company has tens of thousands of suppliers, not millions)
while transactions grow linearly, so scale 100 yields about a million F4311 lines. Rows are generated
and inserted in chunks, each chunk its own transaction, so neither Python memory nor the WAL grows with
the table size.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from array import array
from collections.abc import Iterator
from dataclasses import asdict

from connector_sandbox.seeding import (
    SeedReport,
    fit,
    master_data,
    seed_kept_anchored,
    seed_plan,
    transactions,
)

from .addresses import seed_addresses
from .contacts import seed_contacts
from .currency import seed_currencies
from .dates import from_julian, to_julian
from .factory import FILLER, AccountRef, DataFactory, OrderRef, SupplierRef, ledger_from_batch, right_justify
from .periods import seeded_years
from .settings import JdeSandboxSettings
from .store import Store
from .vocabulary import (
    CHART_OF_ACCOUNTS,
    COMPANIES,
    JOB_COST_OBJECTS,
    JOB_COST_UNITS,
    MAX_LENGTH_SUPPLIERS,
    SIGNATURE_SUPPLIERS,
    SURNAMES,
)

log = logging.getLogger("connector_sandbox.jde_ais.seed")
_NAMED = SIGNATURE_SUPPLIERS + MAX_LENGTH_SUPPLIERS
_CHUNK = 2_000


SeedPlan = seed_plan(
    suppliers=master_data(2000, at_least=len(_NAMED) + 10),
    employees=master_data(40, at_least=5),
    customers=master_data(150, at_least=5),
    accounts=master_data(1500),
    purchase_orders=transactions(2500, at_least=25),
    vouchers=transactions(3000, at_least=30),
    batch_history=transactions(150, at_least=5),
)


# Bumped when the seeded tables change (2: F0911 added; 3: 4-decimal stock costs; 4: F0116 addresses and
# remit-to parties; 5: F0115 phones, F01151 e-mail addresses, F0030 bank accounts; 6: F0013 currencies, F0015
# exchange rates and the foreign-amount columns of F0911Z1, F0911, F0413, F0414; 7: F4311's foreign unit cost
# FRRC and extended price FEA), so an older database is refused, not half-used.
SEED_LAYOUT = 7


def seed(store: Store, settings: JdeSandboxSettings) -> SeedReport:
    """Fill ``store`` unless it already holds the data this (seed, scale) produces (``seed_kept``: a file
    seeded yesterday is reused today, history and the integration's writes included; another is refused)."""
    return seed_kept_anchored(store, settings, SEED_LAYOUT, _fill, log=log)


def _fill(store: Store, settings: JdeSandboxSettings, anchor: dt.date) -> None:
    plan = SeedPlan.for_scale(settings.scale)
    rng = random.Random(settings.seed)
    accounts = _seed_accounts(store, plan, anchor)
    buyers = _seed_people(store, plan, rng, anchor)
    factory = DataFactory(rng, anchor, accounts, [], buyers)
    factory.suppliers = _seed_suppliers(store, plan, factory)
    orders = _seed_purchase_orders(store, plan, factory)
    # The G/L distribution draws from its own generator, so adding it left every other seeded value as it was.
    _seed_vouchers(store, plan, factory, orders, random.Random(f"F0911:{settings.seed}"))
    # Addresses (F0116) likewise draw from their own generator, after everything else is seeded.
    longest = [ref.an8 for ref in factory.suppliers[len(SIGNATURE_SUPPLIERS) : len(_NAMED)]]
    seed_addresses(store, factory.suppliers, random.Random(f"F0116:{settings.seed}"), anchor, longest)
    # Phones, e-mail addresses and bank accounts too (F0115 / F01151 / F0030).
    seed_contacts(store, factory.suppliers, random.Random(f"F0115:{settings.seed}"))
    # Currencies and exchange rates (F0013 / F0015), in effect from the first fiscal year F0008 holds. They
    # draw nothing random.
    seed_currencies(store, dt.date(seeded_years(anchor)[0], 1, 1))
    store.set_meta("seed_plan", json.dumps(asdict(plan)))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, _CHUNK):
        yield range(start, min(start + _CHUNK, count))


def _seed_accounts(store: Store, plan: SeedPlan, anchor: dt.date) -> list[AccountRef]:
    """F0901: the chart for every business unit, then job-cost subsidiaries up to the planned count."""
    stamp = (to_julian(anchor - dt.timedelta(days=400)), 80000)
    rows: list[dict[str, object]] = []
    refs: list[AccountRef] = []

    def add(
        company: str, currency: str, unit: str, obj: str, sub: str, title: str, pec: str, lda: str
    ) -> None:
        aid = f"{len(rows) + 100:08d}"
        expense = any(account.obj == obj and account.expense for account in CHART_OF_ACCOUNTS)
        rows.append(
            {
                "AID": aid,
                "CO": company,
                "MCU": right_justify(unit),
                "OBJ": obj,
                "SUB": sub,
                "ANS": f"{company}-{unit}-{obj}{('-' + sub) if sub else ''}"[:25] if obj == "1110" else "",
                "DL01": title[:30],
                "LDA": lda,
                "PEC": pec,
                "CRCD": currency,
                "R001": obj[0] + "00",
                "USER": "JSMITH",
                "PID": "P0901",
                "JOBN": "WS100",
                "UPMJ": stamp[0],
                "UPMT": stamp[1],
            }
        )
        refs.append(AccountRef(aid, company, unit, obj, sub, pec == "", expense and pec == ""))

    for company in COMPANIES:
        for unit in company.business_units:
            for account in CHART_OF_ACCOUNTS:
                for sub in account.subs:
                    title = account.description + (f" - {sub}" if sub else "")
                    add(
                        company.code,
                        company.currency,
                        unit,
                        account.obj,
                        sub,
                        title,
                        account.posting_edit,
                        account.level_of_detail,
                    )
    cost_code = 1000
    while len(rows) < plan.accounts:
        for company in COMPANIES:
            for unit in (u for u in company.business_units if u in JOB_COST_UNITS):
                for obj in JOB_COST_OBJECTS:
                    add(
                        company.code,
                        company.currency,
                        unit,
                        obj,
                        f"{cost_code:05d}",
                        f"Cost code {cost_code}",
                        "",
                        "9",
                    )
        cost_code += 10
    # A 12-character business unit and 8-character subsidiary: the longest account number we seed.
    longest = "LONGJOBUNIT1"
    add("00001", "USD", longest, "7110", "ZZ999999", fit("Construction Materials", 30, FILLER), "", "9")
    with store.transaction() as conn:
        store.insert("F0901", rows, connection=conn)
    return refs


def _seed_people(store: Store, plan: SeedPlan, rng: random.Random, anchor: dt.date) -> list[int]:
    """F0101 companies (AT1 O), employees (E, the buyers on POs) and customers (C)."""
    stamp = (to_julian(anchor - dt.timedelta(days=500)), 90000)

    def entry(an8: int, name: str, search_type: str, tax_class: str, **more: object) -> dict[str, object]:
        """An address-book row as the seed's history wrote it (user JSMITH, program P01012)."""
        row = {"AN8": an8, "ALPH": name, "AT1": search_type, "TAXC": tax_class, "DC": name.upper()[:40]}
        return {**row, **more, "USER": "JSMITH", "PID": "P01012", "UPMJ": stamp[0], "UPMT": stamp[1]}

    rows = [
        entry(company.address_number, company.name, "O", "C", MCU=right_justify(company.business_units[0]))
        for company in COMPANIES
    ]
    buyers = []
    next_an8 = 1001
    for _ in range(plan.employees):
        name = f"{rng.choice(SURNAMES)}, {rng.choice(('Anna', 'Jürgen', 'Zoë', 'Li', 'Marc', 'Siobhán'))}"
        rows.append(entry(next_an8, name, "E", "P"))
        buyers.append(next_an8)
        next_an8 += 1
    for _ in range(plan.customers):
        rows.append(
            entry(next_an8, f"{rng.choice(SURNAMES)} Property Developments", "C", "C", ATR="Y", ATP="N")
        )
        next_an8 += 1
    with store.transaction() as conn:
        store.insert("F0101", rows, connection=conn)
    return buyers


def _seed_suppliers(store: Store, plan: SeedPlan, factory: DataFactory) -> list[SupplierRef]:
    first_an8 = store.next_number("F0101", "AN8")
    refs: list[SupplierRef] = []
    for chunk in _chunks(plan.suppliers):
        book, suppliers = [], []
        for index in chunk:
            name, country = _NAMED[index] if index < len(_NAMED) else (None, None)
            max_length = len(SIGNATURE_SUPPLIERS) <= index < len(_NAMED)
            row, supplier, ref = factory.supplier(
                first_an8 + index, factory.stamp(), name=name, country=country, max_length=max_length
            )
            book.append(row)
            suppliers.append(supplier)
            refs.append(ref)
        with store.transaction() as conn:
            store.insert("F0101", book, connection=conn)
            store.insert("F0401", suppliers, connection=conn)
    return refs


def _seed_purchase_orders(store: Store, plan: SeedPlan, factory: DataFactory) -> tuple[int, array]:
    """F4301 + F4311. Returns the first order number and every order's total in cents (8 bytes per
    order), so vouchers can look orders up by number instead of holding them in memory."""
    totals = array("q")
    first = 4000
    for chunk in _chunks(plan.purchase_orders):
        headers, lines = [], []
        for index in chunk:
            header, order_lines, ref = factory.purchase_order(
                first + index, factory.rng.choice(factory.suppliers)
            )
            totals.append(ref.total_cents)
            headers.append(header)
            lines.extend(order_lines)
        with store.transaction() as conn:
            store.insert("F4301", headers, connection=conn)
            store.insert("F4311", lines, connection=conn)
    return first, totals


def _order(store: Store, doco: int, total: int) -> OrderRef:
    """A seeded order header read back by its (indexed) number."""
    kcoo, dcto, an8, trdj, mcu = store.conn.execute(
        'SELECT "KCOO", "DCTO", "AN8", "TRDJ", "MCU" FROM "F4301" WHERE "DOCO" = ?', (doco,)
    ).fetchone()
    return OrderRef(kcoo, doco, dcto, an8, from_julian(trdj) or dt.date.min, total, mcu.strip())


def _seed_vouchers(
    store: Store, plan: SeedPlan, factory: DataFactory, orders: tuple[int, array], gl_rng: random.Random
) -> None:
    """F0411 vouchers with their F0911 G/L distribution; some arrived through the batch interface and
    keep processed F0411Z1/F0911Z1 rows.

    F0911 (one AA line per pay item, amount = the pay item's gross):

    - a voucher from the batch interface posts exactly its processed F0911Z1 lines (same accounts and
      amounts: the F0911 rows are built from them);
    - a voucher matched to a purchase order is distributed to the accounts of that order's G/L (``J``)
      lines in F4311, read back by the indexed order number (pay item n -> n-th J line, cycling); an
      order with stock lines only falls back to an expense account;
    - any other voucher goes to a postable expense account of its company.

    Expense accounts for F0911 are drawn from ``gl_rng``, never from ``factory.rng``.
    """
    rng = factory.rng
    first_order, order_totals = orders
    supplier_by_an8 = {ref.an8: ref for ref in factory.suppliers}
    history_every = max(1, plan.vouchers // plan.batch_history)
    first_doc, first_batch = 10_000, 50_000
    for chunk in _chunks(plan.vouchers):
        ledger, interface, distribution, journal = [], [], [], []
        for index in chunk:
            order = None
            if rng.random() < 0.6:
                position = rng.randrange(len(order_totals))
                order = _order(store, first_order + position, order_totals[position])
            supplier = supplier_by_an8[order.an8] if order else rng.choice(factory.suppliers)
            batch = first_batch + index // 25
            from_interface = index % history_every == 0
            rows = factory.voucher(
                first_doc + index, batch, supplier, order, program="R04110ZA" if from_interface else "P0411"
            )
            ledger.extend(rows)
            if from_interface:
                z1, z2 = _processed_batch_rows(rows, index, factory)
                interface.extend(z1)
                distribution.extend(z2)
                journal.extend(_posted_batch_lines(rows, z2))
            else:
                accounts = _order_accounts(store, order) if order else []
                journal.extend(factory.voucher_distribution(rows, accounts, rng=gl_rng))
        with store.transaction() as conn:
            store.insert("F0411", ledger, connection=conn)
            store.insert("F0411Z1", interface, connection=conn)
            store.insert("F0911Z1", distribution, connection=conn)
            store.insert("F0911", journal, connection=conn)


def _order_accounts(store: Store, order: OrderRef) -> list[dict[str, object]]:
    """The accounts of an order's G/L lines (F4311 ``LNTY`` J), in line order, as F0911 columns."""
    rows = store.conn.execute(
        'SELECT "ANI", "AID", "OMCU", "OBJ", "SUB", "DSC1" FROM "F4311" '
        'WHERE "DOCO" = ? AND "KCOO" = ? AND "DCTO" = ? AND "LNTY" = \'J\' ORDER BY "LNID"',
        (order.doco, order.kcoo, order.dcto),
    ).fetchall()
    return [
        {"ANI": ani, "AID": aid, "MCU": omcu, "OBJ": obj, "SUB": sub, "EXA": description}
        for ani, aid, omcu, obj, sub, description in rows
    ]


def _posted_batch_lines(
    vouchers: list[dict[str, object]], batch_lines: list[dict[str, object]]
) -> list[dict[str, object]]:
    """F0911 for a voucher R04110ZA made: its F0911Z1 lines (one per pay item here) as posted."""
    return [
        ledger_from_batch(
            line,
            SFX=voucher["SFX"],
            POST="D" if voucher["POST"] == "D" else "",
            **{
                alias: voucher[alias]
                for alias in ("PN", "CTRY", "FY", "PO", "PKCO", "PDCT", "USER", "PID", "JOBN", "UPMJ", "UPMT")
            },
        )
        for voucher, line in zip(vouchers, batch_lines, strict=True)
    ]


def _processed_batch_rows(
    vouchers: list[dict[str, object]], index: int, factory: DataFactory
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The batch-upload rows R04110ZA already turned into ``vouchers`` (EDSP = 1)."""
    # Maximum-length EDI keys on every historical row: EDUS 10, EDBT 15, EDTN 22 characters.
    edi = {
        "EDUS": "MLCONNECTR",
        "EDBT": f"HIST-{index // 10:010d}",
        "EDTN": f"HIST-{index:017d}",
        "EDSP": "1",
        "EDTC": "A",
        "EDTR": "V",
    }
    z1 = []
    for line, voucher in enumerate(vouchers, start=1):
        z1.append({**voucher, **edi, "EDLN": line, "EDDT": voucher["DICJ"], "PID": "EP0411Z1"})
    first = vouchers[0]
    z2 = []
    for line, voucher in enumerate(vouchers, start=1):
        account = factory.expense_account(str(first["CO"]))
        z2.append(
            {
                **edi,
                "EDLN": line,
                "EDDT": first["DICJ"],
                "KCO": first["KCO"],
                "DCT": "PV",
                "DOC": first["DOC"],
                "DGJ": first["DGJ"],
                "JELN": line * 10,
                "POST": "D",
                "ICU": first["ICU"],
                "ICUT": "V",
                "DICJ": first["DICJ"],
                "DSYJ": first["DICJ"],
                "CO": account.company,
                "ANI": account.number,
                "AM": "2",
                "AID": account.aid,
                "MCU": right_justify(account.business_unit),
                "OBJ": account.obj,
                "SUB": account.sub,
                "LT": "AA",
                "CRRM": "D",
                "CRCD": first["CRCD"],
                "AA": voucher["AG"],
                "EXA": "Voucher distribution",
                "AN8": first["AN8"],
                "VINV": first["VINV"],
                "TORG": "MLCONNECTR",
                "USER": "MLCONNECTR",
                "PID": "EP0911Z1",
                "JOBN": "AIS",
                "UPMJ": first["UPMJ"],
                "UPMT": first["UPMT"],
            }
        )
    return z1, z2
