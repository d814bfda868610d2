"""What a Procurify purchase order, requisition and order item say (docs/reference/procurify.md 2.4, 2.5),
read one way by both Procurify integrations: PO states and requisition statuses by code, the live items, an
item's requisition, vendor, account code and department, the day a PO was made, a name as a person reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from connector_assets.flows.values import text, whole_number
from connector_assets.procurify.account_departments import department_key

# Order item statuses (docs/reference/procurify.md 2.4) that put nothing on an order: rejected for purchase,
# approval denied, request draft.
DEAD_ITEM_STATUSES = frozenset({4, 7, 8})
PO_CANCELLED = 1  # PO ``state`` 1 (docs/reference/procurify.md 2.5)
PO_STATE_NAMES = {0: "purchased", 1: "cancelled", 2: "legacy", 3: "closed", 4: "paid", 5: "reopened"}
PO_STATES_REFUSING = {code: PO_STATE_NAMES[code] for code in (1, 3, 4)}  # the v3 PUT revises none of them
REQUISITION_APPROVED = 1
REQUISITION_STATUS_NAMES = {
    0: "Pending",
    1: "Approved",
    2: "Denied",
    3: "Purchased",
    4: "Cancelled",
    5: "Received",
    6: "Draft",
}


def words(value: object) -> str:
    """A name or sku as a person reads it: blanks collapsed, None and blank as ""."""
    return " ".join(str(value or "").split())


def name_of(value: object) -> str:
    """A nested ``{id, name}`` object's name, or the value itself as text."""
    return text(value.get("name")) if isinstance(value, Mapping) else text(value)


def id_of(value: object) -> str:
    """A nested ``{id, ...}`` object's id, or the value itself as text."""
    return text(value.get("id")) if isinstance(value, Mapping) else text(value)


def order_num(item: Mapping[str, object]) -> str:
    """An order item's requisition number (``orderNum``: a number, or a summary object carrying ``num``)."""
    value = item.get("orderNum")
    return text(value.get("num")) if isinstance(value, Mapping) else text(value)


def item_vendor(item: Mapping[str, object]) -> str:
    """The vendor id of an order item (``vendor`` object; ``po_vendor`` / ``pref_vendor`` as fallbacks)."""
    for name in ("vendor", "po_vendor", "pref_vendor"):
        found = id_of(item.get(name))
        if found:
            return found
    return ""


def account_code_of(account: object) -> str:
    """The code of an order or bill item's ``account`` (``account_code.code``, or a bare code); "" if none."""
    if not isinstance(account, Mapping):
        return ""
    code = account.get("account_code")
    return text(code.get("code")) if isinstance(code, Mapping) else text(code)


def item_account_code(item: Mapping[str, object]) -> str:
    """The order item's account code (``account.account_code.code``, else ``accountCode``)."""
    return account_code_of(item.get("account")) or text(item.get("accountCode"))


def account_department(account: object) -> str | None:
    """The department of an order or bill item's ``account`` as department tables key it
    (``Location|Department``), None when it names none."""
    return department_key(account.get("department")) if isinstance(account, Mapping) else None


def item_department(item: Mapping[str, Any]) -> str | None:
    """The order item's department (``account.department``, else the item's own ``department``)."""
    return account_department(item.get("account")) or department_key(item.get("department"))


def positive_number(value: object) -> int | None:
    """A PO or PO line number: a whole number above 0; None when it is not one."""
    number = whole_number(value)
    return number if number and number > 0 else None


def po_line(item: Mapping[str, object]) -> int | None:
    """The item's PO line number (``PO_line_num``), None when it has none."""
    return positive_number(item.get("PO_line_num"))


def live_items(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The items that put something on an order (not rejected, denied or draft), in line order."""
    live = [i for i in items if whole_number(i.get("status")) not in DEAD_ITEM_STATUSES]
    return sorted(live, key=lambda i: (po_line(i) or 10**9, whole_number(i.get("id")) or 0))


def requisition_numbers(po_detail: Mapping[str, Any]) -> list[int]:
    """The requisition numbers (``order_items[].orderNum``) of a PO read by number, sorted, each once.
    ``orderNum`` is the requisition number (reference 2.5); the ``orderNum__status`` filter suggests a
    relation, so a nested object carrying ``num`` is read too."""
    items = [item for item in po_detail.get("order_items") or [] if isinstance(item, Mapping)]
    return sorted({int(num) for item in items if (num := order_num(item)).isdigit()})


def po_day(po: Mapping[str, object]) -> date | None:
    """The day (UTC) a PO was made: its ``date`` (§2.5), None when absent or unreadable."""
    value = str(po.get("date") or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None
