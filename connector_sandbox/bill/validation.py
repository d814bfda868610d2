"""Request-body checks that collect every problem of a record before answering.

Each problem becomes one error object whose message names the record (index in a bulk request, and
the vendor name or invoice number when known) and the JSON path of the field, e.g.
``bill 'INV-1': billLineItems[2].classifications.departmentId: 0de02... does not exist``.

Field length limits are sandbox choices (the reference documents only the 70-character payment
description); they are listed in README.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

from . import errors
from .errors import BillError, Problem
from .formats import parse_date, round_cents, to_cents, to_decimal

FIELD_LIMITS: dict[str, int] = {
    "vendor.name": 100,
    "vendor.shortName": 30,
    "vendor.email": 255,
    "vendor.phone": 30,
    "address.line1": 100,
    "address.line2": 100,
    "address.city": 50,
    "address.stateOrProvince": 50,
    "address.zipOrPostalCode": 20,
    "paymentInformation.payeeName": 100,
    "bankAccount.nameOnAccount": 100,
    "additionalInfo.taxId": 20,
    "invoice.invoiceNumber": 50,
    "bill.description": 1000,
    "bill.purchaseOrderNumber": 50,
    "line.description": 1000,
    "payment.description": 70,
    "classification.name": 100,
    "classification.accountNumber": 30,
    "classification.description": 1000,
    "subscription.name": 100,
}

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "MXN", "CNY", "AUD", "CHF", "JPY")
TAX_ID_TYPES = ("EIN", "SSN", "VAT", "OTHER")  # sandbox choice
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_Parsed = TypeVar("_Parsed")
Lookup = Callable[[str, str], dict[str, Any] | None]  # (kind, id) -> stored document


class Checker:
    """Collects problems for one record; ``raise_if_any`` turns them into one 400 answer."""

    def __init__(self, record: str = "", *, strict: bool = True) -> None:
        self.record = f"{record}: " if record else ""
        self.strict = strict
        self.problems: list[Problem] = []
        self._misfits = 0  # unknown / read-only problems, kept at the front of ``problems``

    def fail(self, path: str, message: str, code: str = errors.VALIDATION) -> None:
        self.problems.append(Problem(code, f"{self.record}{path}: {message}"))

    def unknown(
        self, obj: dict[str, Any], path: str, allowed: Iterable[str], readonly: Iterable[str] = ()
    ) -> None:
        """Misspelt or made-up fields and read-only response fields (both BDC_1002) when strict.

        The reference documents only BDC_1002 "often a misspelt param" and is silent on read-only
        fields; a write that names one depends on BILL storing what it never stores, so the strict
        reading refuses it too. Updates merge onto ``writable(...)`` so only what the
        client sent can trip this; the problems come first, before any other check of the record.
        """
        if not self.strict:
            return
        known, fixed = set(allowed), set(readonly)
        for key in obj:
            if key in fixed:
                problem = errors.read_only_field(f"{self.record}{path}{key}")
            elif key not in known:
                problem = errors.unknown_field(f"{self.record}{path}{key}")
            else:
                continue
            self.problems.insert(self._misfits, problem)
            self._misfits += 1

    def obj(
        self, parent: dict[str, Any], key: str, path: str, *, required: bool = False
    ) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path + key, "is required")
            return None
        if not isinstance(value, dict):
            self.fail(path + key, "must be an object")
            return None
        return value

    def text(
        self,
        parent: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        limit: str | None = None,
        choices: Iterable[str] | None = None,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
    ) -> str | None:
        value = parent.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and required):
            if required:
                self.fail(path + key, "is required")
            return None
        if not isinstance(value, str):
            self.fail(path + key, f"must be a string, got {type(value).__name__}")
            return None
        if limit and len(value) > FIELD_LIMITS[limit]:
            self.fail(
                path + key, f"is {len(value)} characters long; at most {FIELD_LIMITS[limit]} are allowed"
            )
        options = tuple(choices) if choices is not None else None
        if options is not None and value not in options:
            self.fail(path + key, f"{value!r} is not one of {', '.join(options)}")
        if pattern is not None and not pattern.match(value):
            self.fail(path + key, f"{value!r} is not {pattern_hint}")
        return value

    def boolean(self, parent: dict[str, Any], key: str, path: str) -> bool | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(path + key, "must be true or false")
            return None
        return value

    def date(self, parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> dt.date | None:
        return self._parsed(parent, key, path, parse_date, required=required)

    def cents(self, parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> int | None:
        return self._parsed(parent, key, path, to_cents, required=required)

    def decimal(self, parent: dict[str, Any], key: str, path: str) -> Decimal | None:
        return self._parsed(parent, key, path, to_decimal)

    def _parsed(
        self,
        parent: dict[str, Any],
        key: str,
        path: str,
        parse: Callable[[Any], _Parsed],
        *,
        required: bool = False,
    ) -> _Parsed | None:
        """``parse(parent[key])``; a missing value (when required) or one ``parse`` rejects is a problem."""
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path + key, "is required")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(path + key, str(exc))
            return None

    def objects(
        self, parent: dict[str, Any], key: str, requirement: str
    ) -> Iterator[tuple[str, dict[str, Any]]] | None:
        """The objects of the non-empty list ``parent[key]`` with their paths (``key[i].``), lazily, each
        item that is no object a problem in its place; None, after failing with ``requirement``, when
        ``parent[key]`` is not a non-empty list."""
        items = parent.get(key)
        if not isinstance(items, list) or not items:
            self.fail(key, requirement)
            return None
        return self._each_object(key, items)

    def _each_object(self, key: str, items: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for position, item in enumerate(items):
            path = f"{key}[{position}]."
            if isinstance(item, dict):
                yield path, item
            else:
                self.fail(path[:-1], "must be an object")

    def existing(
        self, lookup: Lookup, kind: str, record_id: str, path: str, where: str = ""
    ) -> dict[str, Any] | None:
        """The stored record ``record_id`` of ``kind`` (None if there is none); a record that is missing
        or archived is a problem at ``path`` (``where`` ends the "does not exist in ..." message)."""
        record = lookup(kind, record_id)
        if record is None:
            self.fail(path, f"{record_id} does not exist in this organization{where}")
        elif record.get("archived"):
            self.fail(path, f"{record_id} ({record.get('name')}) is archived", errors.INVALID_STATE)
        return record

    def raise_if_any(self) -> None:
        if self.problems:
            raise BillError(400, list(self.problems))


def writable(
    rendered: dict[str, Any], readonly: Iterable[str], nested: dict[str, Iterable[str]] | None = None
) -> dict[str, Any]:
    """A rendered record without its read-only fields: the base an update's patch merges onto, so
    only read-only fields the client itself sent are refused."""
    base = {key: value for key, value in rendered.items() if key not in set(readonly)}
    for key, inner in (nested or {}).items():
        if isinstance(base.get(key), dict):
            base[key] = {name: value for name, value in base[key].items() if name not in set(inner)}
    return base


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# -- vendors ----------------------------------------------------------------------------------------

VENDOR_FIELDS = (
    "name",
    "shortName",
    "accountType",
    "email",
    "phone",
    "address",
    "paymentInformation",
    "billCurrency",
    "additionalInfo",
)
VENDOR_READONLY = ("id", "archived", "networkStatus", "createdTime", "updatedTime", "virtualCard")
PAYMENT_INFO_READONLY = ("payByType", "virtualCard")
ADDRESS_FIELDS = ("line1", "line2", "city", "stateOrProvince", "zipOrPostalCode", "country")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DIGITS = re.compile(r"^\d{4,17}$")
_ROUTING = re.compile(r"^\d{9}$")


def vendor_label(body: dict[str, Any], position: int | None = None) -> str:
    name = body.get("name") if isinstance(body.get("name"), str) else None
    label = f"vendor {name!r}" if name else "vendor"
    return f"[{position}] {label}" if position is not None else label


def check_vendor(body: dict[str, Any], check: Checker) -> tuple[dict[str, Any], dict[str, str] | None]:
    """(vendor fields in response shape, bank account or None) of a full vendor record."""
    check.unknown(body, "", VENDOR_FIELDS, VENDOR_READONLY)
    fields: dict[str, Any] = {}
    fields["name"] = check.text(body, "name", "", required=True, limit="vendor.name")
    for key, limit in (("shortName", "vendor.shortName"), ("phone", "vendor.phone")):
        if (value := check.text(body, key, "", limit=limit)) is not None:
            fields[key] = value
    email = check.text(
        body, "email", "", limit="vendor.email", pattern=_EMAIL, pattern_hint="an e-mail address"
    )
    if email is not None:
        fields["email"] = email
    fields["accountType"] = (
        check.text(body, "accountType", "", choices=("BUSINESS", "PERSON", "NONE")) or "NONE"
    )
    fields["billCurrency"] = check.text(body, "billCurrency", "", choices=CURRENCIES) or "USD"
    address = check.obj(body, "address", "")
    if address is not None:
        check.unknown(address, "address.", ADDRESS_FIELDS)
        clean = {}
        for key in ADDRESS_FIELDS[:-1]:
            # An empty part is no part (how BILL clears one is not documented; its model has strings only).
            if value := check.text(address, key, "address.", limit=f"address.{key}"):
                clean[key] = value
        country = check.text(address, "country", "address.", pattern=_COUNTRY, pattern_hint="an ISO-2 code")
        if country is not None:
            clean["country"] = country
        fields["address"] = clean
    bank = None
    payment = check.obj(body, "paymentInformation", "")
    if payment is not None:
        check.unknown(payment, "paymentInformation.", ("payeeName", "bankAccount"), PAYMENT_INFO_READONLY)
        payee = check.text(payment, "payeeName", "paymentInformation.", limit="paymentInformation.payeeName")
        fields["paymentInformation"] = {"payeeName": payee} if payee else {}
        account = check.obj(payment, "bankAccount", "paymentInformation.")
        if account is not None:
            path = "paymentInformation.bankAccount."
            check.unknown(account, path, ("nameOnAccount", "accountNumber", "routingNumber", "type"))
            holder = check.text(
                account, "nameOnAccount", path, required=True, limit="bankAccount.nameOnAccount"
            )
            number = check.text(
                account, "accountNumber", path, required=True, pattern=_DIGITS, pattern_hint="4 to 17 digits"
            )
            routing = check.text(
                account,
                "routingNumber",
                path,
                required=True,
                pattern=_ROUTING,
                pattern_hint="a 9-digit ABA number",
            )
            check.text(account, "type", path, choices=("CHECKING", "SAVINGS"))
            if holder and number and routing:
                bank = {
                    "nameOnAccount": holder,
                    "last4": number[-4:],
                    "type": account.get("type") or "CHECKING",
                }
    info = check.obj(body, "additionalInfo", "")
    if info is not None:
        check.unknown(info, "additionalInfo.", ("taxId", "taxIdType"))
        clean_info = {}
        if (tax := check.text(info, "taxId", "additionalInfo.", limit="additionalInfo.taxId")) is not None:
            clean_info["taxId"] = tax
        if (kind := check.text(info, "taxIdType", "additionalInfo.", choices=TAX_ID_TYPES)) is not None:
            clean_info["taxIdType"] = kind
        fields["additionalInfo"] = clean_info
    return fields, bank


# -- bills ------------------------------------------------------------------------------------------

BILL_FIELDS = (
    "vendorId",
    "dueDate",
    "invoice",
    "description",
    "purchaseOrderNumber",
    "payFromChartOfAccountId",
    "classifications",
    "billLineItems",
    "vendorCredits",
)
BILL_READONLY = (
    "id",
    "archived",
    "amount",
    "dueAmount",
    "paymentStatus",
    "approvalStatus",
    "vendorName",
    "createdTime",
    "updatedTime",
    "createdBy",
    "fundingAmount",
    "exchangeRate",
    "billApprovals",
)
LINE_FIELDS = ("id", "amount", "quantity", "price", "description", "classifications")
CLASSIFICATION_KINDS = {
    "chartOfAccountId": "chart-of-accounts",
    "departmentId": "departments",
    "locationId": "locations",
    "accountingClassId": "accounting-classes",
    "itemId": "items",
}


def bill_label(body: dict[str, Any], position: int | None = None) -> str:
    invoice = body.get("invoice") if isinstance(body.get("invoice"), dict) else {}
    number = invoice.get("invoiceNumber") if isinstance(invoice.get("invoiceNumber"), str) else None
    label = f"bill {number!r}" if number else "bill"
    return f"[{position}] {label}" if position is not None else label


def _check_classifications(
    parent: dict[str, Any], path: str, check: Checker, lookup: Lookup
) -> dict[str, str]:
    found = check.obj(parent, "classifications", path)
    if found is None:
        return {}
    where = f"{path}classifications."
    check.unknown(found, where, [*CLASSIFICATION_KINDS, "jobId", "employeeId"])
    clean = {}
    for key, kind in {**CLASSIFICATION_KINDS, "jobId": "jobs", "employeeId": "employees"}.items():
        value = check.text(found, key, where)
        if value is None:
            continue
        record = check.existing(lookup, kind, value, where + key, f"'s {kind}")
        if record is not None and not record.get("archived"):
            clean[key] = value
    return clean


def check_bill(body: dict[str, Any], check: Checker, lookup: Lookup) -> dict[str, Any]:
    """Normalized bill fields (lines with integer cents under ``_cents``) of a full bill record."""
    check.unknown(body, "", BILL_FIELDS, BILL_READONLY)
    fields: dict[str, Any] = {}
    vendor_id = check.text(body, "vendorId", "", required=True)
    if vendor_id is not None:
        fields["vendor"] = check.existing(lookup, "vendors", vendor_id, "vendorId")
    due = check.date(body, "dueDate", "", required=True)
    fields["dueDate"] = due.isoformat() if due else None
    invoice = check.obj(body, "invoice", "", required=True)
    if invoice is not None:
        check.unknown(invoice, "invoice.", ("invoiceNumber", "invoiceDate"))
        number = check.text(
            invoice, "invoiceNumber", "invoice.", required=True, limit="invoice.invoiceNumber"
        )
        invoice_date = check.date(invoice, "invoiceDate", "invoice.", required=True)
        fields["invoice"] = {
            "invoiceNumber": number,
            "invoiceDate": invoice_date.isoformat() if invoice_date else None,
        }
    for key, limit in (
        ("description", "bill.description"),
        ("purchaseOrderNumber", "bill.purchaseOrderNumber"),
    ):
        if (value := check.text(body, key, "", limit=limit)) is not None:
            fields[key] = value
    pay_from = check.text(body, "payFromChartOfAccountId", "")
    if pay_from is not None:
        account = lookup("chart-of-accounts", pay_from)
        if account is None:
            check.fail("payFromChartOfAccountId", f"{pay_from} does not exist in this organization")
        elif account.get("type") != "BANK":
            check.fail("payFromChartOfAccountId", f"{pay_from} ({account['name']}) is not a bank account")
        else:
            fields["payFromChartOfAccountId"] = pay_from
    fields["classifications"] = _check_classifications(body, "", check, lookup)
    if body.get("vendorCredits"):
        check.fail("vendorCredits", "applying vendor credits is not simulated by the sandbox")
    lines = check.objects(body, "billLineItems", "is required and must hold at least one line")
    clean_lines = []
    if lines is not None:
        clean_lines = [_check_line(line, path, check, lookup) for path, line in lines]
        total = sum(line.get("_cents") or 0 for line in clean_lines)
        if not check.problems and total <= 0:
            check.fail("billLineItems", "the bill total must be greater than zero")
    fields["billLineItems"] = clean_lines
    return fields


def _check_line(line: dict[str, Any], path: str, check: Checker, lookup: Lookup) -> dict[str, Any]:
    check.unknown(line, path, LINE_FIELDS)
    clean: dict[str, Any] = {}
    if isinstance(line.get("id"), str):
        clean["id"] = line["id"]
    amount = check.cents(line, "amount", path)
    quantity, price = check.decimal(line, "quantity", path), check.decimal(line, "price", path)
    if quantity is not None and quantity <= 0:
        check.fail(path + "quantity", "must be greater than zero")
    if (quantity is None) != (price is None):
        check.fail(path + ("price" if price is None else "quantity"), "quantity and price go together")
    elif quantity is not None and price is not None:
        computed = round_cents(quantity * price)
        if amount is not None and amount != computed:
            check.fail(
                path + "amount", f"{line['amount']} does not equal quantity x price ({computed / 100:.2f})"
            )
        amount = computed if amount is None else amount
        clean["quantity"], clean["price"] = float(quantity), float(price)
    if amount is None and "amount" not in line and quantity is None:
        check.fail(path + "amount", "is required (or quantity and price)")
    clean["_cents"] = amount
    description = check.text(line, "description", path, limit="line.description")
    if description is not None:
        clean["description"] = description
    classifications = _check_classifications(line, path, check, lookup)
    if classifications:
        clean["classifications"] = classifications
    return clean
