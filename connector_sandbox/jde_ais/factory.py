"""Builds realistic, mutually consistent E1 rows: suppliers, purchase orders, vouchers, batch rows.

One factory serves both the initial seed and the "business activity" admin call, so records created
later look exactly like seeded ones. Rows are plain dicts of stored values (Julian dates, HHMMSS times,
scaled amounts, right-justified business units), ready for ``Store.insert``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connector_sandbox.seeding import fit

from .dates import from_julian, to_julian
from .store import Store
from .tables import TABLES
from .vocabulary import (
    CHART_OF_ACCOUNTS,
    COMPANIES,
    LANGUAGE_BY_COUNTRY,
    LEGAL_FORMS,
    PAYMENT_TERMS,
    REMARKS,
    SERVICES,
    STOCK_ITEMS,
    SURNAMES,
    TRADES,
    USERS,
    Company,
)

COMPANY_BY_CODE = {company.code: company for company in COMPANIES}
_COMPANY_BY_COUNTRY = {company.country: company for company in COMPANIES}
HISTORY_DAYS = 730
EXPENSE_OBJECTS = frozenset(account.obj for account in CHART_OF_ACCOUNTS if account.expense)


def right_justify(business_unit: str) -> str:
    """Business units are stored right-justified in 12 characters, as JDE keeps MCU."""
    return business_unit.strip().rjust(12)


# What JDE's maximum-length values are padded with (``seeding.fit``).
FILLER = " Niederlassung Süd Verwaltung und Logistik"


def compress(name: str) -> str:
    """F0101.DC, the compressed description JDE searches on: upper case, letters and digits only."""
    return "".join(ch for ch in name.upper() if ch.isalnum())[:40]


def account_number(business_unit: str, obj: str, sub: str) -> str:
    """The ``BU.OBJ.SUB`` form users type (account mode 2), subsidiary omitted when blank."""
    return f"{business_unit.strip()}.{obj}" + (f".{sub}" if sub else "")


@dataclass(frozen=True)
class Account:
    """A G/L account as the rows that post to it name it (F4311 J lines, F0911/F0911Z1 lines)."""

    aid: str
    company: str
    business_unit: str  # trimmed
    obj: str
    sub: str

    @property
    def number(self) -> str:
        return account_number(self.business_unit, self.obj, self.sub)

    def order_line_columns(self) -> dict[str, str]:
        """The account of an F4311 J (G/L) line; its business unit goes in OMCU."""
        unit = right_justify(self.business_unit)
        return {"ANI": self.number, "AID": self.aid, "OMCU": unit, "OBJ": self.obj, "SUB": self.sub}

    def ledger_columns(self) -> dict[str, str]:
        """The account of an F0911 / F0911Z1 line, entered in account mode 2 (``BU.OBJ.SUB``)."""
        return {
            "CO": self.company,
            "ANI": self.number,
            "AM": "2",
            "AID": self.aid,
            "MCU": right_justify(self.business_unit),
            "OBJ": self.obj,
            "SUB": self.sub,
        }


@dataclass(frozen=True)
class AccountRef(Account):
    """A seeded account with what the generators choose by: postable, an expense object."""

    postable: bool
    expense: bool


@dataclass(frozen=True)
class SupplierRef:
    an8: int
    company: Company
    currency: str
    terms: str
    business_unit: str  # trimmed
    payment_instrument: str


@dataclass(frozen=True)
class OrderRef:
    kcoo: str
    doco: int
    dcto: str
    an8: int
    order_date: dt.date
    total_cents: int
    business_unit: str


class DataFactory:
    """Deterministic record generator (every choice comes from ``rng``)."""

    def __init__(
        self,
        rng: random.Random,
        anchor: dt.date,
        accounts: Sequence[AccountRef],
        suppliers: Sequence[SupplierRef],
        buyers: Sequence[int],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.first_day = anchor - dt.timedelta(days=HISTORY_DAYS)
        self.last_day = anchor - dt.timedelta(days=1)
        self.accounts = list(accounts)
        self.suppliers = list(suppliers)
        self.buyers = list(buyers) or [0]
        self._expense_by_company: dict[str, list[AccountRef]] = {}
        for account in self.accounts:
            if account.postable and account.expense:
                self._expense_by_company.setdefault(account.company, []).append(account)
        # A mass update (data conversion, nightly program) stamps many rows with one UPMJ + time, so
        # a client's "updated since" cursor meets long runs of identical values.
        self.bulk_stamp = (to_julian(anchor - dt.timedelta(days=21)), 23000)
        self.cluster_stamps = sorted(
            (to_julian(self._random_day(anchor - dt.timedelta(days=120))), 180000) for _ in range(12)
        )
        self._voucher_serial = 0

    # --- time -------------------------------------------------------------------------------
    def _random_day(self, not_before: dt.date | None = None) -> dt.date:
        start = max(not_before or self.first_day, self.first_day)
        if start > self.last_day:
            return self.last_day
        return start + dt.timedelta(days=self.rng.randint(0, (self.last_day - start).days))

    def _business_time(self) -> int:
        return self.rng.randint(6, 19) * 10_000 + self.rng.randint(0, 59) * 100 + self.rng.randint(0, 59)

    def stamp(self, not_before: dt.date | None = None) -> tuple[int, int]:
        """An (UPMJ, time) pair for a historical record, never earlier than ``not_before``."""
        floor = to_julian(not_before) if not_before else 0
        roll = self.rng.random()
        if roll < 0.15 and self.bulk_stamp[0] >= floor:
            return self.bulk_stamp
        if roll < 0.25:
            eligible = [stamp for stamp in self.cluster_stamps if stamp[0] >= floor]
            if eligible:
                return self.rng.choice(eligible)
        return to_julian(self._random_day(not_before)), self._business_time()

    def _audit(self, stamp: tuple[int, int], time_alias: str, program: str) -> dict[str, object]:
        return {
            "USER": self.rng.choice(USERS),
            "PID": program,
            "JOBN": f"WS{self.rng.randint(100, 999)}",
            "UPMJ": stamp[0],
            time_alias: stamp[1],
        }

    # --- suppliers ------------------------------------------------------------------------------
    def supplier_name(self, country: str) -> str:
        legal = self.rng.choice(LEGAL_FORMS[country])
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(TRADES)} {legal}"

    def tax_id(self, country: str) -> str:
        rng = self.rng
        if country == "US":
            return f"{rng.randint(10, 99)}-{rng.randint(1_000_000, 9_999_999)}"
        if country == "DE":
            return f"DE{rng.randint(100_000_000, 999_999_999)}"
        if country == "FR":
            return f"FR{rng.randint(10, 99)}{rng.randint(100_000_000, 999_999_999)}"
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        return "91110000" + "".join(rng.choice(alphabet) for _ in range(10))

    def supplier(
        self,
        an8: int,
        stamp: tuple[int, int],
        *,
        name: str | None = None,
        country: str | None = None,
        max_length: bool = False,
    ) -> tuple[dict[str, object], dict[str, object], SupplierRef]:
        """An F0101 address-book row and its F0401 supplier row (a supplier always has both)."""
        rng = self.rng
        country = country or rng.choice(("US", "US", "US", "DE", "FR", "CN"))
        company = _COMPANY_BY_COUNTRY[country]
        name = name or self.supplier_name(country)
        if max_length:
            name = fit(name, 40, FILLER)
        business_unit = company.business_units[0]
        terms = rng.choice(tuple(PAYMENT_TERMS))
        instrument = rng.choice(("", "", "T", "Z"))  # blank check, T EFT, Z wire [DD]
        tax = self.tax_id(country)
        if max_length:
            tax = fit(tax, 20, "-0123456789")
        address_book = {
            "AN8": an8,
            "ALKY": f"V{an8:08d}" if rng.random() < 0.7 else "",
            "TAX": tax,
            "ALPH": name,
            "DC": compress(name),
            "MCU": right_justify(business_unit),
            "SIC": rng.choice(("1700", "5030", "5039", "7353", "")),
            "LNGP": LANGUAGE_BY_COUNTRY[country],
            "AT1": "V",
            "TAXC": "C",
            "ATP": "Y",
            "ATR": "N",
            "AN81": an8,
            "AC01": rng.choice(("CON", "MAT", "SRV", "EQP")),
            "AC02": country,
            "DUNS": f"{rng.randint(100_000_000, 999_999_999)}" if rng.random() < 0.4 else "",
            **self._audit(stamp, "UPMT", "P01012"),
        }
        accounts_payable = self._expense_by_company.get(company.code, [None])[0]
        supplier = {
            "AN8": an8,
            "APC": rng.choice(("", "TRDE", "SUBC")),
            "MCUP": right_justify(business_unit),
            "OBAP": accounts_payable.obj if accounts_payable else "",
            "KCOP": company.code,
            "CRRP": company.currency,
            "TXA2": {"US": "CA", "DE": "DE19", "FR": "FR20", "CN": "CN13"}[country],
            "HDPY": "Y" if rng.random() < 0.05 else "N",
            "TRAP": terms,
            "SCK": "N",
            "PYIN": instrument,
            "SNTO": an8,
            "CRCA": company.currency,
            "AYPD": rng.randint(0, 50_000_000),
            "MAXO": rng.choice((0, 0, 10_000_000, 50_000_000)),
            "AVCH": "N",
            **self._audit(stamp, "UPMT", "P04012"),
        }
        ref = SupplierRef(an8, company, company.currency, terms, business_unit, instrument)
        return address_book, supplier, ref

    # --- purchase orders ------------------------------------------------------------------------
    def purchase_order(
        self, doco: int, supplier: SupplierRef, stamp: tuple[int, int] | None = None
    ) -> tuple[dict[str, object], list[dict[str, object]], OrderRef]:
        """An F4301 header with 1-10 F4311 lines; ``stamp`` None draws a historical one."""
        rng = self.rng
        company = supplier.company
        if stamp is None:
            order_date = self._random_day()
            stamp = self.stamp(not_before=order_date)
        else:  # new business activity: ordered the day it is stamped
            order_date = from_julian(stamp[0]) or self.anchor
        business_unit = rng.choice(company.business_units)
        order_type = "OP" if rng.random() < 0.9 else "OS"
        requested = order_date + dt.timedelta(days=rng.randint(7, 30))
        buyer = rng.choice(self.buyers)
        reference = rng.choice(
            (
                f"REQ-{rng.randint(10_000, 99_999)}",
                f"PF-{order_date.year}-{doco:06d}",
                f"PRJ-{business_unit}-{doco}",
            )
        )
        if rng.random() < 0.03:
            reference = fit(reference, 25, "-SITE-EXTENSION-PHASE-II")
        header: dict[str, object] = {
            "KCOO": company.code,
            "DOCO": doco,
            "DCTO": order_type,
            "SFXO": "000",
            "MCU": right_justify(business_unit),
            "AN8": supplier.an8,
            "SHAN": company.address_number,
            "DRQJ": to_julian(requested),
            "TRDJ": to_julian(order_date),
            "PDDJ": to_julian(requested + dt.timedelta(days=rng.randint(0, 10))),
            "OPDJ": to_julian(requested),
            "PEFJ": to_julian(order_date),
            "VR01": reference,
            "DEL1": rng.choice(REMARKS),
            "RMK": fit("Blanket order for site works", 30, FILLER)
            if rng.random() < 0.02
            else rng.choice(REMARKS),
            "DESC": rng.choice(SERVICES)[:30],
            "PTC": supplier.terms,
            "TXA1": "",
            "ANBY": buyer,
            "CRRM": "D",
            "CRCD": supplier.currency,
            "ORBY": rng.choice(USERS),
            "TKBY": rng.choice(USERS),
            "BCRC": company.currency,
            **self._audit(stamp, "TDAY", "P4310"),
        }
        lines = []
        total = 0
        for number in range(1, rng.choice((1, 2, 3, 4, 4, 5, 6, 8, 10)) + 1):
            line = self._order_line(header, company, business_unit, number, stamp)
            total += int(line["AEXP"])
            lines.append(line)
        ref = OrderRef(company.code, doco, order_type, supplier.an8, order_date, total, business_unit)
        return header, lines, ref

    def _order_line(
        self,
        header: dict[str, object],
        company: Company,
        business_unit: str,
        number: int,
        stamp: tuple[int, int],
    ) -> dict[str, object]:
        rng = self.rng
        quantity = rng.randint(1, 200)
        line: dict[str, object] = {
            key: header[key] for key in ("KCOO", "DOCO", "DCTO", "SFXO", "MCU", "AN8", "SHAN", "DRQJ", "TRDJ")
        }
        line.update(
            {
                "LNID": number * 1000,
                "CO": company.code,
                "PDDJ": header["PDDJ"],
                "VR01": header["VR01"],
                "CRCD": header["CRCD"],
                "LT": "AA",
                "TX": rng.choice(("Y", "N")),
            }
        )
        expense_accounts = self._expense_by_company.get(company.code, [])
        if rng.random() < 0.6 and expense_accounts:
            account = rng.choice(expense_accounts)
            unit_cost = rng.randint(5_000, 2_500_000) * 100  # 4 decimals, whole cents
            line.update(
                {
                    "LNTY": "J",
                    "DSC1": rng.choice(SERVICES)[:30],
                    "UOM": "EA",
                    **account.order_line_columns(),
                }
            )
        else:
            item_number, description, unit, cents = rng.choice(STOCK_ITEMS)
            # Stock costs carry PRRC's 4 decimals (a price list in fractions of a cent), so an extended cost
            # may not be what another system makes of quantity x unit cost (see ``extended`` below).
            unit_cost = int(cents * 100 * rng.uniform(0.85, 1.2))
            line.update(
                {
                    "LNTY": "S",
                    "ITM": 60000 + STOCK_ITEMS.index((item_number, description, unit, cents)),
                    "LITM": item_number,
                    "DSC1": description,
                    "UOM": unit,
                    "GLC": "IN30",
                    "LOCN": rng.choice(("", "A-01-01", "YARD")),
                }
            )
        # AEXP is JDE's own 2-decimal figure for units x 4-decimal cost, rounded from the binary product here:
        # 250 x 63.2671 = 15816.775 is stored as 15816.77 (a half-cent product can land either side), as the
        # independent server showed; a system recomputing it half up gets 15816.78.
        extended = round(round(quantity * unit_cost / 10_000, 2) * 100)
        last_status, next_status = self.rng.choice(
            (("220", "280"), ("280", "400"), ("400", "999"), ("980", "999"))
        )
        received = quantity if last_status == "400" else 0
        open_quantity = 0 if next_status == "999" else quantity - received
        line.update(
            {
                "UORG": quantity,
                "UOPN": open_quantity,
                "UREC": received,
                "PRRC": unit_cost,
                "AEXP": extended,
                "AOPN": round(open_quantity * unit_cost / 100),
                "AREC": round(received * unit_cost / 100),
                "LTTR": last_status,
                "NXTR": next_status,
                **self._audit(stamp, "TDAY", "P4310"),
            }
        )
        return line

    # --- vouchers ----------------------------------------------------------------------------------
    def voucher(
        self,
        doc: int,
        batch: int,
        supplier: SupplierRef,
        order: OrderRef | None,
        stamp: tuple[int, int] | None = None,
        *,
        invoice_date: dt.date | None = None,
        program: str = "P0411",
    ) -> list[dict[str, object]]:
        """The pay items (F0411 rows) of one voucher, optionally matched to a purchase order."""
        rng = self.rng
        company = supplier.company
        # History ends yesterday; new activity may be dated up to the day it is stamped.
        latest = (from_julian(stamp[0]) or self.anchor) if stamp else self.last_day
        if invoice_date is None:
            base = order.order_date + dt.timedelta(days=rng.randint(3, 45)) if order else self._random_day()
            invoice_date = min(base, latest)
        gl_date = min(invoice_date + dt.timedelta(days=rng.randint(0, 4)), latest)
        if stamp is None:
            stamp = self.stamp(not_before=gl_date)
        due = invoice_date + dt.timedelta(days=PAYMENT_TERMS.get(supplier.terms, 30))
        self._voucher_serial += 1
        invoice = rng.choice(
            (
                f"INV-{invoice_date.year}-{self._voucher_serial:05d}",
                f"{rng.randint(100_000, 999_999)}",
                f"R{doc}",
            )
        )
        if rng.random() < 0.03:
            invoice = fit(f"RECHNUNG-{doc}", 25, "-TEILRECHNUNG-ABSCHLAG")
        gross_total = order.total_cents if order and rng.random() < 0.7 else rng.randint(5_000, 5_000_000)
        items = rng.choice((1, 1, 1, 2, 3))
        shares = _split(gross_total, items, rng)
        status = rng.choices(("A", "P", "H"), weights=(55, 35, 10))[0]
        rows = []
        for position, gross in enumerate(shares, start=1):
            rows.append(
                {
                    "KCO": company.code,
                    "DOC": doc,
                    "DCT": "PV",
                    "SFX": f"{position:03d}",
                    "AN8": supplier.an8,
                    "PYE": supplier.an8,
                    "SNTO": supplier.an8,
                    "DIVJ": to_julian(invoice_date),
                    "DSVJ": to_julian(invoice_date),
                    "DDJ": to_julian(due),
                    "DDNJ": to_julian(due),
                    "DGJ": to_julian(gl_date),
                    "FY": gl_date.year % 100,
                    "CTRY": gl_date.year // 100,
                    "PN": gl_date.month,
                    "CO": company.code,
                    "ICU": batch,
                    "ICUT": "V",
                    "DICJ": to_julian(gl_date),
                    "BALJ": "Y",
                    "PST": status,
                    "AG": gross,
                    "AAP": 0 if status == "P" else gross,
                    "ATXN": gross,
                    "CRRM": "D",
                    "CRCD": supplier.currency,
                    "POST": "D",
                    "MCU": right_justify(supplier.business_unit),
                    "PTC": supplier.terms,
                    "VINV": invoice,
                    "PKCO": order.kcoo if order else "",
                    "PO": str(order.doco) if order else "",
                    "PDCT": order.dcto if order else "",
                    "SFXO": "000" if order else "",
                    "RMK": rng.choice(REMARKS),
                    "PYIN": supplier.payment_instrument,
                    "TORG": rng.choice(USERS),
                    **self._audit(stamp, "UPMT", program),
                }
            )
        return rows

    def voucher_distribution(
        self,
        vouchers: Sequence[Mapping[str, object]],
        accounts: Sequence[Mapping[str, object]] = (),
        *,
        rng: random.Random | None = None,
    ) -> list[dict[str, object]]:
        """The F0911 G/L distribution of a voucher entered in E1 (P0411): one AA-ledger line per pay
        item (``JELN`` 1.0, 2.0, ... stored x10 as F0911Z1 lines are), amount = the pay item's gross.

        Line n takes ``accounts[n % len(accounts)]`` (``ANI``/``AID``/``MCU``/``OBJ``/``SUB`` and
        optionally ``EXA``); without ``accounts`` each line draws a postable expense account of the
        voucher's company from ``rng`` (default: the factory's own generator).
        """
        rows = []
        for line, voucher in enumerate(vouchers, start=1):
            if accounts:
                fields = dict(accounts[(line - 1) % len(accounts)])
            else:
                account = self.expense_account(str(voucher["CO"]), rng)
                fields = {
                    "ANI": account.number,
                    "AID": account.aid,
                    "MCU": right_justify(account.business_unit),
                    "OBJ": account.obj,
                    "SUB": account.sub,
                }
            rows.append(
                {
                    **{alias: voucher[alias] for alias in _FROM_VOUCHER if alias in voucher},
                    "JELN": line * 10,
                    "EXTL": "",
                    "POST": "D" if voucher.get("POST") == "D" else "",
                    "DSYJ": voucher["DICJ"],
                    "AM": "2",
                    "LT": "AA",
                    "AA": voucher["AG"],
                    "EXA": "Voucher distribution",
                    **fields,
                }
            )
        return rows

    # --- accounts ---------------------------------------------------------------------------------
    def expense_account(self, company: str, rng: random.Random | None = None) -> AccountRef:
        """A postable expense account of ``company``, drawn from ``rng`` (default: the factory's)."""
        return (rng or self.rng).choice(self._expense_by_company[company])

    @classmethod
    def from_store(cls, store: Store, rng: random.Random, anchor: dt.date) -> DataFactory:
        """Rebuild the reference lists from the database (new activity after a seed or a reuse)."""
        accounts = [
            AccountRef(aid, co, mcu.strip(), obj, sub, pec == "", obj in EXPENSE_OBJECTS)
            for aid, co, mcu, obj, sub, pec in store.conn.execute(
                'SELECT "AID", "CO", "MCU", "OBJ", "SUB", "PEC" FROM "F0901" ORDER BY "AID"'
            )
        ]
        suppliers = []
        for an8, kcop, crrp, trap, mcup, pyin in store.conn.execute(
            'SELECT "AN8", "KCOP", "CRRP", "TRAP", "MCUP", "PYIN" FROM "F0401" ORDER BY "AN8"'
        ):
            company = COMPANY_BY_CODE.get(kcop, COMPANIES[0])
            suppliers.append(SupplierRef(an8, company, crrp or company.currency, trap, mcup.strip(), pyin))
        buyers = [row[0] for row in store.conn.execute('SELECT "AN8" FROM "F0101" WHERE "AT1" = \'E\'')]
        return cls(rng, anchor, accounts, suppliers, buyers)


# What an F0911 line copies from its voucher pay item (F0411 row).
_FROM_VOUCHER = (
    "KCO", "DCT", "DOC", "DGJ", "ICU", "ICUT", "DICJ", "CO", "PN", "CTRY", "FY", "CRRM", "CRCD", "CRR", "AN8",
    "VINV", "SFX", "PO", "PKCO", "PDCT", "TORG", "USER", "PID", "JOBN", "UPMJ", "UPMT",
)  # fmt: skip


def ledger_from_batch(batch_line: Mapping[str, object], **changes: object) -> dict[str, object]:
    """The F0911 line R04110ZA posts from an F0911Z1 line: same account and amount, EDI columns
    dropped, ``EXTL`` blank, then ``changes`` (new DOC, batch, audit stamp ...) applied."""
    row = {alias: batch_line[alias] for alias in TABLES["F0911"].by_alias if alias in batch_line}
    row["EXTL"] = ""
    row.update(changes)
    return row


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split an amount in cents into ``parts`` positive pieces that add up exactly."""
    if parts == 1 or total < parts * 100:
        return [total]
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
