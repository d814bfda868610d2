"""Pure mappers of Procore commitments and change orders to JD Edwards purchase orders and added lines (type
J, ``jde.order_lines``' rules); the caller passes the accounts, the vendor's number and the order. A line on
an account not set up yet holds the whole document."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.jde.job_accounts import AccountWaits, JobAccount
from connector_assets.jde.order_lines import TEXT_MAX, amount_line, unit_line
from connector_assets.procore.document_fields import cut, document_label, order_date_of
from connector_assets.procore.reconcile_documents import line_amount as procore_line_amount
from connector_resources.refusals import refused, source_invalid
from connector_resources.said import refusal_for, reworded, said

Account = JobAccount | str  # the account a cost lands on, or why it has none
Made = tuple[dict[str, Any], Decimal] | str  # an order line (without its account) and its amount, or why not

REFERENCE_PREFIX = "PC-"  # F4301.VR01 of a commitment's order: PC-<commitment id>
CHANGE_ORDER_PREFIX = "PCCO-"  # F4311.VR01 of a change order's lines: PCCO-<change order id>
PURCHASE_ORDER_CONTRACT = "PurchaseOrderContract"
WORK_ORDER_CONTRACT = "WorkOrderContract"


@dataclass(frozen=True)
class OrderTypes:
    """JDE order type (DCTO) by kind of Procore commitment (an instance's ``po_order_type`` and
    ``wo_order_type``)."""

    purchase_order: str = "OP"
    work_order: str = "OS"

    @classmethod
    def of_instance(cls, it: Instance) -> OrderTypes:
        return cls(it.setting("po_order_type"), it.setting("wo_order_type"))

    def of(self, commitment_type: Any) -> str | None:
        return {PURCHASE_ORDER_CONTRACT: self.purchase_order, WORK_ORDER_CONTRACT: self.work_order}.get(
            str(commitment_type or "")
        )

    def kind_of(self, order_type: str) -> str | None:
        """The kind of commitment a JDE order of ``order_type`` was written for (the reverse of ``of``),
        None when the two kinds share one order type or neither has it: the order's DCTO then says
        nothing about the kind."""
        kinds = {PURCHASE_ORDER_CONTRACT: self.purchase_order, WORK_ORDER_CONTRACT: self.work_order}
        found = [kind for kind, dcto in kinds.items() if dcto == str(order_type or "").strip()]
        return found[0] if len(found) == 1 else None


def order_reference(commitment_id: Any) -> str:
    return f"{REFERENCE_PREFIX}{commitment_id}"


def change_order_reference(change_order_id: Any) -> str:
    return f"{CHANGE_ORDER_PREFIX}{change_order_id}"


def line_label(line: Mapping[str, Any], position: int) -> str:
    text = cut(line.get("description"), 40)
    return f"line {line.get('position') or position}" + (f" ({text})" if text else "")


def commitment_line(line: Mapping[str, Any], position: int, accounting_method: str | None) -> Made:
    """One schedule of values line as a JDE order line (without its account) and its extended cost, or
    why it cannot be one."""
    label = line_label(line, position)
    description = cut(line.get("description"), TEXT_MAX)
    line_amount = amounts.amount(line.get("amount"))
    quantity = amounts.amount(line.get("quantity"))
    unit_cost = amounts.amount(line.get("unit_cost"))
    # The commitment's accounting_method (reference §2.4: amount|unit) decides; without it a line is read as
    # unit-accounted only when it has a quantity above zero and a unit cost (an amount-accounted line may
    # show quantity 0 or none).
    unit_like = quantity is not None and quantity > 0 and unit_cost is not None
    method = str(accounting_method or "").lower() or ("unit" if unit_like else "amount")
    if method == "unit":
        if quantity is None or unit_cost is None:
            sentence = f"{label}: unit-accounted line without a quantity and unit cost"
            return said(source_invalid(sentence, field="quantity"))
        if quantity <= 0:
            sentence = f"{label}: quantity {quantity} (JDE order lines need a quantity above zero)"
            return said(source_invalid(sentence, field="quantity", value=quantity))
        return unit_line(description, quantity, unit_cost, line_amount, cut(line.get("uom"), 4))
    if line_amount is None:
        sentence = f"{label}: amount {line.get('amount')!r} is not an amount"
        return said(source_invalid(sentence, field="amount", value=line.get("amount")))
    return amount_line(description, line_amount), line_amount


def change_order_line(line: Mapping[str, Any], position: int, title: Any) -> Made:
    """One change order line at its amount (else quantity x unit cost), described by itself or by the
    change order's ``title``, or why it has no amount."""
    line_amount = procore_line_amount(line)
    if line_amount is None:
        sentence = f"{line_label(line, position)}: amount {line.get('amount')!r} is not an amount"
        return said(source_invalid(sentence, field="amount", value=line.get("amount")))
    return amount_line(cut(line.get("description") or title, TEXT_MAX), line_amount), line_amount


