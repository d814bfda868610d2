"""Values as Fusion's REST resources give them, read one way by every reader and target of the Fusion side:
``Y``/``N``-style flags, dates that may come as timestamps, attributes a pod may send as whole floats (text,
amounts and counts are the kit's, ``flows.values``). One place because several attribute names and shapes
are unconfirmed (docs/reference/oracle-fusion.md): a pod spelling a flag ``N`` or a date with a time must
be read the same way wherever Fusion data is compared or checked.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connector_assets.flows.values import text

FALSE_WORDS = frozenset({"false", "n", "no", "0"})


def flag(value: Any) -> bool | None:
    """A Fusion flag as True / False, None when absent (``true``, ``Y``, 1 / ``false``, ``N``, 0)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return text(value).lower() not in FALSE_WORDS


def day(value: Any) -> date | None:
    """The date part of a Fusion date or timestamp (``2024-03-01``, ``2024-03-01T00:00:00+00:00``)."""
    raw = text(value)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def attribute_text(value: Any) -> str:
    """A Fusion attribute as trimmed text ('' for null and for a boolean); a whole float without its
    ``.0`` (an id or number a pod sends as ``1234.0`` compares equal to ``1234``)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def canceled(record: Any) -> bool:
    """Whether an invoice (or an invoice line) is canceled: its ``CanceledFlag``, or a ``ValidationStatus``
    of canceled."""
    flag = record.get("CanceledFlag")
    return (
        flag is True
        or text(flag).lower() in ("true", "y", "1")
        or text(record.get("ValidationStatus")).lower() in ("canceled", "cancelled")
    )


def order_status(order: Any) -> str:
    """An order's status code (``StatusCode``, else its ``Status`` upper-cased; both unconfirmed names)."""
    return (text(order.get("StatusCode")) or text(order.get("Status"))).upper()
