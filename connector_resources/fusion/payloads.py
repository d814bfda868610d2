"""What the connector writes to Fusion, as typed records that check themselves before anything is sent.

Why typed: the pod's 400 answers are often one terse line naming no attribute (reference quirk 7), so
every rule the client can check itself (required attributes, amounts that are not floats, unique line
numbers, dates that are dates) is checked here first, with an error naming the record and the field.

Attribute names: the invoice names are the reference's (§2.6, Oracle's own example). The draft purchase
order names beyond the header's confirmed ones (``OrderNumber``, ``Supplier``, ``SupplierSite``,
``Buyer``, ``CurrencyCode``) are **unconfirmed** (``ProcurementBU``, ``Description``, line ``Quantity`` /
``Price`` / ``UOM`` / ``CategoryName``, distribution ``POChargeAccount``); every record takes ``extra``
attributes, so a pod that spells one differently needs settings, not code.

Amounts go out as decimal strings (Oracle's own samples send strings; quirk 14) from ``Decimal``,
``int`` or numeric ``str``; floats are refused. Read-only attributes (ids, status attributes, WHO
columns; quirk 8) are removed from ``extra`` before sending, with a warning naming them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_resources.fusion.errors import FusionInputError
from connector_resources.http.wire_values import WireRules, wire_body
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.fusion.payloads")

# Status attributes and WHO columns the pod sets itself; sending one is a 400 (reference §2.6 FAQ,
# quirk 8; the invoice ones as Oracle's attribute table spells them, reference 7.2). Stripping a name the
# pod does not have is harmless.
READ_ONLY = frozenset(
    {
        "InvoiceId",
        "POHeaderId",
        "POLineId",
        "PODistributionId",
        "LineLocationId",
        "SupplierId",
        "CheckId",
        "RequisitionHeaderId",
        "ValidationStatus",
        "ApprovalStatus",
        "PaidStatus",
        "AmountPaid",
        "CanceledFlag",
        "CanceledDate",
        "CanceledBy",
        "AccountingStatus",
        "StatusCode",
        "Status",
        "CreationDate",
        "CreatedBy",
        "LastUpdateDate",
        "LastUpdatedBy",
        "links",
    }
)


def _refused(record: str, field_name: str, problem: str) -> FusionInputError:
    """The refusal of a value the client will not send: ``<record>: <field> <problem>``, both named."""
    return FusionInputError(f"{record}: {field_name} {problem}", field=field_name, record=record)


def decimal_text(value: Any, record: str, field_name: str) -> str:
    """An amount or quantity as a plain decimal string; floats and non-numbers are refused by name."""
    if isinstance(value, bool | float):
        raise _refused(
            record,
            field_name,
            f"is a {type(value).__name__} ({value!r}); pass Decimal, int or a numeric string so no binary "
            "rounding reaches the ledger",
        )
    if isinstance(value, int):
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refused(record, field_name, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise _refused(record, field_name, f"{value!r} is not a finite number")
    return format(number, "f")


def _text(value: Any, record: str, field_name: str, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _refused(record, field_name, "is required")
        return None
    if not isinstance(value, str):
        raise _refused(record, field_name, f"must be text, got {type(value).__name__}")
    # Names are matched exactly by the pod (quirk 9): keep inner spacing and case, trim only the ends.
    return value.strip()


def _day(value: Any, record: str, field_name: str) -> str:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _refused(record, field_name, f"must be a date (not {type(value).__name__})")
    return value.isoformat()


def _line_number(value: Any, record: str, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _refused(record, field_name, f"must be a positive whole number, got {value!r}")
    return value


def _body_refused(record: str, path: str, problem: str) -> FusionInputError:
    return FusionInputError(f"{record}: {path or 'extra'}: {problem}", field=path, record=record)


def _moment(value: datetime, record: str, path: str) -> str:
    if value.tzinfo is None:
        raise _refused(record, path, "has no time zone")
    return value.isoformat()


# Read-only attributes are dropped at every depth (a nested line can carry its own ids).
WIRE = WireRules(refuse=_body_refused, moment=_moment, dropped=READ_ONLY)


def clean_extra(extra: Mapping[str, Any], record: str) -> dict[str, Any]:
    """``extra`` without read-only attributes, floats refused (nested lists and objects included)."""
    dropped = sorted(name for name in extra if name in READ_ONLY)
    if dropped:
        log.warning("%s: read-only attribute(s) %s removed before sending", record, ", ".join(dropped))
    return wire_body(dict(extra), record, WIRE)


def _put_text(payload: dict[str, Any], record: str, name: str, value: Any) -> None:
    """An optional text attribute: ``value`` trimmed under ``name`` when given, refused by ``name`` when it
    is not text (the payload key and the name an error gives are one argument, so they cannot drift)."""
    text = _text(value, record, name, required=False)
    if text is not None:
        payload[name] = text


def _line_payloads(lines: Sequence[Any], where: str, record: str, number_field: str) -> list[dict[str, Any]]:
    """Each line's ``payload(where)``, once their ``line_number`` values are known not to repeat (the pod
    keys lines by number, so a repeat would overwrite one line with another)."""
    numbers = [line.line_number for line in lines]
    if len(set(numbers)) != len(numbers):
        raise FusionInputError(
            f"{where}: {number_field} values repeat ({numbers})", field=number_field, record=record
        )
    return [line.payload(where) for line in lines]


# -- supplier invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceDistribution:
    """A charge-account split of an unmatched invoice line (``invoiceDistributions``)."""

    line_number: int
    amount: Decimal | int | str
    combination: str  # segment string as the chart of accounts delimits it, e.g. 101-10-60000-000
    line_type: str = "Item"
    description: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def payload(self, record: str) -> dict[str, Any]:
        where = f"{record} distribution {self.line_number}"
        out: dict[str, Any] = {
            "DistributionLineNumber": _line_number(self.line_number, where, "DistributionLineNumber"),
            "DistributionLineType": _text(self.line_type, where, "DistributionLineType"),
            "DistributionAmount": decimal_text(self.amount, where, "DistributionAmount"),
            "DistributionCombination": _text(self.combination, where, "DistributionCombination"),
        }
        _put_text(out, where, "Description", self.description)
        out.update(clean_extra(self.extra, where))
        return out


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice line: a PO-matched line (``purchase_order_number`` ...) or an unmatched one whose
    account is ``distribution_combination`` or its ``distributions``."""

    line_number: int
    amount: Decimal | int | str
    line_type: str = "Item"  # Item / Freight / Miscellaneous / Tax
    description: str | None = None
    quantity: Decimal | int | str | None = None
    unit_price: Decimal | int | str | None = None
    distribution_combination: str | None = None
    purchase_order_number: str | None = None
    purchase_order_line_number: int | None = None
    purchase_order_schedule_line_number: int | None = None
    distributions: Sequence[InvoiceDistribution] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def payload(self, record: str) -> dict[str, Any]:
        where = f"{record} line {self.line_number}"
        out: dict[str, Any] = {
            "LineNumber": _line_number(self.line_number, where, "LineNumber"),
            "LineType": _text(self.line_type, where, "LineType"),
            "LineAmount": decimal_text(self.amount, where, "LineAmount"),
        }
        _put_text(out, where, "Description", self.description)
        if self.quantity is not None:
            out["Quantity"] = decimal_text(self.quantity, where, "Quantity")
        if self.unit_price is not None:
            out["UnitPrice"] = decimal_text(self.unit_price, where, "UnitPrice")
        _put_text(out, where, "DistributionCombination", self.distribution_combination)
        po = _text(self.purchase_order_number, where, "PurchaseOrderNumber", required=False)
        if po is not None:
            out["PurchaseOrderNumber"] = po
            if self.purchase_order_line_number is None:
                raise FusionInputError(
                    f"{where}: PurchaseOrderLineNumber is required with PurchaseOrderNumber",
                    field="PurchaseOrderLineNumber",
                    record=record,
                )
        if self.purchase_order_line_number is not None:
            out["PurchaseOrderLineNumber"] = _line_number(
                self.purchase_order_line_number, where, "PurchaseOrderLineNumber"
            )
        if self.purchase_order_schedule_line_number is not None:
            out["PurchaseOrderScheduleLineNumber"] = _line_number(
                self.purchase_order_schedule_line_number, where, "PurchaseOrderScheduleLineNumber"
            )
        if self.distributions:
            distributions = _line_payloads(self.distributions, where, record, "DistributionLineNumber")
            out["invoiceDistributions"] = distributions
        out.update(clean_extra(self.extra, where))
        return out


