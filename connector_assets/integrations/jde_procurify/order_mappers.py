"""JDE purchase order (F4301 header + F4311 lines) -> Procurify requisition body, and a changed order ->
the revision of its Procurify purchase order. Pure: no I/O; every name and code is handed in.

Which orders go (``OrderPolicy``, from settings; JDE status codes are each customer's own order activity
rules, reference F4311 NXTR/LTTR "customer-configured", so they are settings, not constants):

* the order type (DCTO) is one of ``ML_JDE_PROCURIFY_ORDER_TYPES``;
* the header is not on hold (F4301.HOLD blank: a hold code stops an order in JDE, approval holds
  included);
* every line not cancelled (last status LTTR below ``ML_JDE_PROCURIFY_CLOSED_STATUS``, 980) has reached
  the approved status (LTTR at or above ``ML_JDE_PROCURIFY_APPROVED_STATUS``, 220): an order partly in
  approval waits, so a requisition is never sent with lines missing;
* a new requisition is not made for an order whose every line is done (next status NXTR at or above the
  closed status: received and closed), since there is nothing left to buy.

The requisition (reference §2.4, everything by name): ``description`` = ``order_description`` (the JDE
order's number, type and company: the natural key ``find_requisitions`` adopts by after a crash; it never
changes with the order's content), one line per F4311 line not cancelled, in line order, each with ``sku`` =
``line_sku`` (``JDE 4011 line 1``: how a changed order finds its line on the PO later, whatever a buyer
renamed; a Procurify that drops the sku is matched by name and line order, ``match_po_lines``), the paired
vendor's name, the Procurify account code of the line's account, quantity, unit price, unit and currency.
Amounts: Procurify's decimal places are not documented and the sandbox takes two; a line whose quantity or
unit cost has more, or whose quantity x unit cost (half up, to the cent) is not JDE's extended cost
(F4311.AEXP), is sent as one unit at AEXP, with what was ordered in its name, so the Procurify total is
JDE's to the cent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
NAME_MAX = 255  # requisition line item_name (sandbox: 255; the reference gives no limit)
DESCRIPTION_MAX = 255
STOCK_LINE = "S"


@dataclass(frozen=True)
class OrderPolicy:
    """Which JDE orders and lines are sent (see the module docstring)."""

    order_types: frozenset[str] = frozenset({"OP"})
    approved_status: int = 220
    closed_status: int = 980
    stock_account: str = "{bu}.1410"  # blank: stock lines are refused


def text(value: Any) -> str:
    return " ".join(str(value or "").split())


def status(value: Any) -> int | None:
    raw = str(value or "").strip()
    return int(raw) if raw.isdigit() else None


def decimal(value: Any) -> Decimal | None:
    raw = str(value if value is not None else "").strip()
    return Decimal(raw) if raw else None


# -- keys and labels ----------------------------------------------------------------------------------


def order_source_key(header: Mapping[str, Any]) -> str:
    """The ledger key of a JDE order: ``KCOO:DOCO:DCTO`` (``00001:4011:OP``); a suffix other than 000 is
    appended (``...:OP:001``), so two suffixes of one order never share a requisition."""
    key = f"{text(header['KCOO'])}:{int(header['DOCO'])}:{text(header['DCTO'])}"
    suffix = text(header.get("SFXO"))
    return key if suffix in ("", "000") else f"{key}:{suffix}"


def order_description(header: Mapping[str, Any]) -> str:
    """The requisition's ``description``: ``JDE order 4011 OP (company 00001)``. Only the order's keys,
    so it stays the same whatever changes in the order, and ``find_requisitions`` finds it exactly."""
    number = f"{int(header['DOCO'])} {text(header['DCTO'])}"
    suffix = text(header.get("SFXO"))
    if suffix not in ("", "000"):
        number = f"{number}-{suffix}"
    return f"JDE order {number} (company {text(header['KCOO'])})"


def line_number(line: Mapping[str, Any]) -> str:
    """F4311.LNID as a person reads it: ``1``, ``1.1`` (the sandbox renders 1.000 as ``1.0``)."""
    value = decimal(line.get("LNID")) or Decimal(0)
    return f"{value.normalize():f}"


def line_sku(doco: Any, line: Mapping[str, Any]) -> str:
    """The Procurify line ``sku`` naming the JDE line: ``JDE 4011 line 1``."""
    return f"JDE {int(doco)} line {line_number(line)}"


# -- which orders and lines -----------------------------------------------------------------------------


def live_lines(lines: Iterable[Mapping[str, Any]], policy: OrderPolicy) -> list[Mapping[str, Any]]:
    """The lines not cancelled (last status below the closed status), in the order given."""
    return [line for line in lines if (status(line.get("LTTR")) or 0) < policy.closed_status]


def not_approved(
    header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], policy: OrderPolicy
) -> str | None:
    """Why the order is not (yet) an approved order to send, or None when it is."""
    hold = text(header.get("HOLD"))
    if hold:
        return f"on hold in JDE (F4301 hold code {hold})"
    live = live_lines(lines, policy)
    if not live:
        return "every line is cancelled"
    waiting = [line_number(li) for li in live if (status(li.get("LTTR")) or 0) < policy.approved_status]
    if waiting:
        return f"line(s) {', '.join(waiting)} not approved yet (last status below {policy.approved_status})"
    return None


def all_done(lines: Sequence[Mapping[str, Any]], policy: OrderPolicy) -> bool:
    """Every line not cancelled has nothing left to happen (next status at or above the closed status)."""
    live = live_lines(lines, policy)
    return bool(live) and all((status(li.get("NXTR")) or 0) >= policy.closed_status for li in live)


def line_account(line: Mapping[str, Any], policy: OrderPolicy) -> str | None:
    """The JDE account a line is charged to: F4311.ANI as entered, or for a stock line (no account on the
    line) ``ML_JDE_PROCURIFY_STOCK_ACCOUNT`` with its branch/plant; None when there is none."""
    typed = text(line.get("ANI"))
    if typed:
        return typed
    if text(line.get("LNTY")).upper() == STOCK_LINE and policy.stock_account.strip():
        return policy.stock_account.strip().replace("{bu}", text(line.get("MCU")).upper())
    return None


# -- amounts --------------------------------------------------------------------------------------------


def _places_ok(value: Decimal) -> bool:
    return value == value.quantize(CENT)


def line_amounts(line: Mapping[str, Any]) -> tuple[Decimal, Decimal, bool]:
    """(quantity, unit price, as ordered) for a line: JDE's quantity and unit cost when they hold two
    decimals and make JDE's extended cost; otherwise one unit at the extended cost (``as ordered`` False)."""
    quantity = decimal(line.get("UORG")) or Decimal(0)
    price = decimal(line.get("PRRC")) or Decimal(0)
    extended = decimal(line.get("AEXP"))
    product = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
    if (
        quantity > 0
        and _places_ok(quantity)
        and _places_ok(price)
        and (extended is None or product == extended)
    ):
        return quantity.quantize(CENT), price.quantize(CENT), True
    amount = extended if extended is not None else product
    return Decimal(1).quantize(CENT), amount.quantize(CENT, rounding=ROUND_HALF_UP), False


