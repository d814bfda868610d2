"""Currencies in the simulated E1: F0013 decimals, F0015 exchange rates, each company's currency (F0010).

Why a module of its own: the reference's "Multi-currency batch vouchers and journals" makes one document
touch three tables and two currencies, and every writer (the orchestrations, R04110ZA, the journal
processor, the A/P clerk) must round and store the same way. JDE keeps an amount as a whole number scaled by
its currency's decimals: a domestic column (``AG``, ``AAP``, ``AA``, ``PAAP``) by the company's currency, a
foreign one (``ACR``, ``FAP``, ``PFAP``, F0911 ``AA`` on ledger ``CA``) by the row's ``CRCD`` (JPY 1000 is
stored 1000, KWD 1.234 as 1234). Every seeded company's currency (USD, EUR, CNY) has 2 decimals, so domestic
columns keep the dictionary's 2; foreign ones are ``tables.ForeignAmount`` and read back through the data
service with their row's decimals (``decimals_sql``).

A foreign amount becomes domestic at a rate (domestic units per foreign unit, ``CRR``): the one the document
states, else F0015's latest for the pair effective on or before the G/L date (address 0, rate type blank).
Rounding is half up to the domestic currency's decimals; a document's domestic total is converted once and
its parts made to add up to it (``allocate``), so pay items and G/L lines always sum to the voucher's gross.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .dates import from_julian, to_hhmmss, to_julian
from .periods import DEFAULT_COMPANY
from .store import Store, quote
from .tables import ForeignAmount, Table
from .vocabulary import CURRENCIES, EXCHANGE_RATES

RATE_DECIMALS = 7  # CRR / CRRD are D(15,7)
# Conditions and ordering on a foreign amount compare every row at this many decimals (ISO 4217 has none
# finer), so 1.5 KWD and 1.5 EUR compare equal although one is stored 1500 and the other 150.
COMMON_SCALE = 4


class RateRefused(ValueError):
    """An exchange rate the operator route cannot enter (unknown currency, not a positive number ...)."""


def currency_decimals(conn: sqlite3.Connection, code: str) -> int | None:
    """F0013 ``CDEC`` of ``code`` (a character in JDE: "2"), None when the currency is not set up."""
    row = conn.execute('SELECT "CDEC" FROM "F0013" WHERE "CRCD" = ?', (code,)).fetchone()
    return None if row is None else int(row[0].strip() or 0)


def company_currency(conn: sqlite3.Connection, company: str) -> str | None:
    """The company's currency (F0010 ``CRCD``); a company without its own row takes 00000's, as JDE does."""
    for code in (company, DEFAULT_COMPANY):
        row = conn.execute('SELECT "CRCD" FROM "F0010" WHERE "CO" = ?', (code,)).fetchone()
        if row is not None:
            return str(row[0]).strip() or None
    return None


def exchange_rate(conn: sqlite3.Connection, source: str, target: str, day: dt.date) -> Decimal | None:
    """F0015's rate from ``source`` into ``target`` in effect on ``day`` (the latest EFT on or before it)."""
    row = conn.execute(
        'SELECT "CRR" FROM "F0015" WHERE "CRCD" = ? AND "CRDC" = ? AND "AN8" = 0 AND "RTTYP" = \'\' '
        'AND "EFT" <= ? ORDER BY "EFT" DESC LIMIT 1',
        (source, target, to_julian(day)),
    ).fetchone()
    return None if row is None or not row[0] else from_stored(row[0], RATE_DECIMALS)


def to_stored(amount: Decimal, decimals: int) -> int:
    """``amount`` as JDE stores it with ``decimals`` implied (the caller checked it has no finer fraction)."""
    return int(amount.scaleb(decimals).to_integral_value())


def from_stored(value: int, decimals: int) -> Decimal:
    return Decimal(value).scaleb(-decimals)


def fits(amount: Decimal, decimals: int) -> bool:
    """Whether ``amount`` has no finer fraction than ``decimals`` (JPY 1000.5 does not fit 0)."""
    return amount == amount.quantize(Decimal(1).scaleb(-decimals))


def text(amount: Decimal, decimals: int) -> str:
    """An amount written with exactly its currency's decimals: ``1000`` JPY, ``1.234`` KWD, ``923.02`` EUR."""
    return f"{amount:.{decimals}f}"


def convert(amount: Decimal, rate: Decimal, decimals: int) -> Decimal:
    """``amount`` x ``rate``, rounded half up to ``decimals`` (the domestic currency's)."""
    return (amount * rate).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def allocate(total: Decimal, parts: list[Decimal], rate: Decimal, decimals: int) -> list[Decimal]:
    """Each part converted, the rounding difference against ``total`` put on the largest part, so the
    converted parts add up to ``total`` exactly (a voucher's lines to its gross; a journal's lines to 0)."""
    shares = [convert(part, rate, decimals) for part in parts]
    difference = total - sum(shares, Decimal(0))
    if difference and shares:
        largest = max(range(len(parts)), key=lambda index: abs(parts[index]))
        shares[largest] += difference
    return shares


