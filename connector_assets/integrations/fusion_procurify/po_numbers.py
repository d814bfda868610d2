"""The keys of a purchase order on both sides: the ledger's source key of a Procurify PO or requisition, and
the Fusion ``OrderNumber`` made of it (``PO1187`` -> ``PFY1187``, ``REQ60-2041`` -> ``PFYR60-2041``), so
either side finds the other without the ledger; ``ORDER_NUMBER_MAX`` (20) is ``PO_HEADERS_ALL.SEGMENT1``'s
width. docs/integrations/fusion_procurify.md, "Purchase orders".
"""

from __future__ import annotations

import re

ORDER_NUMBER_MAX = 20
_SOURCE_KEY = re.compile(r"^(?:PO(?P<po>\d+)|REQ(?P<req>\d+)(?:-(?P<vendor>\d+))?)$")


def _number(value: int | str, what: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or not int(text):
        raise ValueError(f"{what} {value!r} is not a positive whole number")
    return str(int(text))


def po_source_key(procurify_po: int | str) -> str:
    """``PO<n>``: the ledger key of Procurify PO ``procurify_PO`` (the number its v3 paths use)."""
    return f"PO{_number(procurify_po, 'Procurify PO number')}"


def requisition_source_key(num: int | str, vendor_id: int | str | None = None) -> str:
    """``REQ<n>``: the ledger key of Procurify requisition ``num``; ``REQ<n>-<vendor id>`` for the part of a
    requisition bought from one of its several vendors."""
    key = f"REQ{_number(num, 'Procurify requisition number')}"
    return f"{key}-{_number(vendor_id, 'Procurify vendor id')}" if vendor_id is not None else key


def fusion_order_number(source_key: str, prefix: str, prefix_setting: str) -> str:
    """The Fusion ``OrderNumber`` of a source key (``PO1187`` -> ``PFY1187``) with an instance's ``prefix``
    (its setting ``prefix_setting``: a letter then up to 7 letters, digits or dashes, held apart from every
    other instance's at load, ``integration.APART_SETTINGS``). Raises ``ValueError`` on a key of another
    shape or a number longer than ``ORDER_NUMBER_MAX``."""
    match = _SOURCE_KEY.match(source_key or "")
    if match is None:
        raise ValueError(f"{source_key!r} is not a purchase order source key (PO<n> or REQ<n>)")
    if match["po"]:
        number = f"{prefix}{int(match['po'])}"
    else:
        tail = f"-{int(match['vendor'])}" if match["vendor"] else ""
        number = f"{prefix}R{int(match['req'])}{tail}"
    if len(number) > ORDER_NUMBER_MAX:
        raise ValueError(
            f"Fusion order number {number} (of {source_key}) is longer than {ORDER_NUMBER_MAX} characters; "
            f"shorten {prefix_setting}"
        )
    return number


def source_key_of(order_number: str, prefix: str) -> str | None:
    """The source key a Fusion ``OrderNumber`` was made of (``PFY1187`` -> ``PO1187``), None when the order
    was not made by this flow (another prefix or shape): how Fusion's side finds Procurify's."""
    text = str(order_number or "").strip()
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix) :]
    if rest.isdigit() and int(rest):
        return po_source_key(rest)
    match = re.match(r"^R(\d+)(?:-(\d+))?$", rest)
    if match is None or not int(match[1]):
        return None
    return requisition_source_key(match[1], match[2]) if match[2] else requisition_source_key(match[1])