@dataclass(frozen=True)
class Invoice:
    """A supplier invoice to create in Payables (``POST /invoices``), header plus lines.

    ``business_unit`` may be left None: the session fills in the resource's ``business_unit``.
    Its natural key is ``invoice_number`` + ``supplier`` (Payables refuses a second invoice with the
    same number for a supplier), which ``FusionSession.find_invoice`` searches by.
    """

    invoice_number: str
    supplier: str
    supplier_site: str
    amount: Decimal | int | str
    invoice_date: date
    currency: str
    business_unit: str | None = None
    description: str | None = None
    invoice_type: str | None = None  # Standard (pod default), Credit memo, ...
    invoice_group: str | None = None
    payment_terms: str | None = None
    accounting_date: date | None = None
    conversion_rate_type: str | None = None
    lines: Sequence[InvoiceLine] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"invoice {self.invoice_number or '(no number)'} of supplier {self.supplier or '(none)'}"

    def with_defaults(self, business_unit: str) -> Invoice:
        return self if self.business_unit else replace(self, business_unit=business_unit)

    def payload(self) -> dict[str, Any]:
        """The ``POST /invoices`` body; raises ``FusionInputError`` naming the record and field."""
        record = self.label
        out: dict[str, Any] = {
            "InvoiceNumber": _text(self.invoice_number, record, "InvoiceNumber"),
            "InvoiceCurrency": _text(self.currency, record, "InvoiceCurrency"),
            "InvoiceAmount": decimal_text(self.amount, record, "InvoiceAmount"),
            "InvoiceDate": _day(self.invoice_date, record, "InvoiceDate"),
            "BusinessUnit": _text(self.business_unit, record, "BusinessUnit"),
            "Supplier": _text(self.supplier, record, "Supplier"),
            "SupplierSite": _text(self.supplier_site, record, "SupplierSite"),
        }
        _put_text(out, record, "Description", self.description)
        _put_text(out, record, "InvoiceType", self.invoice_type)
        _put_text(out, record, "InvoiceGroup", self.invoice_group)
        _put_text(out, record, "PaymentTerms", self.payment_terms)
        _put_text(out, record, "ConversionRateType", self.conversion_rate_type)
        if self.accounting_date is not None:
            out["AccountingDate"] = _day(self.accounting_date, record, "AccountingDate")
        if self.lines:
            out["invoiceLines"] = _line_payloads(self.lines, record, record, "LineNumber")
        out.update(clean_extra(self.extra, record))
        return out


