"""Field by field: what a flow writes to BILL (a vendor's body, a bill's body, as its own mapper makes it
from JDE now) against the record BILL holds, each disagreement a ``Drift`` (kind, field, both values).

Names and tax IDs compare as the vendors flow matches them, money as money, line amounts only when both
sides are in one currency. Which fields: docs/integrations/jde_bill.md, "Reconciliation" ("What is
compared").
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.bill.targets import ADDRESS_KEYS, comparable_name, comparable_tax_id
from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, amount, currencies_differ, money

from ..payments import bill_currency


@dataclass(frozen=True)
class Drift:
    """One field on which BILL's record is not what the flow writes: the difference's kind, the field, the
    value from JDE (what the flow writes) and BILL's."""

    kind: str
    field: str
    jde: str
    bill: str


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _part(record: Mapping[str, object], *path: str) -> Any:
    """``record[a][b]...``, None where a level is missing or not an object."""
    value: object = record
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def archived(record: Mapping[str, object], active: str) -> list[Drift]:
    """An archived BILL record the JDE side holds as ``active`` (BILL's delete is an archive)."""
    return [Drift("status", "status", active, "archived")] if record.get("archived") is True else []


def vendor_drift(body: Mapping[str, object], vendor: Mapping[str, object]) -> list[Drift]:
    """The vendors flow's body against BILL's vendor."""
    drifts = archived(vendor, "active")
    name, their_name = _text(body.get("name")), _text(vendor.get("name"))
    if comparable_name(name) != comparable_name(their_name):
        drifts.append(Drift("name", "name", name, their_name))
    tax, their_tax = (
        _text(_part(body, "additionalInfo", "taxId")),
        _text(_part(vendor, "additionalInfo", "taxId")),
    )
    if comparable_tax_id(tax) != comparable_tax_id(their_tax):
        drifts.append(Drift("tax ID", "additionalInfo.taxId", tax or "-", their_tax or "-"))
    kind, their_kind = _text(body.get("accountType")), _text(vendor.get("accountType"))
    if kind and kind != their_kind:
        drifts.append(Drift("account type", "accountType", kind, their_kind or "-"))
    currency = _text(body.get("billCurrency")).upper()  # sent only when JDE names one (F0401 CRRP)
    their_currency = bill_currency(vendor)
    if currencies_differ(currency, their_currency):
        drifts.append(Drift(CURRENCY_MISMATCH, "billCurrency", currency, their_currency))
    payee = _text(_part(body, "paymentInformation", "payeeName"))
    their_payee = _text(_part(vendor, "paymentInformation", "payeeName"))
    if payee and comparable_name(payee) != comparable_name(their_payee):
        drifts.append(Drift("payee name", "paymentInformation.payeeName", payee, their_payee or "-"))
    if isinstance(body.get("address"), Mapping):  # no address sent: BILL keeps its own
        for key in ADDRESS_KEYS:
            ours, theirs = _text(_part(body, "address", key)), _text(_part(vendor, "address", key))
            if ours.casefold() != theirs.casefold():
                drifts.append(Drift("address", f"address.{key}", ours or "-", theirs or "-"))
    return drifts


def lines_total(lines: Any) -> Decimal:
    return sum((amount(line.get("amount")) for line in lines or [] if isinstance(line, Mapping)), Decimal(0))


def bill_drift(
    body: Mapping[str, Any], bill: Mapping[str, Any], names: Mapping[str, str], amounts: bool = True
) -> list[Drift]:
    """The bills flow's body against BILL's bill (``names``: BILL classification id -> name, for words).
    ``amounts`` False: the two are in different currencies, so line amounts are not compared (the caller
    names the currency mismatch); the other fields are."""
    drifts = archived(bill, "open")
    vendor, their_vendor = _text(body.get("vendorId")), _text(bill.get("vendorId"))
    if vendor and vendor != their_vendor:
        drifts.append(Drift("vendor", "vendorId", vendor, their_vendor or "-"))
    for kind, path in (
        ("invoice number", ("invoice", "invoiceNumber")),
        ("invoice date", ("invoice", "invoiceDate")),
        ("due date", ("dueDate",)),
    ):
        ours, theirs = _text(_part(body, *path)), _text(_part(bill, *path))
        if "date" in kind:  # a day, however BILL writes it
            ours, theirs = ours[:10], theirs[:10]
        if ours != theirs:
            drifts.append(Drift(kind, ".".join(path), ours or "-", theirs or "-"))
    ours, theirs = list(body.get("billLineItems") or []), list(bill.get("billLineItems") or [])
    if len(ours) != len(theirs):
        drifts.append(
            Drift(
                "lines",
                "billLineItems",
                f"{len(ours)} lines, {money(lines_total(ours))}",
                f"{len(theirs)} lines, {money(lines_total(theirs))}",
            )
        )
        return drifts
    for number, (line, their_line) in enumerate(zip(ours, theirs, strict=True), start=1):
        if amounts and amount(line.get("amount")) != amount(their_line.get("amount")):
            drifts.append(
                Drift(
                    "line amount",
                    f"line {number} amount",
                    money(amount(line.get("amount"))),
                    money(amount(their_line.get("amount"))),
                )
            )
        for kind, key in (("GL account", "chartOfAccountId"), ("department", "departmentId")):
            wanted = _text(_part(line, "classifications", key))
            found = _text(_part(their_line, "classifications", key))
            if wanted != found:
                drifts.append(
                    Drift(kind, f"line {number} {key}", _named(wanted, names), _named(found, names))
                )
    return drifts


def _named(bill_id: str, names: Mapping[str, str]) -> str:
    """A classification id with its BILL name when the staged snapshot knows it; ``-`` for none."""
    if not bill_id:
        return "-"
    name = names.get(bill_id)
    return f"{bill_id} ({name})" if name else bill_id