def line_name(line: Mapping[str, Any]) -> str:
    """The item name: the line's description (DSC1, DSC2), the stock item number in brackets; a line sent
    as one unit at its extended cost keeps what was ordered (``(250 x 63.2671)``)."""
    name = text(line.get("DSC1")) or text(line.get("DSC2")) or text(line.get("LITM")) or "-"
    item = text(line.get("LITM"))
    if item and item != name:
        name = f"{name} ({item})"
    quantity, price, as_ordered = line_amounts(line)
    if not as_ordered:
        ordered = decimal(line.get("UORG")) or Decimal(0)
        cost = decimal(line.get("PRRC")) or Decimal(0)
        suffix = f" ({ordered.normalize():f} x {cost.normalize():f})" if ordered else ""
        name = f"{name[: NAME_MAX - len(suffix)]}{suffix}"
    return name[:NAME_MAX]


def line_unit(line: Mapping[str, Any]) -> str:
    _quantity, _price, as_ordered = line_amounts(line)
    return (text(line.get("UOM")) or "each") if as_ordered else "lot"


def order_total(body: Mapping[str, Any]) -> Decimal:
    return sum(
        (
            (Decimal(li["quantity"]) * Decimal(li["unit_price"])).quantize(CENT, rounding=ROUND_HALF_UP)
            for li in body.get("line_items", [])
        ),
        Decimal(0),
    )


