"""A changed source order against what Procurify holds for it: the revision of the PO its requisition became
(``revision``), or how the requisition differs while not purchased (``requisition_differences``). Pure: the
PO, order items and requisition body are handed in. The v3 PO PUT changes a line's quantity, price and name
only; what it cannot do is named with the source system (``source``, e.g. ``JDE``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.procurify.order_fields import PO_STATES_REFUSING, item_account_code, words


def _decimal(value: object) -> Decimal | None:
    raw = str(value if value is not None else "").strip()
    return Decimal(raw) if raw else None


def _same(a: object, b: object) -> bool:
    left, right = _decimal(a), _decimal(b)
    return left is not None and right is not None and left == right


@dataclass(frozen=True)
class Revision:
    """What the v3 PO PUT can change (``order_items`` by order-item id) and, in a finance user's words,
    what it cannot."""

    order_items: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LineMatch:
    """PO (or requisition) lines matched to the order's lines now: ``by_sku`` maps a requisition line's
    ``sku`` (its source line) to the Procurify line; ``unmatched`` are Procurify lines that are no source
    line now (cancelled or gone at the source), each with how to name it (``line 2 (Rope)``)."""

    by_sku: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    unmatched: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    how: str = "sku"


def _line_order(item: Mapping[str, object]) -> tuple[int, int]:
    def whole(value: object) -> int:
        raw = str(value if value is not None else "").strip()
        return int(raw) if raw.isdigit() else 0

    return whole(item.get("PO_line_num")), whole(item.get("id"))


def match_po_lines(po: Mapping[str, Any], body: Mapping[str, Any], *, source: str) -> LineMatch:
    """Match Procurify's lines (``order_items``) to the requisition lines of ``body`` (the order now): by the
    source line in ``sku`` (``JDE 4011 line 1``) when Procurify kept it, else by unique ``name`` and then by
    position between name matches; what cannot be paired is reported, never guessed (the rule:
    docs/integrations/jde_procurify.md, "The flows", purchase orders)."""
    items = sorted(po.get("order_items") or [], key=_line_order)
    by_sku = {words(i.get("sku")): i for i in items if words(i.get("sku")).startswith(f"{source} ")}
    wanted = list(body.get("line_items", []))
    if by_sku:
        skus = {li["sku"] for li in wanted}
        found = {sku: item for sku, item in by_sku.items() if sku in skus}
        gone = [
            (f"line {sku.rsplit(' ', 1)[-1]} ({words(item.get('name'))})", item)
            for sku, item in by_sku.items()
            if sku not in skus
        ]
        return LineMatch(found, gone, "sku")
    names = Counter(words(i.get("name")) for i in items)
    ours = Counter(words(li["item_name"]) for li in wanted)
    anchors: list[tuple[int, int]] = []  # (index in wanted, index in items), matched by name
    for w, line in enumerate(wanted):
        name = words(line["item_name"])
        if names[name] == 1 and ours[name] == 1:
            anchors.append((w, next(n for n, i in enumerate(items) if words(i.get("name")) == name)))
    pairs = dict(anchors)
    in_order = all(a[1] < b[1] for a, b in zip(anchors, anchors[1:], strict=False))
    if in_order:
        anchored_w = [a[0] for a in anchors]
        anchored_i = [a[1] for a in anchors]
        gaps: dict[int, tuple[list[int], list[int]]] = {}
        for w in range(len(wanted)):
            if w not in pairs:
                gaps.setdefault(sum(x < w for x in anchored_w), ([], []))[0].append(w)
        taken = set(anchored_i)
        for n in range(len(items)):
            if n not in taken:
                gaps.setdefault(sum(x < n for x in anchored_i), ([], []))[1].append(n)
        for left, rest in gaps.values():
            if len(left) == len(rest):
                pairs.update(zip(left, rest, strict=True))
    found = {wanted[w]["sku"]: items[n] for w, n in pairs.items()}
    matched = set(pairs.values())
    gone = [
        (f"Procurify line {i.get('PO_line_num') or i.get('id')} ({words(i.get('name'))})", i)
        for n, i in enumerate(items)
        if n not in matched
    ]
    return LineMatch(found, gone, "name and line order")


def revision(
    po: Mapping[str, Any], body: Mapping[str, Any], vendor_id: str | None, order_label: str, *, source: str
) -> Revision:
    """The order-item changes that bring PO ``po`` to the requisition ``body`` mapped from the source order
    now (quantity, unit price, name of each line matched by its source line), and what the API cannot do:
    a line added or cancelled at the source (the PUT revises lines, it neither adds nor removes one),
    another vendor or account on a line, a PO that is cancelled, closed or paid."""
    number = po.get("procurify_PO") or po.get("number")
    state = po.get("state")
    state_code = int(state) if str(state).strip().isdigit() else None
    if state_code in PO_STATES_REFUSING:
        name = PO_STATES_REFUSING[state_code]
        return Revision(
            problems=[
                f"Procurify PO {number} is {name}, and the API cannot revise a {name} PO: apply the {source} "
                "change to it in Procurify by hand (or reopen it there), then replay"
            ]
        )
    match = match_po_lines(po, body, source=source)
    found = match.by_sku
    changes: list[dict[str, Any]] = []
    problems: list[str] = []
    vendor = po.get("pref_vendor")
    po_vendor = (
        str(vendor.get("id")) if isinstance(vendor, Mapping) and vendor.get("id") is not None else None
    )
    if vendor_id is not None and po_vendor is not None and po_vendor != str(vendor_id):
        problems.append(
            f"the {source} order's supplier is now Procurify vendor {vendor_id}, but PO {number} is with "
            f"vendor {po_vendor}; the API cannot change a PO's vendor: cancel the PO in Procurify and "
            "raise a new one"
        )
    for item in body.get("line_items", []):
        sku = item["sku"]
        current = found.get(sku)
        line = sku.rsplit(" ", 1)[-1]
        if current is None and match.how != "sku":
            problems.append(
                f"line {line} ({words(item['item_name'])}) matches no line of PO {number} (Procurify kept no "
                f"{source} line SKU, so lines are matched by name, then by line order): if it was added "
                f"in {source}, add it to the PO in Procurify by hand, the API cannot; otherwise give the PO "
                f"line the {source} line's name; then replay"
            )
            continue
        if current is None:
            problems.append(
                f"line {line} was added in {source} after the order was purchased in Procurify; the API "
                f"cannot add a line to PO {number}: add it there by hand with SKU {sku!r}, then replay"
            )
            continue
        code = item_account_code(current) or None
        if code is not None and code != item["account_code"]:
            problems.append(
                f"line {line} is now on account code {item['account_code']} (was {code}); the API cannot "
                f"change a PO line's account: change it on PO {number} in Procurify"
            )
        change: dict[str, Any] = {}
        if not _same(current.get("quantity"), item["quantity"]):
            change["quantity"] = item["quantity"]
        if not _same(current.get("price"), item["unit_price"]):
            change["price"] = item["unit_price"]
        if words(current.get("name")) != words(item["item_name"]):
            change["name"] = item["item_name"]
        if change:
            changes.append({"id": int(current["id"]), **change})
    for label, _current in match.unmatched:
        if match.how == "sku":
            problems.append(
                f"{label} is cancelled or gone in {source}; the API cannot remove a line from PO {number}: "
                "cancel it in Procurify by hand, then abandon this item"
            )
        else:
            problems.append(
                f"{label} on PO {number} matches no line of the {source} order now: if it was cancelled in "
                f"{source}, cancel it in Procurify by hand (the API cannot remove a line) and abandon this "
                f"item; otherwise give it the {source} line's name, then replay"
            )
    if not found and body.get("line_items"):
        problems = [
            f"PO {number}'s lines carry no {source} line SKU and none matches a line of {source} order "
            f"{order_label} by name or by position, so they cannot be matched; apply the change in Procurify"
        ]
        changes = []
    return Revision(changes, problems)


def requisition_differences(
    items: Sequence[Mapping[str, Any]], body: Mapping[str, Any], *, source: str
) -> list[str]:
    """How a requisition's lines (order items) differ from ``body`` (quantity, unit price, name, lines
    present), in a finance user's words; empty when Procurify already holds what the order says. Lines
    are matched by their source line (``sku``), else by name and line order (``match_po_lines``)."""
    match = match_po_lines({"order_items": list(items)}, body, source=source)
    found = match.by_sku
    differences: list[str] = []
    for item in body.get("line_items", []):
        line = item["sku"].rsplit(" ", 1)[-1]
        current = found.get(item["sku"])
        if current is None:
            differences.append(f"line {line} is not on the requisition")
            continue
        for label, ours, theirs in (
            ("quantity", item["quantity"], current.get("quantity")),
            ("unit price", item["unit_price"], current.get("price")),
        ):
            if not _same(ours, theirs):
                differences.append(f"line {line} {label} is {theirs} in Procurify, {ours} in {source}")
        if words(current.get("name")) != words(item["item_name"]):
            differences.append(f"line {line} is named {words(current.get('name'))!r} in Procurify")
    differences.extend(f"{label} is no longer on the {source} order" for label, _item in match.unmatched)
    return differences
