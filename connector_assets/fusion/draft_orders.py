"""Fusion's draft purchase order as the flows keep it, and what Fusion lets an integration change on an
order it made. Pure: no I/O. What is sent and what is queued for a buyer:
docs/integrations/fusion_procurify.md, "Purchase orders".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import values
from connector_resources.fusion import FusionInputError
from connector_resources.fusion.payloads import DraftPurchaseOrder, PurchaseOrderLine
from connector_resources.said import said

DESCRIPTION_MAX = 240  # Fusion purchase order Description (the sandbox's attribute width; Oracle's column)
LINE_DESCRIPTION_MAX = 240


def draft_order(
    *,
    order_number: str,
    business_unit: str,
    supplier: str,
    supplier_site: str,
    currency: str | None,
    description: str | None,
    buyer: str | None,
    lines: Sequence[PurchaseOrderLine],
) -> DraftPurchaseOrder:
    """The draft purchase order (checked when its payload is built: ``FusionInputError`` names the field)."""
    return DraftPurchaseOrder(
        supplier=supplier,
        supplier_site=supplier_site,
        order_number=order_number,
        procurement_bu=business_unit,
        currency_code=currency or None,
        buyer=buyer or None,
        description=description,
        lines=tuple(lines),
    )


def body_of(draft: DraftPurchaseOrder) -> dict[str, Any]:
    """The draft as the JSON the ledger keeps (and hashes): header and lines, amounts as decimal strings."""
    return {
        "OrderNumber": draft.order_number,
        "ProcurementBU": draft.procurement_bu,
        "Supplier": draft.supplier,
        "SupplierSite": draft.supplier_site,
        "CurrencyCode": draft.currency_code,
        "Buyer": draft.buyer,
        "Description": draft.description,
        "lines": [
            {
                "LineNumber": line.line_number,
                "Quantity": format(Decimal(str(line.quantity)), "f"),
                "Price": format(Decimal(str(line.price)), "f"),
                "Description": line.description,
                "UOM": line.uom,
                "POChargeAccount": line.charge_account,
            }
            for line in draft.lines
        ],
    }


def draft_of(body: Mapping[str, Any]) -> DraftPurchaseOrder:
    """The draft back from ``body_of``'s JSON (a queued record, or the write step's input)."""
    return DraftPurchaseOrder(
        supplier=body["Supplier"],
        supplier_site=body["SupplierSite"],
        order_number=body["OrderNumber"],
        procurement_bu=body.get("ProcurementBU"),
        currency_code=body.get("CurrencyCode"),
        buyer=body.get("Buyer"),
        description=body.get("Description"),
        lines=tuple(
            PurchaseOrderLine(
                line_number=int(line["LineNumber"]),
                quantity=Decimal(line["Quantity"]),
                price=Decimal(line["Price"]),
                description=line.get("Description"),
                uom=line.get("UOM"),
                charge_account=line.get("POChargeAccount"),
            )
            for line in body.get("lines") or ()
        ),
    )


def checked_payload(draft: DraftPurchaseOrder) -> tuple[dict[str, Any] | None, str | None]:
    """The draft's ``POST`` body, or the rule it breaks (record and field named) before anything is sent,
    keeping its refusal (a ``Said``: the field cannot be written as it is)."""
    try:
        return draft.payload(), None
    except FusionInputError as exc:
        return None, said(exc.refusal)


def order_total(body: Mapping[str, Any]) -> Decimal:
    """Quantity x price over the body's lines (what the order commits)."""
    return sum(
        (Decimal(line["Quantity"]) * Decimal(line["Price"]) for line in body.get("lines") or ()), Decimal(0)
    )


@dataclass(frozen=True)
class Differences:
    """What a changed source order asks of its Fusion order: ``header`` attribute changes Fusion lets an
    integration make, and ``problems`` it does not (each in words a buyer acts on)."""

    header: dict[str, Any]
    problems: list[str]


