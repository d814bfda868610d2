"""How a Procore document reads, for any integration that maps it: its label in messages (kind, id, number
and title as the finance user sees them), its project's name, its vendor's id, a commitment's order date,
a line's cost code. Pure, no I/O."""

from collections.abc import Mapping
from datetime import date
from typing import Any


def document_label(kind: str, document: Mapping[str, Any]) -> str:
    """How a message names a Procore document: its kind and id, then its number and title as the
    finance user sees them in Procore (``commitment 5 (SC-001 Concrete)``)."""
    number, title = cut(document.get("number"), 40), cut(document.get("title"), 60)
    named = " ".join(part for part in (number, title) if part)
    return f"{kind} {document.get('id')}" + (f" ({named})" if named else "")


def cut(text: Any, limit: int) -> str:
    return " ".join(str(text or "").split())[:limit]


def project_label(record: Mapping[str, Any]) -> str:
    """The name of the project a record (commitment) carries, blank when it carries none."""
    project = record.get("project")
    return str(project.get("name") or "") if isinstance(project, Mapping) else ""


def vendor_id_of(document: Mapping[str, Any]) -> str:
    """The id of a commitment's vendor ("" when it names none)."""
    vendor = document.get("vendor") if isinstance(document.get("vendor"), Mapping) else None
    return str(vendor["id"]) if vendor and vendor.get("id") is not None else ""


# A commitment's order date: its documented dates (reference §2.4), first present wins.
# Procore does not require a contract date; an executed commitment without one still has its execution date.
ORDER_DATE_FIELDS = ("contract_date", "execution_date", "issued_on_date")


def order_date_of(commitment: Mapping[str, Any]) -> str | None:
    """``yyyy-mm-dd`` of the first of ``ORDER_DATE_FIELDS`` that holds a date (a stamp's day too)."""
    for name in ORDER_DATE_FIELDS:
        day = str(commitment.get(name) or "").strip()[:10]
        if _is_iso_day(day):
            return day
    return None


def _is_iso_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def line_cost_code(line: Mapping[str, Any], full_codes: Mapping[str, str]) -> str | None:
    """A line's cost code: the one the Procore client resolved (``_cost_code``), else the documented
    ``cost_code_id`` looked up in the project's cost codes (``full_codes``: id -> full_code), else the
    ``cost_code`` object the API may render with it."""
    if line.get("_cost_code"):
        return str(line["_cost_code"])
    code_id = line.get("cost_code_id")
    if code_id is not None and str(code_id) in full_codes:
        return full_codes[str(code_id)]
    rendered = line.get("cost_code")
    if isinstance(rendered, Mapping) and rendered.get("full_code"):
        return str(rendered["full_code"])
    if isinstance(rendered, Mapping) and rendered.get("id") is not None:
        return full_codes.get(str(rendered["id"]))
    return None