# --- the data service: foreign amounts read with their row's decimals ------------------------------------


def decimals_sql(table: Table, amount: ForeignAmount, default: int) -> str:
    """SQL giving the decimals a row's ``amount`` is stored with: its currency's F0013 ``CDEC``; a zero
    amount, a row outside ``amount.ledger`` or an unknown currency keeps ``default`` (the item's own)."""
    row = quote(table.name)
    column = f"{row}.{quote(amount.alias)}"
    lookup = (
        f'(SELECT CAST("CDEC" AS INTEGER) FROM "F0013" WHERE "F0013"."CRCD" = {row}.{quote(amount.currency)})'
    )
    ledger = f"WHEN {row}.\"LT\" <> '{amount.ledger}' THEN {default} " if amount.ledger else ""
    return f"(CASE WHEN {column} = 0 THEN {default} {ledger}ELSE COALESCE({lookup}, {default}) END)"


def comparable_sql(table: Table, amount: ForeignAmount, default: int) -> str:
    """SQL giving a row's ``amount`` at ``COMMON_SCALE`` decimals, whatever its currency: what a condition
    or an ordering on a foreign amount compares."""
    factors = " ".join(
        f"WHEN {places} THEN {10 ** (COMMON_SCALE - places)}" for places in range(COMMON_SCALE)
    )
    scale = f"(CASE {decimals_sql(table, amount, default)} {factors} ELSE 1 END)"
    return f"({quote(table.name)}.{quote(amount.alias)} * {scale})"


# --- seeding and the operator's rate entry ---------------------------------------------------------------


def _audit(day: dt.date, time: int, program: str) -> dict[str, Any]:
    return {"USER": "JSMITH", "PID": program, "JOBN": "WS100", "UPMJ": to_julian(day), "UPMT": time}


def _rate_row(source: str, target: str, rate: Decimal, effective: dt.date) -> dict[str, Any]:
    divisor = (1 / rate).quantize(Decimal(1).scaleb(-RATE_DECIMALS), rounding=ROUND_HALF_UP)
    return {
        "CRCD": source,
        "CRDC": target,
        "AN8": 0,
        "RTTYP": "",
        "EFT": to_julian(effective),
        "CSR": "Y",  # multiply by CRR (Z would divide by CRRD)
        "CRR": to_stored(rate, RATE_DECIMALS),
        "CRRD": to_stored(divisor, RATE_DECIMALS),
    }


def seed_currencies(store: Store, effective: dt.date) -> None:
    """F0013 with ``vocabulary.CURRENCIES`` and F0015 with ``vocabulary.EXCHANGE_RATES``, every rate
    effective from ``effective`` (before any seeded document), as set up before the history began."""
    audit = _audit(effective, 80000, "P0013")
    currencies = [
        {"CRCD": code, "DL01": name, "CDEC": str(places), **audit} for code, name, places in CURRENCIES
    ]
    rates = [
        {**_rate_row(source, target, Decimal(rate), effective), **audit, "PID": "P0015A"}
        for (source, target), rate in EXCHANGE_RATES.items()
    ]
    with store.transaction() as conn:
        store.insert("F0013", currencies, connection=conn)
        store.insert("F0015", rates, connection=conn)


def set_rate(store: Store, source: str, target: str, rate: Any, effective: dt.date, now: dt.datetime) -> dict:
    """A treasury user enters (or corrects) a rate in P0015A: ``source`` -> ``target`` from ``effective``."""
    for code in (source, target):
        if currency_decimals(store.conn, code) is None:
            raise RateRefused(f"currency {code!r} is not in the Currency Codes table F0013")
    if source == target:
        raise RateRefused(f"a rate needs two currencies; both are {source}")
    try:
        value = Decimal(str(rate).strip())
    except ArithmeticError:
        raise RateRefused(f"rate {rate!r} is not a number") from None
    if not value.is_finite() or value <= 0 or not fits(value, RATE_DECIMALS):
        raise RateRefused(f"rate {rate} must be greater than zero with at most {RATE_DECIMALS} decimals")
    row = {**_rate_row(source, target, value, effective), **_audit(now.date(), to_hhmmss(now), "P0015A")}
    row |= {"USER": "TREASURY", "JOBN": "WS301"}
    with store.transaction() as conn:
        conn.execute(
            'DELETE FROM "F0015" WHERE "CRCD" = ? AND "CRDC" = ? AND "AN8" = 0 AND "RTTYP" = \'\' '
            'AND "EFT" = ?',
            (source, target, row["EFT"]),
        )
        store.insert("F0015", [row], connection=conn)
    return {
        "from": source,
        "to": target,
        "rate": text(value, RATE_DECIMALS),
        "effective": str(from_julian(row["EFT"])),
    }
