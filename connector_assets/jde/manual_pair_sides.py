"""JD Edwards records as one side of a pairing matched by hand (``flows.manual_pairs``): a supplier (F0401
with its F0101 name) or an address book entry (F0101), read by the address number a person types. Shared by
every integration pairing JDE records with another system's (suppliers with Coupa, BILL and Procurify;
Procore vendors with the address book; Coupa suppliers with JDE's)."""

from __future__ import annotations

from connector_assets.flows.manual_pairs import Found, MatchRefused, Side, Systems
from connector_assets.jde.address_numbers import an8_key
from connector_assets.jde.documents import ADDRESS_COLUMNS
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS
from connector_resources.ledger import Ledger

TYPED = "its address number (AN8)"


def _named(words: str, an8: str, book: dict | None) -> Found:
    name = str((book or {}).get("ALPH") or "").strip()
    tax = str((book or {}).get("TAX") or "").strip()
    label = f"{words} {name} ({an8})" if name else f"{words} {an8}"
    return Found(an8, label, {"tax_id": tax} if tax else {})


def _book(systems: Systems, an8: str) -> dict | None:
    rows = list(browse_in(systems.session("jde"), ADDRESS_BOOK.table, "AN8", [int(an8)], ADDRESS_COLUMNS))
    return rows[0] if rows else None


def find_supplier(systems: Systems, ledger: Ledger, an8: str) -> Found:
    """JDE supplier ``an8``: a supplier master row (F0401), named by its address book row (F0101);
    ``MatchRefused`` when JDE holds no supplier of that number."""
    session = systems.session("jde")
    if not list(browse_in(session, SUPPLIERS.table, "AN8", [int(an8)], ["AN8"])):
        raise MatchRefused(f"JDE has no supplier with address number {an8} (no F0401 supplier master row)")
    return _named("JDE supplier", an8, _book(systems, an8))


def find_address_book_entry(systems: Systems, ledger: Ledger, an8: str) -> Found:
    """JDE address book entry ``an8`` (F0101); ``MatchRefused`` when JDE holds none of that number."""
    book = _book(systems, an8)
    if book is None:
        raise MatchRefused(f"JDE has no address book entry with address number {an8} (no F0101 row)")
    return _named("JDE address book entry", an8, book)


def supplier_side(system: str = "JDE") -> Side:
    """A JDE supplier as a side of a pairing (``system``: how the integration's ledger names JDE)."""
    return Side(system, "JDE supplier", "jde", TYPED, find_supplier, an8_key)


def address_book_side(system: str = "JDE") -> Side:
    """A JDE address book entry as a side of a pairing."""
    return Side(system, "JDE address book entry", "jde", TYPED, find_address_book_entry, an8_key)
