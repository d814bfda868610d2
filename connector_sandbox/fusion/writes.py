"""Creating and changing business objects: invoices (with lines and distributions), invoice lines,
draft purchase orders, and the custom actions (reference 2.4-2.6, quirks 8 and 9).

Business rules follow Payables and Purchasing as the reference describes them: create payloads name
the business unit, supplier and site by display name and a mismatch is a 400 validation error, not
a lookup failure; a supplier may not have two invoices with one number; a PO-matched line must name
an existing line of an open order of that supplier; a charge account must be an enabled, postable
combination. Status attributes change only through actions, never through a payload.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from .catalog import RESOURCES, Resource
from .errors import FusionError, bad_request
from .factory import PAYABLES_SCALE, payables_unit
from .naming import Names, names_for
from .payload import Parsed, parse_payload, require, validation_error
from .periods import PayablesPeriods
from .settings import BehaviourSettings, FusionUser
from .store import Store
from .values import ValueProblem, epoch_ms, to_storage
from .vocabulary import (
    BU_BY_NAME,
    CATEGORIES,
    CURRENCY_NAMES,
    PEOPLE,
    SEGMENT_DELIMITER,
    TERM_DAYS,
    BusinessUnit,
    precision,
)

INVOICE_TYPES = ("Standard", "Credit memo", "Debit memo", "Prepayment")
LINE_TYPES = ("Item", "Freight", "Miscellaneous", "Tax")
MATCHABLE_PO_STATUSES = ("OPEN",)

T = TypeVar("T")


@dataclass
class WriteContext:
    store: Store
    behaviour: BehaviourSettings
    user: FusionUser
    now: dt.datetime
    currencies: Mapping[str, str] = field(default_factory=lambda: dict(CURRENCY_NAMES))  # the pod's
    # Where Payables accounts (the ledger's Open periods); None: every date is taken as given.
    payables: PayablesPeriods | None = None

    def names(self, resource: Resource, path: str) -> Names:
        return names_for(resource, path, self.behaviour)

    def who(self, *, create: bool) -> dict[str, Any]:
        stamp = epoch_ms(self.now)
        values = {"LastUpdateDate": stamp, "LastUpdatedBy": self.user.username}
        if create:
            values.update(CreationDate=stamp, CreatedBy=self.user.username)
        return values

    def next_id(self, name: str, floor: int) -> int:
        return self.store.next_id(name, floor)

    def accounting_date(self, unit: BusinessUnit, date: str, *, record: str, attribute: str) -> str:
        """The AccountingDate a Payables document of ``unit`` stores for ``date`` (section 4): a date in a
        period that is not Open is refused, moved or kept as the behaviour says (``periods``)."""
        if self.payables is None:
            return date
        return self.payables.accounting_date(unit.name, date, record=record, attribute=attribute)


def _served(names: Names, canonical: str) -> str:
    return names.served.get(canonical, canonical)


# --- lookups by display name (quirk 9) ---------------------------------------------------------


def business_unit(ctx: WriteContext, name: str | None, *, record: str, attribute: str) -> BusinessUnit:
    unit = BU_BY_NAME.get(name or "")
    allowed = ctx.user.business_units is None or (unit is not None and unit.name in ctx.user.business_units)
    if unit is None or not allowed:
        raise validation_error(
            f"{record}: the value {name!r} of attribute {attribute} isn't a valid business unit.", attribute
        )
    return unit


def supplier_row(ctx: WriteContext, name: str | None, *, record: str, attribute: str) -> dict[str, Any]:
    row = ctx.store.fetch_one(
        'SELECT * FROM supplier WHERE "Supplier" = ? AND "Status" = \'ACTIVE\'', (name,)
    )
    if row is None:
        raise validation_error(
            f"{record}: the value {name!r} of attribute {attribute} isn't a valid supplier.", attribute
        )
    return row


def site_row(
    ctx: WriteContext,
    supplier: dict[str, Any],
    code: str | None,
    unit: BusinessUnit,
    *,
    record: str,
    attribute: str,
) -> dict[str, Any]:
    row = ctx.store.fetch_one(
        'SELECT * FROM supplier_site WHERE sbx_parent = ? AND "SupplierSite" = ? AND "ProcurementBUId" = ? '
        'AND "InactiveDate" IS NULL',
        (supplier["sbx_id"], code, unit.id),
    )
    if row is None:
        raise validation_error(
            f"{record}: the value {code!r} of attribute {attribute} isn't a valid site of supplier "
            f"{supplier['Supplier']!r} in business unit {unit.name!r}.",
            attribute,
        )
    return row


def account_id(ctx: WriteContext, combination: str, *, record: str, attribute: str) -> int:
    """The id of an enabled, postable, currently active account combination given as segment text."""
    segments = combination.split(SEGMENT_DELIMITER)
    row = None
    if len(segments) == 4:
        row = ctx.store.fetch_one(
            'SELECT * FROM code_combination WHERE "_SEGMENT1" = ? AND "_SEGMENT2" = ? AND "_SEGMENT3" = ? '
            'AND "_SEGMENT4" = ?',
            segments,
        )
    today = ctx.now.date().isoformat()
    usable = (
        row is not None
        and row["EnabledFlag"] == 1
        and row["DetailPostingAllowed"] == 1
        and (row["EndDateActive"] is None or row["EndDateActive"] >= today)
        and row["StartDateActive"] <= today
    )
    if not usable:
        raise validation_error(
            f"{record}: the account {combination!r} of attribute {attribute} isn't a valid, enabled account "
            f"combination that allows posting.",
            attribute,
        )
    assert row is not None
    return int(row["_CODE_COMBINATION_ID"])


def _currency(ctx: WriteContext, code: str | None, *, record: str, attribute: str) -> str:
    if code not in ctx.currencies:
        raise validation_error(
            f"{record}: the value {code!r} of attribute {attribute} isn't a valid currency.", attribute
        )
    return code


def in_precision(stored: int | None, currency: str, *, record: str, attribute: str) -> None:
    """Refuse a Payables amount (stored form) finer than its currency's precision: ``1000.5`` in JPY,
    ``12.3456`` in KWD. A real pod's currency setup keeps each currency's precision; that Payables refuses
    such an amount rather than rounding it is this sandbox's reading (README), so a client rounding money
    wrongly is seen, never silently corrected."""
    if stored is None or stored % payables_unit(currency) == 0:
        return
    places = precision(currency)
    allowed = "no decimals" if places == 0 else f"at most {places} decimals"
    raise validation_error(
        f"{record}: the value {Decimal(stored).scaleb(-PAYABLES_SCALE).normalize():f} of attribute "
        f"{attribute} has more decimals than the currency {currency} allows ({allowed}).",
        attribute,
    )


USER_RATE_TYPE = "User"


def _conversion(
    values: dict[str, Any], names: Names, unit: BusinessUnit, currency: str, record: str
) -> dict[str, Any]:
    """The conversion attributes an invoice in ``currency`` stores in ``unit``'s ledger (README, Currency):
    a foreign invoice needs a ``ConversionRateType``; ``ConversionDate`` defaults to its accounting date;
    a ``ConversionRate`` goes with the rate type ``User`` only (it is required there, and refused with a
    type whose rates the ledger's daily rates give). An invoice in the ledger's own currency converts
    nothing: its conversion attributes are stored empty."""
    rate_type, rate = values.get("ConversionRateType"), values.get("ConversionRate")
    if currency == unit.currency:
        return {"ConversionRateType": None, "ConversionDate": None, "ConversionRate": None}
    if not rate_type:
        raise validation_error(
            f"{record}: attribute {_served(names, 'ConversionRateType')} is required because the invoice "
            f"currency {currency} differs from the ledger currency {unit.currency} of {unit.name}.",
            _served(names, "ConversionRateType"),
        )
    if rate_type == USER_RATE_TYPE and rate is None:
        raise validation_error(
            f"{record}: attribute {_served(names, 'ConversionRate')} is required with the conversion rate "
            f"type {USER_RATE_TYPE}.",
            _served(names, "ConversionRate"),
        )
    if rate_type != USER_RATE_TYPE and rate is not None:
        raise validation_error(
            f"{record}: a {_served(names, 'ConversionRate')} may be entered only with the conversion rate "
            f"type {USER_RATE_TYPE}; the rate type {rate_type} takes the ledger's daily rate.",
            _served(names, "ConversionRate"),
        )
    return {"ConversionRateType": rate_type, "ConversionRate": rate}


def _parse_create(
    ctx: WriteContext, body: Any, resource: Resource, number_attr: str, labels: tuple[str, str], child: str
) -> tuple[Names, str, Parsed]:
    """A POST body parsed with the one child collection it may nest; errors name the record by the
    number the body gives (``labels[0]`` and the number), or by ``labels[1]`` when it gives none."""
    names = ctx.names(resource, resource.name)
    number = body.get(_served(names, number_attr)) if isinstance(body, dict) else None
    record = f"{labels[0]} {number}" if number else labels[1]
    read_only = _order_number_fixed(ctx) if resource.name == "draftPurchaseOrders" else ()
    screen_attributes(ctx, body, resource, resource.name, record, read_only=read_only)
    parsed = parse_payload(body, names, mode="create", record=record, allowed_children=(child,))
    return names, record, parsed


def _order_number_fixed(ctx: WriteContext) -> tuple[str, ...]:
    """A draft order's attributes read-only beyond the catalog's: ``OrderNumber`` (Fusion numbers the order)
    unless the ``order_number_writable`` reading is played; the same on create and update."""
    return () if ctx.behaviour.order_number_writable else ("OrderNumber",)


def screen_attributes(
    ctx: WriteContext,
    body: Any,
    resource: Resource,
    path: str,
    record: str,
    *,
    read_only: tuple[str, ...] = (),
    where: str = "",
) -> None:
    """Refuse the whole body, before any other check, when an object at ANY depth carries an attribute
    the resource does not have or may not be given (read-only: server-assigned ids, status and WHO
    columns, reference 2.6 FAQ and quirk 8) or a value of the wrong type. The real API answers these
    with a 400 naming the attribute and the resource, whatever else is wrong in the body (2.10)."""
    if not isinstance(body, dict):
        return
    names = ctx.names(resource, path)
    for key, value in body.items():
        child = resource.children_by_name.get(key)
        if child is not None:
            for index, item in enumerate(value if isinstance(value, list) else []):
                screen_attributes(
                    ctx, item, child, f"{path}.{child.name}", record, where=f"{where}{key}[{index}]."
                )
            continue
        attr = names.lookup(key)
        if attr is None:
            raise validation_error(
                f"{record}: The attribute {key} is not valid for the resource {resource.name}.",
                f"{where}{key}",
                "SBX-27031",
            )
        if attr.read_only or attr.name in read_only:
            raise validation_error(
                f"{record}: {key}: Attribute {key} in {resource.title} is read only.",
                f"{where}{key}",
                "SBX-27008",
            )
        try:
            to_storage(attr, value)
        except ValueProblem as problem:
            raise validation_error(
                f"{record}: the value {value!r} of attribute {key} in {resource.title} is not valid: "
                f"expected {problem}.",
                f"{where}{key}",
            ) from None


# --- invoices -----------------------------------------------------------------------------------


def create_invoice(ctx: WriteContext, body: Any) -> int:
    """POST /invoices: header + nested invoiceLines (+ invoiceDistributions). Returns InvoiceId."""
    resource = RESOURCES["invoices"]
    names, record, parsed = _parse_create(
        ctx, body, resource, "InvoiceNumber", ("Invoice", "Invoice"), "invoiceLines"
    )
    require(parsed, ctx.behaviour.invoice_required, names, record=record)
    values = parsed.values
    unit = business_unit(
        ctx, values.get("BusinessUnit"), record=record, attribute=_served(names, "BusinessUnit")
    )
    supplier = supplier_row(ctx, values.get("Supplier"), record=record, attribute=_served(names, "Supplier"))
    if values.get("SupplierNumber") not in (None, supplier["SupplierNumber"]):
        raise validation_error(
            f"{record}: SupplierNumber {values['SupplierNumber']!r} does not belong to supplier "
            f"{supplier['Supplier']!r}.",
            _served(names, "SupplierNumber"),
        )
    procurement = business_unit(
        ctx,
        values.get("ProcurementBU") or unit.name,
        record=record,
        attribute=_served(names, "ProcurementBU"),
    )
    site = site_row(
        ctx,
        supplier,
        values.get("SupplierSite"),
        procurement,
        record=record,
        attribute=_served(names, "SupplierSite"),
    )
    currency = _currency(
        ctx, values.get("InvoiceCurrency"), record=record, attribute=_served(names, "InvoiceCurrency")
    )
    payment_currency = _currency(
        ctx,
        values.get("PaymentCurrency") or currency,
        record=record,
        attribute=_served(names, "PaymentCurrency"),
    )
    conversion = _conversion(values, names, unit, currency, record)
    in_precision(
        values.get("InvoiceAmount"), currency, record=record, attribute=_served(names, "InvoiceAmount")
    )
    invoice_type = values.get("InvoiceType") or "Standard"
    if invoice_type not in INVOICE_TYPES:
        raise validation_error(
            f"{record}: the value {invoice_type!r} of attribute {_served(names, 'InvoiceType')} isn't valid "
            f"({', '.join(INVOICE_TYPES)}).",
            _served(names, "InvoiceType"),
        )
    amount = values.get("InvoiceAmount")
    if amount is not None and ((invoice_type == "Credit memo") != (amount < 0)) and amount != 0:
        raise validation_error(
            f"{record}: a {invoice_type} invoice needs a "
            f"{'negative' if invoice_type == 'Credit memo' else 'positive'} "
            f"{_served(names, 'InvoiceAmount')}.",
            _served(names, "InvoiceAmount"),
        )
    terms = values.get("PaymentTerms") or site["PaymentTerms"]
    if terms not in TERM_DAYS:
        raise validation_error(
            f"{record}: the value {terms!r} of attribute {_served(names, 'PaymentTerms')} isn't valid.",
            _served(names, "PaymentTerms"),
        )
    duplicate = ctx.store.fetch_one(
        'SELECT "InvoiceId" FROM invoice WHERE "SupplierNumber" = ? AND "InvoiceNumber" = ?',
        (supplier["SupplierNumber"], values["InvoiceNumber"]),
    )
    if duplicate is not None:
        message = ctx.behaviour.duplicate_invoice_message.format(
            number=values["InvoiceNumber"], supplier=supplier["Supplier"]
        )
        raise validation_error(f"{record}: {message}", _served(names, "InvoiceNumber"), "SBX-AP-DUPLICATE")
    # Payables defaults the accounting date to the invoice date when none is given.
    dated_by = "AccountingDate" if values.get("AccountingDate") else "InvoiceDate"
    accounting_date = ctx.accounting_date(
        unit, values[dated_by], record=record, attribute=_served(names, dated_by)
    )
    if conversion["ConversionRateType"] is not None:
        conversion["ConversionDate"] = values.get("ConversionDate") or accounting_date
    invoice_id = ctx.next_id("invoice", 300000200000001)
    header = {
        **values,
        **conversion,
        "sbx_id": invoice_id,
        "sbx_bu": unit.id,
        "InvoiceId": invoice_id,
        "InvoiceCurrency": currency,
        "PaymentCurrency": payment_currency,
        "SupplierNumber": supplier["SupplierNumber"],
        "ProcurementBU": procurement.name,
        "InvoiceType": invoice_type,
        "InvoiceSource": values.get("InvoiceSource") or ctx.behaviour.rest_invoice_source,
        "PaymentTerms": terms,
        "PayGroup": values.get("PayGroup") or site["PayGroup"],
        "AccountingDate": accounting_date,
        "PayAloneFlag": values.get("PayAloneFlag", 0),
        "ValidationStatus": ctx.behaviour.new_invoice_validation_status,
        "ApprovalStatus": "Required",
        "PaidStatus": "Unpaid",
        "AmountPaid": 0,
        "CanceledFlag": 0,
        "AccountingStatus": "Unaccounted",
        **ctx.who(create=True),
    }
    lines = parsed.children.get("invoiceLines", [])
    target = _LineTarget(header, unit, supplier, record, seen=set())
    with ctx.store.transaction():
        ctx.store.insert("invoice", [header])
        for index, line in enumerate(lines):
            _insert_invoice_line(ctx, target, line, index)
        _insert_installment(ctx, header)
    return invoice_id


@dataclass
class _LineTarget:
    """The invoice lines are added to: its header row, business unit and supplier (a PO-matched line
    must agree with them), how errors name it, and the line numbers it already uses."""

    header: dict[str, Any]
    unit: BusinessUnit
    supplier: dict[str, Any]
    record: str
    seen: set[int]


def _insert_invoice_line(ctx: WriteContext, target: _LineTarget, body: Any, index: int | None) -> int:
    resource = RESOURCES["invoices"].children_by_name["invoiceLines"]
    header, invoice_record, seen = target.header, target.record, target.seen
    names = ctx.names(resource, "invoices.invoiceLines")
    path = f"invoiceLines/{index}/" if index is not None else ""
    record = f"{invoice_record} line {index + 1 if index is not None else ''}".rstrip()
    parsed = parse_payload(
        body, names, mode="create", record=record, path=path, allowed_children=("invoiceDistributions",)
    )
    require(parsed, ctx.behaviour.invoice_line_required, names, record=record, path=path)
    values = parsed.values
    number = values.get("LineNumber")
    if number is not None:
        record = f"{invoice_record} line {number}"
        if number in seen:
            raise validation_error(f"{record}: line number {number} is used twice.", f"{path}LineNumber")
        seen.add(number)
    currency = header["InvoiceCurrency"]
    in_precision(
        values.get("LineAmount"), currency, record=record, attribute=f"{path}{_served(names, 'LineAmount')}"
    )
    line_type = values.get("LineType") or "Item"
    if line_type not in LINE_TYPES:
        raise validation_error(
            f"{record}: the value {line_type!r} of attribute {_served(names, 'LineType')} isn't valid "
            f"({', '.join(LINE_TYPES)}).",
            f"{path}{_served(names, 'LineType')}",
        )
    if values.get("PurchaseOrderNumber") is not None:
        _check_po_match(ctx, target, values, names, record, path)
    if values.get("DistributionCombination"):
        account_id(
            ctx, values["DistributionCombination"], record=record, attribute=f"{path}DistributionCombination"
        )
    line_date = ctx.accounting_date(
        target.unit,
        values.get("AccountingDate") or header["AccountingDate"],
        record=record,
        attribute=f"{path}{_served(names, 'AccountingDate')}",
    )
    line_id = ctx.next_id("invoice_line", 300000210000001)
    row = {
        **values,
        "sbx_id": line_id,
        "sbx_parent": header["InvoiceId"],
        "LineType": line_type,
        "AccountingDate": line_date,
        "CanceledFlag": 0,
        **ctx.who(create=True),
    }
    ctx.store.insert("invoice_line", [row])
    distribution_resource = resource.children_by_name["invoiceDistributions"]
    distribution_names = ctx.names(distribution_resource, "invoices.invoiceLines.invoiceDistributions")
    for position, distribution in enumerate(parsed.children.get("invoiceDistributions", [])):
        where = f"{path}invoiceDistributions/{position}/"
        dist_record = f"{record} distribution {position + 1}"
        dist = parse_payload(distribution, distribution_names, mode="create", record=dist_record, path=where)
        require(
            dist,
            ("DistributionLineNumber", "DistributionAmount", "DistributionCombination"),
            distribution_names,
            record=dist_record,
            path=where,
        )
        in_precision(
            dist.values["DistributionAmount"],
            currency,
            record=dist_record,
            attribute=f"{where}{_served(distribution_names, 'DistributionAmount')}",
        )
        account_id(
            ctx,
            dist.values["DistributionCombination"],
            record=dist_record,
            attribute=f"{where}DistributionCombination",
        )
        distribution_date = ctx.accounting_date(
            target.unit,
            dist.values.get("AccountingDate") or line_date,
            record=dist_record,
            attribute=f"{where}{_served(distribution_names, 'AccountingDate')}",
        )
        distribution_id = ctx.next_id("invoice_distribution", 300000220000001)
        ctx.store.insert(
            "invoice_distribution",
            [
                {
                    **dist.values,
                    "sbx_id": distribution_id,
                    "sbx_parent": line_id,
                    "InvoiceDistributionId": distribution_id,
                    "DistributionLineType": dist.values.get("DistributionLineType") or line_type,
                    "AccountingDate": distribution_date,
                    **ctx.who(create=True),
                }
            ],
        )
    return line_id


def _check_po_match(
    ctx: WriteContext, target: _LineTarget, values: dict[str, Any], names: Names, record: str, path: str
) -> None:
    unit, supplier = target.unit, target.supplier
    po = ctx.store.fetch_one(
        'SELECT * FROM po_header WHERE "OrderNumber" = ? AND "BillToBUId" = ?',
        (values["PurchaseOrderNumber"], unit.id),
    )
    attribute = f"{path}{_served(names, 'PurchaseOrderNumber')}"
    served_po = _served(names, "PurchaseOrderNumber")
    if po is None:
        raise validation_error(
            f"{record}: the value {values['PurchaseOrderNumber']!r} of attribute {served_po} "
            f"isn't a purchase order of {unit.name}.",
            attribute,
        )
    if po["SupplierId"] != supplier["SupplierId"]:
        raise validation_error(
            f"{record}: purchase order {po['OrderNumber']} (attribute {served_po}) belongs to "
            f"another supplier than {supplier['Supplier']!r}.",
            attribute,
        )
    if po["StatusCode"] not in MATCHABLE_PO_STATUSES:
        raise validation_error(
            f"{record}: purchase order {po['OrderNumber']} (attribute {served_po}) has status "
            f"{po['Status']} and cannot be matched.",
            attribute,
        )
    line_number = values.get("PurchaseOrderLineNumber")
    line = ctx.store.fetch_one(
        'SELECT * FROM po_line WHERE sbx_parent = ? AND "LineNumber" = ?', (po["sbx_id"], line_number)
    )
    if line is None:
        raise validation_error(
            f"{record}: the value {line_number} of attribute {_served(names, 'PurchaseOrderLineNumber')} "
            "isn't a line "
            f"of purchase order {po['OrderNumber']}.",
            f"{path}{_served(names, 'PurchaseOrderLineNumber')}",
        )
    schedule_number = values.get("PurchaseOrderScheduleLineNumber") or 1
    schedule = ctx.store.fetch_one(
        'SELECT sbx_id FROM po_schedule WHERE sbx_parent = ? AND "ScheduleNumber" = ?',
        (line["sbx_id"], schedule_number),
    )
    if schedule is None:
        raise validation_error(
            f"{record}: the value {schedule_number} of attribute "
            f"{_served(names, 'PurchaseOrderScheduleLineNumber')} "
            f"isn't a schedule of purchase order {po['OrderNumber']} line {line_number}.",
            f"{path}{_served(names, 'PurchaseOrderScheduleLineNumber')}",
        )
    values.setdefault("PurchaseOrderScheduleLineNumber", schedule_number)
    if values.get("DistributionCombination") is None:
        distribution = ctx.store.fetch_one(
            'SELECT "POChargeAccount" FROM po_distribution WHERE sbx_parent = ? ORDER BY sbx_id',
            (schedule["sbx_id"],),
        )
        if distribution is not None:
            values["DistributionCombination"] = distribution["POChargeAccount"]


def _insert_installment(ctx: WriteContext, header: dict[str, Any]) -> None:
    due = dt.date.fromisoformat(header["InvoiceDate"]) + dt.timedelta(
        days=TERM_DAYS.get(header["PaymentTerms"], 30)
    )
    installment_id = ctx.next_id("invoice_installment", 300000230000001)
    amount = header.get("InvoiceAmount") or 0
    ctx.store.insert(
        "invoice_installment",
        [
            {
                "sbx_id": installment_id,
                "sbx_parent": header["InvoiceId"],
                "InstallmentNumber": 1,
                "DueDate": due.isoformat(),
                "GrossAmount": amount,
                "UnpaidAmount": amount,
                "HoldFlag": 0,
                "PaymentPriority": 99,
                **ctx.who(create=True),
            }
        ],
    )


def _invoice_record(row: dict[str, Any]) -> str:
    return f"Invoice {row['InvoiceNumber']}"


def _changed_values(
    parsed: Parsed, names: Names, row: dict[str, Any], *, record: str, path: str = ""
) -> dict[str, Any]:
    """PATCH values that really change; a creatable but not updatable attribute may only repeat its value."""
    changes = {}
    for canonical, value in parsed.values.items():
        if value == row.get(canonical):
            continue
        attr = names.resource.table.attr(canonical)
        if not attr.updatable:
            served = parsed.served[canonical]
            raise validation_error(
                f"{record}: attribute {served} in {names.resource.title} cannot be updated.",
                f"{path}{served}",
                "SBX-27008",
            )
        changes[canonical] = value
    return changes


def update_invoice(ctx: WriteContext, row: dict[str, Any], body: Any) -> None:
    names = ctx.names(RESOURCES["invoices"], "invoices")
    record = _invoice_record(row)
    screen_attributes(ctx, body, RESOURCES["invoices"], "invoices", record)
    parsed = parse_payload(body, names, mode="update", record=record)
    if row["CanceledFlag"]:
        raise validation_error(f"{record}: a canceled invoice cannot be updated.", None, "SBX-AP-CANCELED")
    changes = _changed_values(parsed, names, row, record=record)
    if not changes:
        return  # nothing changes, so neither the version nor LastUpdateDate does
    in_precision(
        changes.get("InvoiceAmount"),
        row["InvoiceCurrency"],
        record=record,
        attribute=_served(names, "InvoiceAmount"),
    )
    if "DeliveryChannelCode" in changes:
        changes["DeliveryChannel"] = changes["DeliveryChannelCode"] and changes["DeliveryChannelCode"].title()
    if "PaymentReasonCode" in changes:
        changes["PaymentReason"] = changes["PaymentReasonCode"] and changes["PaymentReasonCode"].title()
    if changes.get("AccountingDate"):
        changes["AccountingDate"] = ctx.accounting_date(
            BU_BY_NAME[row["BusinessUnit"]],
            changes["AccountingDate"],
            record=record,
            attribute=_served(names, "AccountingDate"),
        )
    if {"InvoiceAmount", "InvoiceDate"} & changes.keys() and row["ValidationStatus"] == "Validated":
        changes["ValidationStatus"] = "Needs revalidation"
    with ctx.store.transaction():
        ctx.store.update("invoice", row["sbx_id"], {**changes, **ctx.who(create=False)})
        if "InvoiceAmount" in changes:
            ctx.store.conn.execute(
                'UPDATE invoice_installment SET "GrossAmount" = ?, "UnpaidAmount" = ? - ?, '
                "sbx_version = sbx_version + 1 "
                "WHERE sbx_parent = ?",
                (changes["InvoiceAmount"], changes["InvoiceAmount"], row["AmountPaid"] or 0, row["sbx_id"]),
            )


def create_invoice_line(ctx: WriteContext, invoice: dict[str, Any], body: Any) -> int:
    """POST /invoices/{id}/child/invoiceLines."""
    record = _invoice_record(invoice)
    lines = RESOURCES["invoices"].children_by_name["invoiceLines"]
    screen_attributes(ctx, body, lines, "invoices.invoiceLines", record)
    if invoice["CanceledFlag"]:
        raise validation_error(f"{record}: a canceled invoice cannot get new lines.", None, "SBX-AP-CANCELED")
    unit = BU_BY_NAME[invoice["BusinessUnit"]]
    supplier = ctx.store.fetch_one(
        'SELECT * FROM supplier WHERE "SupplierNumber" = ?', (invoice["SupplierNumber"],)
    )
    assert supplier is not None
    seen = {
        number
        for (number,) in ctx.store.conn.execute(
            'SELECT "LineNumber" FROM invoice_line WHERE sbx_parent = ?', (invoice["sbx_id"],)
        )
    }
    with ctx.store.transaction():
        line_id = _insert_invoice_line(ctx, _LineTarget(invoice, unit, supplier, record, seen), body, None)
        _line_changed(ctx, invoice)
    return line_id


def _line_changed(ctx: WriteContext, invoice: dict[str, Any]) -> None:
    """A new or changed line touches its invoice and sends a validated one back to revalidation."""
    header: dict[str, Any] = ctx.who(create=False)
    if invoice["ValidationStatus"] == "Validated":
        header["ValidationStatus"] = "Needs revalidation"
    ctx.store.update("invoice", invoice["sbx_id"], header)


def update_invoice_line(ctx: WriteContext, invoice: dict[str, Any], line: dict[str, Any], body: Any) -> None:
    lines = RESOURCES["invoices"].children_by_name["invoiceLines"]
    names = ctx.names(lines, "invoices.invoiceLines")
    record = f"{_invoice_record(invoice)} line {line['LineNumber']}"
    screen_attributes(ctx, body, lines, "invoices.invoiceLines", record)
    parsed = parse_payload(body, names, mode="update", record=record)
    if invoice["CanceledFlag"]:
        raise validation_error(f"{record}: a canceled invoice cannot be updated.", None, "SBX-AP-CANCELED")
    changes = _changed_values(parsed, names, line, record=record)
    if not changes:
        return
    in_precision(
        changes.get("LineAmount"),
        invoice["InvoiceCurrency"],
        record=record,
        attribute=_served(names, "LineAmount"),
    )
    with ctx.store.transaction():
        ctx.store.update("invoice_line", line["sbx_id"], {**changes, **ctx.who(create=False)})
        _line_changed(ctx, invoice)


def _find_invoice(ctx: WriteContext, body: Any, action: str) -> dict[str, Any]:
    """The invoice an action names: ``InvoiceId``, or ``InvoiceNumber`` (+ ``Supplier`` when ambiguous)."""
    if not isinstance(body, dict):
        raise bad_request(f"{action}: the body must be a JSON object.", path=action)
    if body.get("InvoiceId") is not None:
        rows = ctx.store.fetch('SELECT * FROM invoice WHERE "InvoiceId" = ?', (body["InvoiceId"],))
    elif body.get("InvoiceNumber"):
        sql, params = 'SELECT * FROM invoice WHERE "InvoiceNumber" = ?', [body["InvoiceNumber"]]
        for attribute in ("Supplier", "BusinessUnit"):
            if body.get(attribute):
                sql += f' AND "{attribute}" = ?'
                params.append(body[attribute])
        rows = ctx.store.fetch(sql, params)
    else:
        raise validation_error(
            f"{action}: give InvoiceId, or InvoiceNumber with Supplier.", "InvoiceNumber", "SBX-27014"
        )
    if ctx.user.business_units is not None:
        rows = [row for row in rows if row["BusinessUnit"] in ctx.user.business_units]
    if not rows:
        raise validation_error(f"{action}: no invoice matches {body!r}.", "InvoiceNumber")
    if len(rows) > 1:
        raise validation_error(
            f"{action}: invoice number {body.get('InvoiceNumber')!r} exists for several suppliers; "
            "add Supplier.",
            "Supplier",
        )
    return rows[0]


# The answer Oracle's validateInvoice example gives: a confirmation message, not the invoice's status.
VALIDATED_RESULT = "The current action Validate Invoice has completed successfully."
# validateInvoice's parameters (op-invoices-action-validateinvoice-post): the invoice by number, business
# unit and supplier, and ProcessAction, whose one value is Validate. There is no id parameter.
VALIDATE_PARAMETERS = ("InvoiceNumber", "BusinessUnit", "Supplier", "ProcessAction")


def validate_invoice(ctx: WriteContext, body: Any) -> str:
    """Invoice validation as Oracle documents the action: the four parameters, each required (an id is
    refused), and the confirmation message as the answer. The invoice's ``ValidationStatus`` says what
    validation found: Validated when the lines add up to the invoice amount, else Needs revalidation (a
    hold on the variance)."""
    if not isinstance(body, dict):
        raise bad_request("validateInvoice: the body must be a JSON object.", path="validateInvoice")
    unknown = sorted(set(body) - set(VALIDATE_PARAMETERS))
    if unknown:
        raise bad_request(
            f"validateInvoice: the action has no parameter {', '.join(unknown)}.", path=unknown[0]
        )
    for name in VALIDATE_PARAMETERS:
        if not body.get(name):
            raise validation_error(f"validateInvoice: {name} is required.", name, "SBX-27014")
    if body["ProcessAction"] != "Validate":
        raise validation_error(
            f"validateInvoice: ProcessAction {body['ProcessAction']!r} is not valid; use Validate.",
            "ProcessAction",
        )
    invoice = _find_invoice(ctx, {name: body[name] for name in VALIDATE_PARAMETERS[:3]}, "validateInvoice")
    if invoice["CanceledFlag"]:
        raise validation_error(
            f"{_invoice_record(invoice)}: a canceled invoice cannot be validated.", None, "SBX-AP-CANCELED"
        )
    total = ctx.store.conn.execute(
        'SELECT COALESCE(SUM("LineAmount"), 0) FROM invoice_line WHERE sbx_parent = ?', (invoice["sbx_id"],)
    ).fetchone()[0]
    status = "Validated" if total == invoice["InvoiceAmount"] else "Needs revalidation"
    dated = invoice["AccountingDate"]
    accounting_date = ctx.accounting_date(
        BU_BY_NAME[invoice["BusinessUnit"]],
        dated,
        record=_invoice_record(invoice),
        attribute=_served(ctx.names(RESOURCES["invoices"], "invoices"), "AccountingDate"),
    )
    with ctx.store.transaction():
        ctx.store.update(
            "invoice",
            invoice["sbx_id"],
            {"ValidationStatus": status, "AccountingDate": accounting_date, **ctx.who(create=False)},
        )
        if accounting_date != dated:  # rolled forward: the lines and distributions dated so move with it
            _redate_lines(ctx, invoice["sbx_id"], dated, accounting_date)
    return VALIDATED_RESULT


def _redate_lines(ctx: WriteContext, invoice_id: int, dated: str, accounting_date: str) -> None:
    lines = "SELECT sbx_id FROM invoice_line WHERE sbx_parent = ?"
    for table, parents in (("invoice_line", "?"), ("invoice_distribution", lines)):
        ctx.store.conn.execute(
            f'UPDATE {table} SET "AccountingDate" = ?, sbx_version = sbx_version + 1 '
            f'WHERE sbx_parent IN ({parents}) AND "AccountingDate" = ?',
            (accounting_date, invoice_id, dated),
        )


def cancel_invoice(ctx: WriteContext, body: Any) -> str:
    invoice = _find_invoice(ctx, body, "cancelInvoice")
    record = _invoice_record(invoice)
    if invoice["CanceledFlag"]:
        raise validation_error(f"{record}: the invoice is already canceled.", None, "SBX-AP-CANCELED")
    if invoice["AmountPaid"]:
        raise validation_error(
            f"{record}: a paid or partially paid invoice cannot be canceled.", None, "SBX-AP-PAID"
        )
    with ctx.store.transaction():
        ctx.store.update(
            "invoice",
            invoice["sbx_id"],
            {
                "ValidationStatus": "Canceled",
                "CanceledFlag": 1,
                "CanceledDate": ctx.now.date().isoformat(),
                "InvoiceAmount": 0,
                **ctx.who(create=False),
            },
        )
        ctx.store.conn.execute(
            'UPDATE invoice_line SET "CanceledFlag" = 1, sbx_version = sbx_version + 1 WHERE sbx_parent = ?',
            (invoice["sbx_id"],),
        )
    return "SUCCESS"


# --- draft purchase orders ----------------------------------------------------------------------


def create_draft_purchase_order(ctx: WriteContext, body: Any) -> int:
    """POST /draftPurchaseOrders: an INCOMPLETE order with lines, schedules and distributions."""
    resource = RESOURCES["draftPurchaseOrders"]
    names, record, parsed = _parse_create(
        ctx, body, resource, "OrderNumber", ("Purchase order", "Draft purchase order"), "lines"
    )
    values = parsed.values
    unit = _unit_by_name_or_id(ctx, values, names, record)
    supplier = _supplier_by_name_or_id(ctx, values, names, record)
    site = _site_by_name_or_id(ctx, values, names, record, supplier, unit)
    requisitioning = (
        business_unit(
            ctx, values["RequisitioningBU"], record=record, attribute=_served(names, "RequisitioningBU")
        )
        if values.get("RequisitioningBU")
        else unit
    )
    currency = _currency(
        ctx,
        values.get("CurrencyCode") or unit.currency,
        record=record,
        attribute=_served(names, "CurrencyCode"),
    )
    buyer_id, buyer = None, None
    if values.get("Buyer") is not None or values.get("BuyerId") is not None:
        person = next(
            (p for p in PEOPLE if p[1] == values.get("Buyer") or p[0] == values.get("BuyerId")), None
        )
        if person is None:
            raise validation_error(
                f"{record}: the buyer {values.get('Buyer') or values.get('BuyerId')!r} isn't valid.",
                _served(names, "Buyer"),
            )
        buyer_id, buyer = person
    order_number = values.get("OrderNumber")
    if order_number is not None:
        clash = ctx.store.fetch_one(
            'SELECT "POHeaderId" FROM po_header WHERE "OrderNumber" = ? AND "BillToBUId" = ?',
            (order_number, unit.id),
        )
        if clash is not None:
            raise validation_error(
                f"{record}: the value {order_number} of attribute {_served(names, 'OrderNumber')} "
                "already exists "
                f"in {unit.name}.",
                _served(names, "OrderNumber"),
                "SBX-PO-DUPLICATE",
            )
    else:
        order_number = str(ctx.next_id(f"order_number:{unit.name}", 1000001))
    lines = parsed.children.get("lines", [])
    if not lines:
        raise validation_error(f"{record}: the child lines needs at least one line.", "lines", "SBX-27014")
    terms = values.get("PaymentTerms") or site["PaymentTerms"]
    po_id = ctx.next_id("po", 300000100000001)
    with ctx.store.transaction():
        total = Decimal(0)
        seen: set[int] = set()
        for index, line in enumerate(lines):
            total += _insert_po_line(ctx, po_id, unit, currency, line, index, seen, record)
        ctx.store.insert(
            "po_header",
            [
                {
                    **values,
                    "sbx_id": po_id,
                    "sbx_bu": unit.id,
                    "POHeaderId": po_id,
                    "OrderNumber": order_number,
                    "DocumentStyle": values.get("DocumentStyle") or "Purchase Order",
                    "StatusCode": "INCOMPLETE",
                    "Status": "Incomplete",
                    "ProcurementBUId": unit.id,
                    "ProcurementBU": unit.name,
                    "RequisitioningBUId": requisitioning.id,
                    "RequisitioningBU": requisitioning.name,
                    "SoldToLegalEntityId": unit.legal_entity_id,
                    "SoldToLegalEntity": unit.legal_entity,
                    "BillToBUId": unit.id,
                    "BillToBU": unit.name,
                    "BillToLocationId": unit.bill_to_location_id,
                    "BillToLocation": unit.bill_to_location,
                    "BuyerId": buyer_id,
                    "Buyer": buyer,
                    "SupplierId": supplier["SupplierId"],
                    "Supplier": supplier["Supplier"],
                    "SupplierSiteId": site["SupplierSiteId"],
                    "SupplierSite": site["SupplierSite"],
                    "CurrencyCode": currency,
                    "Currency": ctx.currencies[currency],
                    "Ordered": int(total),
                    "PaymentTerms": terms,
                    "OrderDate": ctx.now.date().isoformat(),
                    **ctx.who(create=True),
                }
            ],
        )
    return po_id


def _by_name_or_id(
    values: dict[str, Any],
    names: Names,
    record: str,
    name_attr: str,
    id_attr: str,
    *,
    name_of_id: Callable[[Any], str | None],
    resolve: Callable[[str | None, str], T],
    id_of: Callable[[T], Any],
    blank_name_uses_id: bool = False,
) -> T:
    """A reference a draft order gives by display name, by id or both (they must agree): the id is
    turned into its name, and the name is resolved as every write resolves it (quirk 9)."""
    name, given_id = values.get(name_attr), values.get(id_attr)
    if name is None and given_id is None:
        raise validation_error(
            f"{record}: attribute {_served(names, name_attr)} is required.",
            _served(names, name_attr),
            "SBX-27014",
        )
    if name is None or (blank_name_uses_id and not name):
        name = name_of_id(given_id)
    found = resolve(name, _served(names, name_attr))
    if given_id is not None and given_id != id_of(found):
        raise validation_error(
            f"{record}: {_served(names, id_attr)} does not match {_served(names, name_attr)}.",
            _served(names, id_attr),
        )
    return found


def _unit_by_name_or_id(ctx: WriteContext, values: dict[str, Any], names: Names, record: str) -> BusinessUnit:
    def name_of_id(unit_id: Any) -> str:
        unit = next((unit for unit in BU_BY_NAME.values() if unit.id == unit_id), None)
        return unit.name if unit else repr(unit_id)

    return _by_name_or_id(
        values,
        names,
        record,
        "ProcurementBU",
        "ProcurementBUId",
        name_of_id=name_of_id,
        resolve=lambda name, attribute: business_unit(ctx, name, record=record, attribute=attribute),
        id_of=lambda unit: unit.id,
        blank_name_uses_id=True,
    )


def _name_of_id(ctx: WriteContext, table: str, name_attr: str, id_column: str) -> Callable[[Any], str | None]:
    def name_of_id(row_id: Any) -> str | None:
        row = ctx.store.fetch_one(f'SELECT "{name_attr}" FROM {table} WHERE {id_column} = ?', (row_id,))
        return row[name_attr] if row else None

    return name_of_id


def _supplier_by_name_or_id(
    ctx: WriteContext, values: dict[str, Any], names: Names, record: str
) -> dict[str, Any]:
    return _by_name_or_id(
        values,
        names,
        record,
        "Supplier",
        "SupplierId",
        name_of_id=_name_of_id(ctx, "supplier", "Supplier", '"SupplierId"'),
        resolve=lambda name, attribute: supplier_row(ctx, name, record=record, attribute=attribute),
        id_of=lambda row: row["SupplierId"],
    )


def _site_by_name_or_id(
    ctx: WriteContext,
    values: dict[str, Any],
    names: Names,
    record: str,
    supplier: dict[str, Any],
    unit: BusinessUnit,
) -> dict[str, Any]:
    return _by_name_or_id(
        values,
        names,
        record,
        "SupplierSite",
        "SupplierSiteId",
        name_of_id=_name_of_id(ctx, "supplier_site", "SupplierSite", "sbx_id"),
        resolve=lambda code, attribute: site_row(
            ctx, supplier, code, unit, record=record, attribute=attribute
        ),
        id_of=lambda row: row["SupplierSiteId"],
    )


def _insert_po_line(
    ctx: WriteContext,
    po_id: int,
    unit: BusinessUnit,
    currency: str,
    body: Any,
    index: int,
    seen: set[int],
    order_record: str,
) -> Decimal:
    """One draft line with its schedules and distributions; returns the line amount (stored cents)."""
    line_resource = RESOURCES["draftPurchaseOrders"].children_by_name["lines"]
    names = ctx.names(line_resource, "draftPurchaseOrders.lines")
    path = f"lines/{index}/"
    record = f"{order_record} line {index + 1}"
    parsed = parse_payload(
        body, names, mode="create", record=record, path=path, allowed_children=("schedules",)
    )
    require(parsed, ("LineNumber", "Quantity", "Price"), names, record=record, path=path)
    values = parsed.values
    record = f"{order_record} line {values['LineNumber']}"
    if values["LineNumber"] in seen:
        raise validation_error(
            f"{record}: line number {values['LineNumber']} is used twice.", f"{path}LineNumber"
        )
    seen.add(values["LineNumber"])
    if not values.get("Description") and not values.get("Item"):
        raise validation_error(
            f"{record}: give a Description or an Item.", f"{path}{_served(names, 'Description')}", "SBX-27014"
        )
    if values["Quantity"] <= 0:
        raise validation_error(
            f"{record}: {_served(names, 'Quantity')} must be positive.", f"{path}{_served(names, 'Quantity')}"
        )
    category = next((c for c in CATEGORIES if c[0] == values.get("CategoryName")), None)
    if values.get("CategoryName") is not None and category is None:
        raise validation_error(
            f"{record}: the value {values['CategoryName']!r} of attribute "
            f"{_served(names, 'CategoryName')} isn't a valid category.",
            f"{path}{_served(names, 'CategoryName')}",
        )
    # Stored quantity and price have 4 decimals each; the amount is kept with 2.
    amount = (Decimal(values["Quantity"]) * Decimal(values["Price"]) / Decimal(10**6)).quantize(Decimal(1))
    line_id = ctx.next_id("po_line", 300000110000001)
    uom = values.get("UOM") or (category[2] if category else "Each")
    ctx.store.insert(
        "po_line",
        [
            {
                **values,
                "sbx_id": line_id,
                "sbx_parent": po_id,
                "POLineId": line_id,
                "LineType": values.get("LineType") or "Goods",
                "UOM": uom,
                "UOMCode": values.get("UOMCode") or (category[3] if category else "Ea"),
                "Amount": int(amount),
                "CurrencyCode": currency,
                **ctx.who(create=True),
            }
        ],
    )
    schedules = parsed.children.get("schedules") or [{}]
    schedule_resource = line_resource.children_by_name["schedules"]
    schedule_names = ctx.names(schedule_resource, "draftPurchaseOrders.lines.schedules")
    distribution_names = ctx.names(
        schedule_resource.children_by_name["distributions"],
        "draftPurchaseOrders.lines.schedules.distributions",
    )
    for position, schedule in enumerate(schedules):
        where = f"{path}schedules/{position}/"
        sched = parse_payload(
            schedule,
            schedule_names,
            mode="create",
            record=f"{record} schedule {position + 1}",
            path=where,
            allowed_children=("distributions",),
        )
        schedule_id = ctx.next_id("po_schedule", 300000120000001)
        quantity = sched.values.get("Quantity") or values["Quantity"]
        ctx.store.insert(
            "po_schedule",
            [
                {
                    **sched.values,
                    "sbx_id": schedule_id,
                    "sbx_parent": line_id,
                    "LineLocationId": schedule_id,
                    "ScheduleNumber": sched.values.get("ScheduleNumber") or position + 1,
                    "Quantity": quantity,
                    "QuantityReceived": 0,
                    "QuantityBilled": 0,
                    "RequestedDeliveryDate": sched.values.get("RequestedDeliveryDate")
                    or (ctx.now.date() + dt.timedelta(days=14)).isoformat(),
                    "ShipToLocation": sched.values.get("ShipToLocation") or unit.bill_to_location,
                    **ctx.who(create=True),
                }
            ],
        )
        distributions = sched.children.get("distributions") or [{}]
        for number, distribution in enumerate(distributions, start=1):
            dist_where = f"{where}distributions/{number - 1}/"
            dist_record = f"{record} distribution {number}"
            dist = parse_payload(
                distribution, distribution_names, mode="create", record=dist_record, path=dist_where
            )
            account = dist.values.get("POChargeAccount")
            if account is None:
                # The account generator: the category's natural account in the unit's company.
                natural = category[1] if category else "60000"
                account = SEGMENT_DELIMITER.join((unit.company, "00", natural, "000"))
            ccid = account_id(ctx, account, record=dist_record, attribute=f"{dist_where}POChargeAccount")
            distribution_id = ctx.next_id("po_distribution", 300000130000001)
            ctx.store.insert(
                "po_distribution",
                [
                    {
                        **dist.values,
                        "sbx_id": distribution_id,
                        "sbx_parent": schedule_id,
                        "PODistributionId": distribution_id,
                        "DistributionNumber": dist.values.get("DistributionNumber") or number,
                        "Quantity": dist.values.get("Quantity") or quantity,
                        "POChargeAccountId": ccid,
                        "POChargeAccount": account,
                        **ctx.who(create=True),
                    }
                ],
            )
    return amount


def update_draft_purchase_order(ctx: WriteContext, row: dict[str, Any], body: Any) -> None:
    names = ctx.names(RESOURCES["draftPurchaseOrders"], "draftPurchaseOrders")
    record = f"Purchase order {row['OrderNumber']}"
    screen_attributes(
        ctx,
        body,
        RESOURCES["draftPurchaseOrders"],
        "draftPurchaseOrders",
        record,
        read_only=_order_number_fixed(ctx),
    )
    parsed = parse_payload(body, names, mode="update", record=record)
    changes = _changed_values(parsed, names, row, record=record)
    if "SupplierSite" in changes:
        supplier = ctx.store.fetch_one("SELECT * FROM supplier WHERE sbx_id = ?", (row["SupplierId"],))
        assert supplier is not None
        site = site_row(
            ctx,
            supplier,
            changes["SupplierSite"],
            BU_BY_NAME[row["ProcurementBU"]],
            record=record,
            attribute=_served(names, "SupplierSite"),
        )
        changes["SupplierSiteId"] = site["SupplierSiteId"]
    if "Buyer" in changes:
        person = next((p for p in PEOPLE if p[1] == changes["Buyer"]), None)
        if person is None:
            raise validation_error(
                f"{record}: the buyer {changes['Buyer']!r} isn't valid.", _served(names, "Buyer")
            )
        changes["BuyerId"] = person[0]
    if "PaymentTerms" in changes and changes["PaymentTerms"] not in TERM_DAYS:
        raise validation_error(
            f"{record}: the value {changes['PaymentTerms']!r} of attribute "
            f"{_served(names, 'PaymentTerms')} isn't valid.",
            _served(names, "PaymentTerms"),
        )
    if changes:
        ctx.store.update("po_header", row["sbx_id"], {**changes, **ctx.who(create=False)})


# --- item actions -------------------------------------------------------------------------------


def _set_status(
    ctx: WriteContext, table: str, row: dict[str, Any], code_attr: str, code: str, label: str
) -> None:
    label_attr = code_attr.removesuffix("Code")
    ctx.store.update(table, row["sbx_id"], {code_attr: code, label_attr: label, **ctx.who(create=False)})


CANCELLABLE = ("OPEN", "CLOSED FOR RECEIVING", "CLOSED FOR INVOICING")


def run_item_action(ctx: WriteContext, resource: Resource, row: dict[str, Any], action: str) -> Any:
    """The ``result`` of ``/{resource}/{id}/action/{name}``; a state that forbids it is a 400."""
    if resource.name == "purchaseOrders" and action == "close":
        if row["StatusCode"] not in ("OPEN", "CLOSED FOR RECEIVING", "CLOSED FOR INVOICING"):
            raise _action_refused(
                f"Purchase order {row['OrderNumber']} has status {row['Status']} and cannot be closed."
            )
        _set_status(ctx, "po_header", row, "StatusCode", "CLOSED", "Closed")
        return "SUCCESS"
    if resource.name == "purchaseOrders" and action == "cancel":
        # The reference names close "and other actions"; Oracle's purchase order API documents cancel
        # beside it: an order no longer needed is CANCELED, its lines and schedules with it.
        if row["StatusCode"] not in CANCELLABLE:
            raise _action_refused(
                f"Purchase order {row['OrderNumber']} has status {row['Status']} and cannot be canceled."
            )
        _set_status(ctx, "po_header", row, "StatusCode", "CANCELED", "Canceled")
        return "SUCCESS"
    if resource.name == "draftPurchaseOrders" and action == "submit":
        # Unconfirmed: the sandbox approves on submit, so the order becomes OPEN at once.
        _set_status(ctx, "po_header", row, "StatusCode", "OPEN", "Open")
        return "SUCCESS"
    if resource.name == "purchaseRequisitions" and action == "cancel":
        if row["DocumentStatusCode"] in ("CANCELED", "REJECTED"):
            raise _action_refused(
                f"Requisition {row['Requisition']} has status {row['DocumentStatus']} and cannot be canceled."
            )
        _set_status(ctx, "requisition", row, "DocumentStatusCode", "CANCELED", "Canceled")
        return "SUCCESS"
    raise FusionError(404, f"The action {action} does not exist.", code="SBX-404")


def _action_refused(message: str) -> FusionError:
    return validation_error(message, None, "SBX-ACTION")
