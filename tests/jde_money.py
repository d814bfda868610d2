"""Money as the JDE simulator stores it, read back in the document's currency, for tests of the flows that
post to JDE: a domestic row's amount in its domestic column (``AG`` / ``AA``, cents), a foreign row's
(``CRRM`` F) in the currency amount ``ACR``, scaled by its currency's decimals (JPY 1000 stored 1000, KWD
1.234 stored 1234), as JDE keeps them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector_assets.flows.amounts import minor_units


def foreign(row: dict[str, Any]) -> bool:
    """Whether the row is a foreign transaction (``CRRM`` F): its own-currency amounts are in ``ACR``."""
    return str(row.get("CRRM") or "").strip() == "F"


def stored(row: dict[str, Any], column: str) -> Decimal:
    """The row's ``column`` as money: a domestic column in cents, ``ACR`` / ``FAP`` in the row's currency."""
    value = Decimal(int(row.get(column) or 0))
    places = minor_units(str(row.get("CRCD") or "")) if column in ("ACR", "FAP") else 2
    return value.scaleb(-places)


def in_document_currency(row: dict[str, Any], domestic: str = "AG") -> Decimal:
    """The row's amount in its document's currency: ``ACR`` when foreign, else ``domestic`` (AG, AA)."""
    return stored(row, "ACR") if foreign(row) else stored(row, domestic)


def paid(recorded: dict[str, Any]) -> Decimal:
    """A payment the JDE simulator recorded (``/sandbox/payments``) in the voucher's currency: its currency
    amount for a foreign voucher's, else its domestic amount (cents)."""
    if int(recorded.get("currency_amount") or 0):
        return Decimal(int(recorded["currency_amount"])).scaleb(-minor_units(str(recorded["currency"])))
    return Decimal(int(recorded["amount"])) / 100


def payment_of_open_amount(voucher: dict[str, Any]) -> dict[str, Any]:
    """``ML_RecordPayment``'s amount inputs paying an F0411 pay item's whole open amount in its currency:
    a foreign voucher's ``FAP`` in Currency_Mode F, else ``AAP`` (as the integration's JDE target places a
    payment)."""
    if foreign(voucher):
        currency = str(voucher["CRCD"]).strip()
        amount = stored(voucher, "FAP")
        text = f"{amount:.{minor_units(currency)}f}"
        return {"Currency_Code": currency, "Currency_Mode": "F", "Currency_Amount": text}
    return {"Payment_Amount": f"{stored(voucher, 'AAP'):.2f}"}