# Header attributes the draft purchase order resource documents as changeable by PATCH and that the body
# carries. ``Buyer`` only when the body names one (blank = the pod's default, not a change).
PATCHABLE = ("Description", "Buyer")
# Line attributes compared, and how a buyer calls them. docs/reference/oracle-fusion.md 2.4 confirms only
# POLineId and LineNumber.
COMPARED_LINE_ATTRIBUTES = (("Quantity", "quantity"), ("Price", "price"), ("Description", "item"))
SHOWN_LINES = 10  # lines named in an "absent attribute" problem before "and N more"


def absent_line_attributes(
    ours: Mapping[int, Mapping[str, Any]], theirs: Mapping[int | None, Mapping[str, Any]], source: str
) -> list[str]:
    """A problem for each compared line attribute that no Fusion line of the order carries. Its name is
    unconfirmed (docs/reference/oracle-fusion.md 2.4), so on a pod spelling it otherwise a change in the
    source cannot be seen: queued saying so, never passed as "no difference" (a repriced line neither sent nor
    queued)."""
    common = sorted(n for n in set(ours) & set(theirs) if n is not None)
    problems = []
    for name, what in COMPARED_LINE_ATTRIBUTES:
        if not common or any(name in theirs[n] for n in common):
            continue
        wanted = [(n, values.text(ours[n].get(name))) for n in common if values.text(ours[n].get(name))]
        if not wanted:
            continue
        shown = [f"line {n}: {what} {value} in {source}" for n, value in wanted[:SHOWN_LINES]]
        if len(wanted) > SHOWN_LINES:
            shown.append(f"and {len(wanted) - SHOWN_LINES} more")
        problems.append(
            f"Fusion's order lines carry no {name} attribute (its name is unconfirmed; this pod may spell "
            f"it otherwise), so the {what} could not be compared ({'; '.join(shown)}): check them in Fusion"
        )
    return problems


def order_differences(
    order: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], body: Mapping[str, Any], *, source: str
) -> Differences:
    """Compare the Fusion order (header and ``lines`` as read) with the body mapped from ``source`` (the
    system the order comes from, as a buyer calls it) now. A line attribute absent on every Fusion line is
    a problem naming it (``absent_line_attributes``)."""
    header: dict[str, Any] = {}
    for name in PATCHABLE:
        wanted = body.get(name)
        if name == "Buyer" and not wanted:
            continue
        if values.text(order.get(name)) != values.text(wanted):
            header[name] = wanted
    problems: list[str] = []
    number = values.text(order.get("OrderNumber")) or values.text(body.get("OrderNumber"))
    for name, what in (
        ("Supplier", "supplier"),
        ("SupplierSite", "supplier site"),
        ("CurrencyCode", "currency"),
    ):
        have, want = values.text(order.get(name)), values.text(body.get(name))
        if want and have and have != want:
            problems.append(f"the {what} is {want} in {source} now, {have} on Fusion order {number}")
    theirs = {values.whole_number(line.get("LineNumber")): line for line in lines}
    ours = {int(line["LineNumber"]): line for line in body.get("lines") or ()}
    added = sorted(set(ours) - set(theirs))
    gone = sorted(n for n in set(theirs) - set(ours) if n is not None)
    if added:
        problems.append(f"line(s) {', '.join(map(str, added))} are new in {source}")
    if gone:
        problems.append(
            f"line(s) {', '.join(map(str, gone))} of Fusion order {number} are no longer in {source}"
        )
    problems.extend(absent_line_attributes(ours, theirs, source))
    for n in sorted(set(ours) & set(theirs)):
        mine, fusion = ours[n], theirs[n]
        for name, what in (("Quantity", "quantity"), ("Price", "price")):
            want, have = values.decimal(mine.get(name)), values.decimal(fusion.get(name))
            if want is not None and have is not None and want != have:
                problems.append(f"line {n}: {what} {want} in {source}, {have} in Fusion")
        want_text, have_text = values.text(mine.get("Description")), values.text(fusion.get("Description"))
        if want_text and have_text and want_text != have_text:
            problems.append(f"line {n}: item {want_text!r} in {source}, {have_text!r} in Fusion")
    return Differences(header, problems)
