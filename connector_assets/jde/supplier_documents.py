"""JD Edwards suppliers read whole by address number, for JDE -> Procurify ``suppliers``: F0401 (the holds),
F0101 (name, search type, long address number), the contact details (``supplier_details``), and whether JDE
still counts the supplier as one to buy from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.jde.documents import by_an8
from connector_assets.jde.supplier_details import supplier_details
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIER_ADDRESSES, SUPPLIERS
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.session import JdeSession

SUPPLIER_READ_COLUMNS = ["AN8", "HDPY", "HOLD"]  # F0401: the holds that make a vendor inactive
BOOK_READ_COLUMNS = ["AN8", "ALPH", "AT1", "ALKY"]  # F0101: name, search type, long address number


@dataclass(frozen=True)
class SupplierDocument:
    """One JDE supplier as read: ``supplier`` its F0401 row (AN8, HDPY, HOLD), ``book`` its F0101 row
    (ALPH, AT1, ALKY; None when the address book has none) and ``details`` a
    ``supplier_details.SupplierDetails`` (None when JDE returned none)."""

    number: int
    supplier: Mapping[str, Any]
    book: Mapping[str, Any] | None
    details: Any = None


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def supplier_label(document: SupplierDocument) -> str:
    """``JDE supplier 4343 (Granite Supply Co)``: how a refusal names the supplier."""
    name = _text((document.book or {}).get("ALPH"))
    return f"JDE supplier {document.number}" + (f" ({name})" if name else "")


def inactive_reason(document: SupplierDocument) -> str:
    """Why the supplier is not one to buy from ("" when it is): F0101 search type AT1 not ``V``, F0401
    HDPY payment hold ``Y``, or an F0401 HOLD order hold code."""
    search_type = _text((document.book or {}).get("AT1")).upper()
    if search_type != "V":
        return f"F0101 search type AT1 is {search_type or 'blank'}, not V (supplier)"
    if _text(document.supplier.get("HDPY")).upper() == "Y":
        return "F0401 HDPY holds its payments"
    hold = _text(document.supplier.get("HOLD"))
    if hold:
        return f"F0401 HOLD holds its orders (code {hold})"
    return ""


def read_suppliers(jde: SessionSource[JdeSession], an8s: Iterable[int]) -> list[SupplierDocument]:
    """The suppliers among ``an8s`` (those with an F0401 row), in number order, each with its F0101 row and
    contact details; a handful of JDE calls per 100 suppliers, in one session of ``jde`` (the resource)."""
    wanted = sorted(set(an8s))
    if not wanted:
        return []
    with jde.session() as session:
        suppliers = by_an8(session, SUPPLIERS.table, SUPPLIER_READ_COLUMNS, wanted)
        found = sorted(suppliers)
        book = by_an8(session, ADDRESS_BOOK.table, BOOK_READ_COLUMNS, found)
        details = supplier_details(session, [n for n in found if n in book], bank=False)
    return [SupplierDocument(n, suppliers[n], book.get(n), details.get(n)) for n in found]


def changed_suppliers(
    staging: StagingResource, partition: str | None, synced: Callable[[set[int]], set[int]]
) -> set[int]:
    """Address numbers of a staged day's changed suppliers: F0401 rows, F0101 rows of search type V, F0116
    addresses, and F0101 rows of another search type that ``synced`` (of those numbers) says the flow
    wrote before (a supplier no longer V: its vendor is deactivated; customers and employees are not)."""
    numbers = {int(r["AN8"]) for r in staging.read_rows(SUPPLIERS.asset, partition)}
    others: set[int] = set()
    for row in staging.read_rows(ADDRESS_BOOK.asset, partition):
        an8 = int(row["AN8"])
        if (row.get("AT1") or "").strip() == "V":
            numbers.add(an8)
        else:
            others.add(an8)
    numbers |= synced(others)
    numbers |= {int(r["AN8"]) for r in staging.read_rows(SUPPLIER_ADDRESSES.asset, partition)}
    return numbers