# -- draft purchase orders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseOrderLine:
    """One draft purchase order line; ``charge_account`` (a segment string) becomes one schedule with
    one distribution for the whole quantity, otherwise the pod applies its defaults."""

    line_number: int
    quantity: Decimal | int | str
    price: Decimal | int | str
    description: str | None = None
    item: str | None = None
    category_name: str | None = None
    uom: str | None = None
    charge_account: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def payload(self, record: str) -> dict[str, Any]:
        where = f"{record} line {self.line_number}"
        quantity = decimal_text(self.quantity, where, "Quantity")
        out: dict[str, Any] = {
            "LineNumber": _line_number(self.line_number, where, "LineNumber"),
            "Quantity": quantity,
            "Price": decimal_text(self.price, where, "Price"),
        }
        _put_text(out, where, "Description", self.description)
        _put_text(out, where, "Item", self.item)
        if "Description" not in out and "Item" not in out:
            raise FusionInputError(
                f"{where}: Description or Item is required", field="Description", record=record
            )
        _put_text(out, where, "CategoryName", self.category_name)
        _put_text(out, where, "UOM", self.uom)
        account = _text(self.charge_account, where, "POChargeAccount", required=False)
        if account is not None:
            out["schedules"] = [
                {
                    "ScheduleNumber": 1,
                    "Quantity": quantity,
                    "distributions": [
                        {"DistributionNumber": 1, "Quantity": quantity, "POChargeAccount": account}
                    ],
                }
            ]
        out.update(clean_extra(self.extra, where))
        return out