# -- the requisition ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLinesMapped:
    """An order's lines as Procurify lines, or the problems that stop it (one sentence per line).
    ``unmapped``: the accounts among the problems that have no Procurify code, the only ones the account
    map (or the account scope) can fix; a line with no account at all is fixed on the JDE line."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def missing_account(line: Mapping[str, Any], number: str) -> str:
    """Why a line has no account and where that is fixed: the JDE order line itself (no mapping table can
    give a line the account nobody entered), or for a stock line the stock-account setting."""
    if text(line.get("LNTY")).upper() == STOCK_LINE:
        return (
            f"line {number} is a stock line with no G/L account in JDE (F4311.ANI blank) and "
            "ML_JDE_PROCURIFY_STOCK_ACCOUNT is blank: set that setting to the account stock lines are "
            "charged to, or enter the account on that line in JDE, then replay"
        )
    return (
        f"line {number} has no G/L account in JDE (F4311.ANI blank): the account is missing on the order "
        "line itself, so the account map cannot supply one; enter it on that line in JDE, then replay"
    )


def requisition_lines(
    header: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    policy: OrderPolicy,
    codes: Mapping[str, str | None],
    vendor_name: str | None,
) -> OrderLinesMapped:
    """The live lines as ``line_items``; ``codes`` = JDE account -> Procurify code (None: no code). A line
    without an account, or whose account has no Procurify code, is a problem naming the line and account."""
    result = OrderLinesMapped()
    currency = text(header.get("CRCD")).upper()
    for line in live_lines(lines, policy):
        account = line_account(line, policy)
        number = line_number(line)
        if account is None:
            result.problems.append(missing_account(line, number))
            continue
        code = codes.get(account)
        if not code:
            result.problems.append(f"line {number}: account {account} has no Procurify account code")
            if account not in result.unmapped:
                result.unmapped.append(account)
            continue
        quantity, price, _as_ordered = line_amounts(line)
        item: dict[str, Any] = {
            "item_name": line_name(line),
            "sku": line_sku(header["DOCO"], line),
            "vendor_name": vendor_name,
            "account_code": code,
            "unit_price": str(price),
            "quantity": str(quantity),
            "unit": line_unit(line),
            "custom_fields": [],
        }
        if currency:
            item["currency_code"] = currency
        result.lines.append(item)
    return result


def requisition_body(
    header: Mapping[str, Any], location: str, department: str, line_items: list[dict[str, Any]]
) -> dict[str, Any]:
    """``POST /api/v3/requisitions/`` body: by names, the JDE order in ``description``; required date =
    the order's requested date (DRQJ) when JDE has one."""
    body: dict[str, Any] = {
        "description": order_description(header)[:DESCRIPTION_MAX],
        "location_name": location,
        "department_name": department,
        "line_items": line_items,
    }
    required = header.get("DRQJ")
    if required:
        body["required_date"] = str(required)[:10]
    return body


# -- a changed order -> the revision of its purchase order ----------------------------------------------

