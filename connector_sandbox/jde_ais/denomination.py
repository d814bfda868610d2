"""The currency a money write is in, and its amounts, checked the way JDE's multi-currency mapping rules say.

Why: the reference's "Multi-currency batch vouchers and journals" decides by the company's currency (F0010
``CRCD``) whether a document is domestic (amounts in ``AG`` / ``AA``, currency mode ``D``) or foreign (amounts
in the currency amount ``ACR``, mode ``F``, the domestic side computed from a rate). A voucher, a journal
entry and a payment all make that decision and check the same things, so they share this: the currency must
be in F0013 (59AE), the mode must match the currency, each amount must sit in the field of its mode with no
finer fraction than its currency has (59A0, naming the field), and a foreign document needs a rate, stated or
in F0015 on its G/L date (59AD).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .currency import company_currency, currency_decimals, exchange_rate, fits

CURRENCY_AMOUNT = "Currency_Amount"


class MoneyRefused(Exception):
    """A currency rule the orchestration enforces: ``code`` is an entry of its contract's error catalog."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Denomination:
    """A document's currency against its company's: which amount field it uses and how it converts."""

    document: str  # "voucher", "journal entry", "payment": how the messages name it
    company: str
    currency: str
    decimals: int  # the transaction currency's (F0013 CDEC)
    domestic: str  # the company's currency
    domestic_decimals: int
    foreign: bool
    stated_rate: Decimal | None  # Exchange_Rate as sent (foreign only)

    def rate(self, conn: sqlite3.Connection, gl_date: dt.date) -> Decimal:
        """The rate a foreign document converts at: the one stated, else F0015 on its G/L date (59AD)."""
        if self.stated_rate is not None:
            return self.stated_rate
        rate = exchange_rate(conn, self.currency, self.domestic, gl_date)
        if rate is None:
            raise MoneyRefused(
                "59AD",
                f"The {self.document} is in {self.currency}, foreign to company {self.company} "
                f"({self.domestic}): no Exchange_Rate was sent and F0015 has no {self.currency} to "
                f"{self.domestic} rate effective on or before the G/L date {gl_date.isoformat()}",
            )
        return rate

    def amount(self, row: dict[str, Any], where: str, domestic_field: str) -> Decimal:
        """The amount of one input row in the document's currency: ``Currency_Amount`` when foreign, else
        ``domestic_field`` (Gross_Amount, Amount, Payment_Amount); the other one must be blank."""
        used, unused = (
            (CURRENCY_AMOUNT, domestic_field) if self.foreign else (domestic_field, CURRENCY_AMOUNT)
        )
        mode = "F" if self.foreign else "D"
        if row.get(unused) is not None:
            raise MoneyRefused(
                "59A0",
                f"Input '{where}{unused}' is refused in Currency_Mode {mode}: a {self.describe()} "
                f"{self.document} has its amounts in {used}",
            )
        value = row.get(used)
        if value is None:
            raise MoneyRefused(
                "59A0",
                f"Input '{where}{used}' is required: a {self.describe()} {self.document} has its amounts "
                f"in {used}",
            )
        if self.foreign and not fits(value, self.decimals):
            raise MoneyRefused(
                "59A0",
                f"Input '{where}{used}' {value} has more decimals than {self.currency} has ({self.decimals}, "
                "F0013 CDEC)",
            )
        return value

    def describe(self) -> str:
        if self.foreign:
            return f"{self.currency} (foreign to company {self.company}'s {self.domestic})"
        return f"{self.currency} (company {self.company}'s own currency)"


def denominate(
    conn: sqlite3.Connection,
    document: str,
    company: str,
    currency: str,
    currency_label: str,
    mode: str,
    stated_rate: Decimal | None,
) -> Denomination:
    """The document's ``currency`` judged against ``company``'s in currency ``mode`` (``D`` / ``F``).

    ``currency_label`` names where the currency came from in the messages ("Currency_Code", or "Currency_Code
    (blank: supplier 1234's A/P currency)")."""
    decimals = currency_decimals(conn, currency)
    if decimals is None:
        raise MoneyRefused(
            "59AE",
            f"{currency_label} {currency!r} of the {document} is not in the Currency Codes table F0013",
        )
    domestic = company_currency(conn, company)
    domestic_decimals = currency_decimals(conn, domestic) if domestic else None
    if domestic is None or domestic_decimals is None:
        raise MoneyRefused(
            "59A0",
            f"Company {company} has no currency set up (F0010 CRCD) to judge the {document}'s {currency}",
        )
    if mode == "D" and currency != domestic:
        raise MoneyRefused(
            "59A0",
            f"{currency_label} {currency} is not company {company}'s currency {domestic}: a foreign "
            f"{document} is sent in Currency_Mode F with its amounts in Currency_Amount",
        )
    if mode == "F" and currency == domestic:
        raise MoneyRefused(
            "59A0",
            f"Input 'Currency_Mode' F is for a foreign {document}, but {currency_label} {currency} is "
            f"company {company}'s own currency: send Currency_Mode D",
        )
    if stated_rate is not None and mode == "D":
        raise MoneyRefused(
            "59A0", f"Input 'Exchange_Rate' applies to a foreign {document} (Currency_Mode F) only"
        )
    if stated_rate is not None and stated_rate <= 0:
        raise MoneyRefused("59A0", f"Input 'Exchange_Rate' {stated_rate} must be greater than zero")
    return Denomination(
        document, company, currency, decimals, domestic, domestic_decimals, mode == "F", stated_rate
    )