def lines_on_accounts(
    label: str,
    lines: Sequence[Mapping[str, Any]],
    line_accounts: Sequence[Account],
    make: Callable[[Mapping[str, Any], int], Made],
    problems: list[str],
    **inputs: Any,
) -> tuple[list[dict[str, Any]], Decimal]:
    """Each line made (``make``) on its account, with ``inputs`` added, and their total; every line that
    cannot be made or has no account adds its problem instead."""
    if len(line_accounts) != len(lines):
        raise ValueError(f"{label}: {len(lines)} lines but {len(line_accounts)} accounts")
    made_lines: list[dict[str, Any]] = []
    total = Decimal(0)
    for position, (line, account) in enumerate(zip(lines, line_accounts, strict=True), start=1):
        made = make(line, position)
        if isinstance(made, str):
            problems.append(made)
        if isinstance(account, str):
            problems.append(reworded(account, f"{line_label(line, position)}: {account}"))
        if isinstance(made, str) or isinstance(account, str):
            continue
        body, amount = made
        made_lines.append({**body, "Account": account.account, **inputs})
        total += amount
    return made_lines, total


def refused_or_held(
    source_key: str, label: str, problems: list[str], waits: AccountWaits | None
) -> Rejected | None:
    """The refusal of ``problems`` (naming the accounts it waits for too: all of it is what a person
    fixes), else the hold on the first account JDE's chart has not set up yet (``waits``); None: neither."""
    if problems:
        sentence = f"{label}: " + "; ".join(waits.named_with(problems) if waits else problems)
        return Rejected.of(source_key, refusal_for(sentence, problems, rule="document not an order"))
    return waits.held(source_key) if waits else None


def _project(commitment: Mapping[str, Any]) -> str:
    project = commitment.get("project")
    if isinstance(project, Mapping) and project.get("id") is not None:
        return str(project["id"])
    return str(commitment.get("_project_id") or "")


