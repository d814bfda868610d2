"""Amounts as the flows carry them: ``Decimal`` inside, text on the way out with the decimals of the
document's currency (ISO 4217 minor units: JPY 0, EUR 2, KWD 3), never floats. Rounding a JPY or KWD
amount to two decimals would post a different amount than the supplier billed, so a value finer than its
currency allows is refused (``CurrencyDecimalsError``), never rounded.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from connector_resources.refusals import Refusal, source_invalid

CENT = Decimal("0.01")

# ISO 4217 currencies whose minor unit is not two decimals (the List One table, active codes); every other
# code, and a blank one, has two. Zero: no fractions at all; three: thousandths (fils, baisa, millimes).
NO_DECIMALS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF"}
    | {"XOF", "XPF"}
)
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


class CurrencyDecimalsError(ValueError):
    """An amount with finer fractions than its currency has (``1000.50`` JPY, ``1.2345`` KWD): what the
    source sent cannot be posted as it is, and the integration does not round money on its own. Carries
    its refusal as data (``source_invalid`` naming ``field``, the amount's field in the source), so code
    that queues the record for it keeps the kind (``refusals.refusal_of``)."""

    def __init__(self, value: Decimal, currency: str, field: str = "amount") -> None:
        places = minor_units(currency)
        allowed = "no decimals" if places == 0 else f"{places} decimals"
        super().__init__(f"the amount {value} has more decimals than {currency} has ({allowed})")
        self.value, self.currency, self.field = value, currency, field

    @property
    def refusal(self) -> Refusal:
        return source_invalid(str(self), field=self.field, value=f"{self.value} {self.currency}")


def amount(value: object) -> Decimal | None:
    """``value`` (text or number, as an API renders it) as a finite ``Decimal``; None when it is not one."""
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def minor_units(currency: str | None) -> int:
    """The decimals ``currency`` (an ISO 4217 code, any case) is counted in: 0, 3, or else 2."""
    code = str(currency or "").strip().upper()
    if code in NO_DECIMALS:
        return 0
    return 3 if code in THREE_DECIMALS else 2


def quantum(currency: str | None) -> Decimal:
    """The smallest amount of ``currency``: ``1`` (JPY), ``0.01`` (EUR), ``0.001`` (KWD)."""
    return Decimal(1).scaleb(-minor_units(currency))


def fits(value: Decimal, currency: str | None) -> bool:
    """Whether ``value`` has no finer fractions than ``currency`` has (``1000`` JPY yes, ``1000.5`` no)."""
    return value == value.quantize(quantum(currency))


def rounded(value: Decimal, currency: str | None = None) -> Decimal:
    """``value`` rounded half up to the smallest unit of ``currency`` (the yen, the cent, the fils; none: the
    cent), for a figure a system computes or renders as a float (a product, a percentage, a float total)."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def shown(value: Decimal, currency: str | None = None) -> str:
    """``value`` for a message: with its currency's decimals (``money``), or as it is when finer than they
    allow (a message shows what a system holds, never a rounded figure)."""
    return money(value, currency) if fits(value, currency) else f"{value:f}"


def money(value: Decimal, currency: str | None = None) -> str:
    """``value`` as the JDE orchestrations and the SaaS APIs take amounts: '.' decimal point, no separators.

    Without a currency: two decimals (``12.50``), rounded to the cent as before. With one: exactly the
    currency's decimals (``1000`` JPY, ``12.50`` EUR, ``12.345`` KWD); a finer value raises
    ``CurrencyDecimalsError`` (a ``ValueError``) naming the amount and the currency."""
    if currency is None:
        return f"{value.quantize(CENT):f}"
    if not fits(value, currency):
        raise CurrencyDecimalsError(value, str(currency).strip().upper())
    return f"{value.quantize(quantum(currency)):f}"