@dataclass(frozen=True)
class DraftPurchaseOrder:
    """A purchase order to create as a draft (``POST /draftPurchaseOrders``; purchaseOrders is read-only).

    Its natural key is ``order_number`` within the procurement business unit (order numbers are unique
    per sold-to business unit only), which ``FusionSession.find_purchase_order`` searches by.
    ``procurement_bu`` may be left None: the session fills in the resource's ``business_unit``.
    """

    supplier: str
    supplier_site: str
    order_number: str | None = None
    procurement_bu: str | None = None
    currency_code: str | None = None
    buyer: str | None = None
    description: str | None = None
    payment_terms: str | None = None
    requisitioning_bu: str | None = None
    lines: Sequence[PurchaseOrderLine] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return (
            f"draft purchase order {self.order_number or '(unnumbered)'} of supplier "
            f"{self.supplier or '(none)'} in {self.procurement_bu or '(default business unit)'}"
        )

    def with_defaults(self, business_unit: str) -> DraftPurchaseOrder:
        return self if self.procurement_bu else replace(self, procurement_bu=business_unit)

    def payload(self) -> dict[str, Any]:
        """The ``POST /draftPurchaseOrders`` body; raises ``FusionInputError`` naming record and field."""
        record = self.label
        out: dict[str, Any] = {
            "ProcurementBU": _text(self.procurement_bu, record, "ProcurementBU"),
            "Supplier": _text(self.supplier, record, "Supplier"),
            "SupplierSite": _text(self.supplier_site, record, "SupplierSite"),
        }
        _put_text(out, record, "OrderNumber", self.order_number)
        _put_text(out, record, "CurrencyCode", self.currency_code)
        _put_text(out, record, "Buyer", self.buyer)
        _put_text(out, record, "Description", self.description)
        _put_text(out, record, "PaymentTerms", self.payment_terms)
        _put_text(out, record, "RequisitioningBU", self.requisitioning_bu)
        if self.lines:
            out["lines"] = _line_payloads(self.lines, record, record, "LineNumber")
        out.update(clean_extra(self.extra, record))
        return out


def attribute_names(payload: Any) -> set[str]:
    """Every attribute name in a payload, nested ones included (to tie terse error text to a field)."""
    names: set[str] = set()
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            names.add(str(key))
            names |= attribute_names(value)
    elif isinstance(payload, list | tuple):
        for value in payload:
            names |= attribute_names(value)
    return names


def changes_payload(changes: Mapping[str, Any], record: str) -> dict[str, Any]:
    """A PATCH body: read-only attributes removed, amounts as decimal strings, floats refused."""
    if not changes:
        raise FusionInputError(f"{record}: no changes to send", field="changes", record=record)
    return clean_extra(changes, record)


# Attributes a flow may send whose writability the reference does not confirm (docs/reference/oracle-fusion.md
# 2.4, 2.6, 4): an independent server refused both ("Attribute OrderNumber in Draft Purchase Orders is read
# only", "The attribute Description is not valid for the resource invoiceDistributions"). They are left out of
# every create unless ML_FUSION_SEND_UNCONFIRMED names them. Name -> (entity, the child path it sits under).
UNCONFIRMED_WRITES: dict[str, tuple[str, tuple[str, ...]]] = {
    "OrderNumber": ("draft_purchase_orders", ()),
    "invoiceDistributions.Description": ("invoices", ("invoiceLines", "invoiceDistributions")),
}


def unconfirmed_names(setting: str) -> frozenset[str]:
    """The ``ML_FUSION_SEND_UNCONFIRMED`` list (comma separated) checked against ``UNCONFIRMED_WRITES``."""
    names = frozenset(part.strip() for part in setting.split(",") if part.strip())
    unknown = sorted(names - UNCONFIRMED_WRITES.keys())
    if unknown:
        raise FusionInputError(
            f"ML_FUSION_SEND_UNCONFIRMED names {', '.join(unknown)}; it takes only "
            f"{', '.join(UNCONFIRMED_WRITES)}",
            field="send_unconfirmed",
        )
    return names


def without_unconfirmed(entity: str, payload: dict[str, Any], send: frozenset[str]) -> dict[str, Any]:
    """The create body minus every unconfirmed attribute of ``entity`` not in ``send``, at its depth."""
    for name, (owner, path) in UNCONFIRMED_WRITES.items():
        if owner != entity or name in send:
            continue
        _drop(payload, list(path), name.rsplit(".", 1)[-1])
    return payload


def _drop(node: Any, path: list[str], attribute: str) -> None:
    if isinstance(node, list):
        for item in node:
            _drop(item, path, attribute)
    elif isinstance(node, dict):
        if path:
            _drop(node.get(path[0]), path[1:], attribute)
        else:
            node.pop(attribute, None)