def map_commitment(
    commitment: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    job: Account,
    line_accounts: Sequence[Account],
    an8: str | None,
    vendor_hold: str | None,
    order_types: OrderTypes,
    waits: AccountWaits | None = None,
) -> Mapped | Rejected:
    """A Procore commitment and its schedule of values -> the ``ML_CreatePurchaseOrder`` inputs, or every
    reason it cannot be written. With no ``an8`` (the vendor has not synced) the order waits for
    ``vendor_hold``; on an account in ``waits`` it is held on that account."""
    commitment_id = str(commitment.get("id") or "")
    label = document_label("commitment", commitment)
    problems: list[str] = []
    order_type = order_types.of(commitment.get("_commitment_type") or commitment.get("type"))
    if order_type is None:
        raw = commitment.get("_commitment_type")
        sentence = f"its kind {raw!r} is neither a purchase order nor a work order contract"
        problems.append(said(source_invalid(sentence, field="type", value=raw)))
    if isinstance(job, str):
        problems.append(job)
    order_date = order_date_of(commitment)
    if order_date is None:
        raw = commitment.get("contract_date")
        sentence = (
            f"its contract date {raw!r} is not a date, and it has no execution "
            "or issued-on date either (the JDE order date): set the contract date in Procore, then replay"
        )
        problems.append(said(source_invalid(sentence, field="contract_date", value=raw)))
    method = commitment.get("accounting_method")
    order_lines, total = lines_on_accounts(
        label, lines, line_accounts, lambda line, at: commitment_line(line, at, method), problems
    )
    if not lines:
        sentence = "it has no schedule of values lines in Procore"
        problems.append(said(refused(sentence, rule="commitment has no lines")))
    vendor = commitment.get("vendor") if isinstance(commitment.get("vendor"), Mapping) else {}
    if an8 is None and not vendor_hold:
        sentence = f"its vendor {vendor.get('company') or '(none)'} has no JDE supplier number"
        problems.append(said(source_invalid(sentence, field="vendor")))
    if not commitment_id.isdigit():
        sentence = f"the Procore id {commitment_id!r} is not a number"
        problems.append(said(source_invalid(sentence, field="id", value=commitment_id)))
    stopped = refused_or_held(commitment_id, f"{label} on project {_project(commitment)}", problems, waits)
    if stopped is not None:
        return stopped
    assert not isinstance(job, str)
    reference = order_reference(commitment_id)
    currency = commitment.get("currency_configuration")
    currency_code = (
        str((currency or {}).get("currency_iso_code") or "").upper() if isinstance(currency, Mapping) else ""
    )
    remark = cut(
        " ".join(p for p in (cut(commitment.get("number"), 40), cut(commitment.get("title"), 60)) if p),
        TEXT_MAX,
    )
    body = {
        "Order_Company": job.company,
        "Order_Type": order_type,
        "Business_Unit": job.business_unit,
        "Supplier": int(an8) if an8 else None,
        "Order_Date": order_date,
        "Reference": reference,
        "Remark": remark,
        "Currency_Code": currency_code or None,
        "Lines": order_lines,
    }
    return Mapped(
        source_key=commitment_id,
        body=body,
        fields={
            "reference": reference,
            "order_company": job.company,
            "order_type": order_type,
            "business_unit": job.business_unit,
            "supplier": an8,
            "order_date": order_date,
            "remark": remark,
            "currency": currency_code,
            "lines": len(order_lines),
            "total": amounts.money(total),
        },
        natural_key={
            "Reference": reference,
            "Order_Company": job.company,
            "Order_Type": order_type,
            "Supplier": an8,
        },
        depends_on=vendor_hold if an8 is None else None,
    )


def change_order_label(change_order: Mapping[str, Any]) -> str:
    return document_label("change order", change_order)


def map_change_order(
    change_order: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    project: str,
    line_accounts: Sequence[Account],
    order: tuple[str, int, str] | None,
    order_hold: str,
    waits: AccountWaits | None = None,
) -> Mapped | Rejected:
    """An approved commitment change order and its lines -> the ``ML_UpdatePurchaseOrder`` inputs that
    add its lines to the commitment's JDE ``order`` (KCOO, DOCO, DCTO), or why it cannot. With no order
    yet it waits for ``order_hold``; on an account in ``waits`` it is held on that account."""
    change_order_id = str(change_order.get("id") or "")
    commitment = change_order.get("contract_id")
    label = f"{change_order_label(change_order)} of commitment {commitment} on project {project}"
    problems: list[str] = []
    reference = change_order_reference(change_order_id)
    title = change_order.get("title")
    added, total = lines_on_accounts(
        label, lines, line_accounts, lambda line, at: change_order_line(line, at, title), problems,
        Reference=reference,
    )  # fmt: skip
    if not lines:
        sentence = "it has no line items in Procore, so there is nothing to add to the JDE order"
        problems.append(said(refused(sentence, rule="change order has no lines")))
    if not change_order_id.isdigit():
        sentence = f"the Procore id {change_order_id!r} is not a number"
        problems.append(said(source_invalid(sentence, field="id", value=change_order_id)))
    stopped = refused_or_held(change_order_id, label, problems, waits)
    if stopped is not None:
        return stopped
    company, number, order_type = order if order is not None else (None, None, None)
    body = {"Order_Company": company, "Order_Number": number, "Order_Type": order_type, "Lines": added}
    return Mapped(
        source_key=change_order_id,
        body=body,
        fields={
            "reference": reference,
            "commitment_id": str(change_order.get("contract_id") or ""),
            "order_company": company,
            "order_number": number,
            "order_type": order_type,
            "lines": len(added),
            "total": amounts.money(total),
        },
        natural_key={"Reference": reference},
        depends_on=order_hold if order is None else None,
    )