PO_STATES_REFUSING = {1: "cancelled", 3: "closed", 4: "paid"}  # PO state codes (reference §2.5)


@dataclass(frozen=True)
class Revision:
    """What the v3 PO PUT can change (``order_items`` by order-item id) and, in a finance user's words,
    what it cannot."""

    order_items: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _same(a: Any, b: Any) -> bool:
    left, right = decimal(a), decimal(b)
    return left is not None and right is not None and left == right


@dataclass(frozen=True)
class LineMatch:
    """PO (or requisition) lines matched to the order's lines now: ``by_sku`` maps a requisition line's
    ``sku`` (its JDE line) to the Procurify line; ``unmatched`` are Procurify lines that are no JDE line
    now (cancelled or gone in JDE), each with how to name it (``line 2 (Rope)``)."""

    by_sku: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    unmatched: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    how: str = "sku"


def _line_order(item: Mapping[str, Any]) -> tuple[int, int]:
    def whole(value: Any) -> int:
        raw = str(value if value is not None else "").strip()
        return int(raw) if raw.isdigit() else 0

    return whole(item.get("PO_line_num")), whole(item.get("id"))


def match_po_lines(po: Mapping[str, Any], body: Mapping[str, Any]) -> LineMatch:
    """Match Procurify's lines (``order_items``) to the requisition lines of ``body`` (the order now).

    By the JDE line each carries in ``sku`` (``JDE 4011 line 1``), when Procurify kept it. The reference
    shows no ``sku`` in its requisition create example (§2.4), so a Procurify may drop it; then by the
    documented fields that remain: first the line ``name`` (what we sent: the JDE description) when it is
    exactly one line's on both sides; then, between two such name matches (or before the first, after the
    last), the lines left over on both sides by position (``PO_line_num`` against JDE line order, the
    order the requisition was sent in), only when as many are left there on each side. A JDE line
    cancelled in one place and another added elsewhere are so never paired with each other: they are
    reported, not guessed. Name matches whose order crosses (names swapped) pair nothing by position."""
    items = sorted(po.get("order_items") or [], key=_line_order)
    by_sku = {text(i.get("sku")): i for i in items if text(i.get("sku")).startswith("JDE ")}
    wanted = list(body.get("line_items", []))
    if by_sku:
        skus = {li["sku"] for li in wanted}
        found = {sku: item for sku, item in by_sku.items() if sku in skus}
        gone = [
            (f"line {sku.rsplit(' ', 1)[-1]} ({text(item.get('name'))})", item)
            for sku, item in by_sku.items()
            if sku not in skus
        ]
        return LineMatch(found, gone, "sku")
    names = Counter(text(i.get("name")) for i in items)
    ours = Counter(text(li["item_name"]) for li in wanted)
    anchors: list[tuple[int, int]] = []  # (index in wanted, index in items), matched by name
    for w, line in enumerate(wanted):
        name = text(line["item_name"])
        if names[name] == 1 and ours[name] == 1:
            anchors.append((w, next(n for n, i in enumerate(items) if text(i.get("name")) == name)))
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
        (f"Procurify line {i.get('PO_line_num') or i.get('id')} ({text(i.get('name'))})", i)
        for n, i in enumerate(items)
        if n not in matched
    ]
    return LineMatch(found, gone, "name and line order")


def revision(
    po: Mapping[str, Any], body: Mapping[str, Any], vendor_id: str | None, order_label: str
) -> Revision:
    """The order-item changes that bring PO ``po`` to the requisition ``body`` mapped from the JDE order
    now (quantity, unit price, name of each line matched by its JDE line), and what the API cannot do:
    a line added or cancelled in JDE (the PUT revises lines, it neither adds nor removes one), another
    vendor or account on a line, a PO that is cancelled, closed or paid."""
    number = po.get("procurify_PO") or po.get("number")
    state = po.get("state")
    state_code = int(state) if str(state).strip().isdigit() else None
    if state_code in PO_STATES_REFUSING:
        return Revision(
            problems=[
                f"Procurify PO {number} is {PO_STATES_REFUSING[state_code]}, and the API cannot revise a "
                f"{PO_STATES_REFUSING[state_code]} PO: apply the JDE change to it in Procurify by hand (or "
                "reopen it there), then replay"
            ]
        )
    match = match_po_lines(po, body)
    found = match.by_sku
    changes: list[dict[str, Any]] = []
    problems: list[str] = []
    vendor = po.get("pref_vendor")
    po_vendor = (
        str(vendor.get("id")) if isinstance(vendor, Mapping) and vendor.get("id") is not None else None
    )
    if vendor_id is not None and po_vendor is not None and po_vendor != str(vendor_id):
        problems.append(
            f"the JDE order's supplier is now Procurify vendor {vendor_id}, but PO {number} is with "
            f"vendor {po_vendor}; the API cannot change a PO's vendor: cancel the PO in Procurify and "
            "raise a new one"
        )
    for item in body.get("line_items", []):
        sku = item["sku"]
        current = found.get(sku)
        line = sku.rsplit(" ", 1)[-1]
        if current is None and match.how != "sku":
            problems.append(
                f"line {line} ({text(item['item_name'])}) matches no line of PO {number} (Procurify kept no "
                "JDE line SKU, so lines are matched by name, then by line order): if it was added in JDE, "
                "add it to the PO in Procurify by hand, the API cannot; otherwise give the PO line the JDE "
                "line's name; then replay"
            )
            continue
        if current is None:
            problems.append(
                f"line {line} was added in JDE after the order was purchased in Procurify; the API cannot "
                f"add a line to PO {number}: add it there by hand with SKU {sku!r}, then replay"
            )
            continue
        code = _account_code_of(current)
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
        if text(current.get("name")) != text(item["item_name"]):
            change["name"] = item["item_name"]
        if change:
            changes.append({"id": int(current["id"]), **change})
    for label, _current in match.unmatched:
        if match.how == "sku":
            problems.append(
                f"{label} is cancelled or gone in JDE; the API cannot remove a line from PO {number}: "
                "cancel it in Procurify by hand, then abandon this item"
            )
        else:
            problems.append(
                f"{label} on PO {number} matches no line of the JDE order now: if it was cancelled in JDE, "
                "cancel it in Procurify by hand (the API cannot remove a line) and abandon this item; "
                "otherwise give it the JDE line's name, then replay"
            )
    if not found and body.get("line_items"):
        problems = [
            f"PO {number}'s lines carry no JDE line SKU and none matches a line of JDE order {order_label} "
            "by name or by position, so they cannot be matched; apply the change in Procurify"
        ]
        changes = []
    return Revision(changes, problems)


def requisition_differences(items: Sequence[Mapping[str, Any]], body: Mapping[str, Any]) -> list[str]:
    """How a requisition's lines (order items) differ from ``body`` (quantity, unit price, name, lines
    present), in a finance user's words; empty when Procurify already holds what the order says. Lines
    are matched by their JDE line (``sku``), else by name and line order (``match_po_lines``)."""
    match = match_po_lines({"order_items": list(items)}, body)
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
                differences.append(f"line {line} {label} is {theirs} in Procurify, {ours} in JDE")
        if text(current.get("name")) != text(item["item_name"]):
            differences.append(f"line {line} is named {text(current.get('name'))!r} in Procurify")
    differences.extend(f"{label} is no longer on the JDE order" for label, _item in match.unmatched)
    return differences


def _account_code_of(item: Mapping[str, Any]) -> str | None:
    account = item.get("account")
    if isinstance(account, Mapping):
        code = account.get("account_code")
        if isinstance(code, Mapping) and code.get("code") is not None:
            return text(code.get("code"))
    return text(item.get("accountCode")) or None
