"""JD Edwards suppliers read back for a reconciliation (F0401 + F0101), each as a comparison sees it: found or
not, its name, and why it is not one to buy from (the integration's rule, passed in).

Read by key, 100 keys to a call (``lookup.browse_in``), as the documents are (``jde.reconcile_reads``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.jde.documents import by_an8
from connector_assets.jde.order_status import text
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS


@dataclass(frozen=True)
class JdeSupplier:
    """A JDE supplier as read for a comparison (``found`` False: JDE has no F0401 row for it)."""

    an8: str
    found: bool
    name: str = ""
    inactive: str = ""  # why it is not one to buy from ("" when active)

    @property
    def label(self) -> str:
        return f"JDE supplier {self.an8}" + (f" ({self.name})" if self.name else "")


InactiveReason = Callable[[int, Mapping[str, Any], "Mapping[str, Any] | None"], str]


def suppliers_by_number(jde: Any, an8s: Iterable[str], inactive: InactiveReason) -> dict[str, JdeSupplier]:
    """AN8 -> the supplier as JDE holds it (F0401 AN8 / HDPY / HOLD + F0101 ALPH / AT1), ``found`` False
    when JDE has no F0401 row; ``inactive(an8, F0401 row, F0101 row or None)`` says why it is not one to
    buy from ("" when it is)."""
    wanted = sorted({int(a) for a in an8s})
    if not wanted:
        return {}
    with jde.session() as session:
        suppliers = by_an8(session, SUPPLIERS.table, ["AN8", "HDPY", "HOLD"], wanted)
        book = by_an8(session, ADDRESS_BOOK.table, ["AN8", "ALPH", "AT1"], sorted(suppliers))
    found = {}
    for number in wanted:
        key = str(number)
        if number not in suppliers:
            found[key] = JdeSupplier(key, False)
            continue
        name = text((book.get(number) or {}).get("ALPH"))
        found[key] = JdeSupplier(key, True, name, inactive(number, suppliers[number], book.get(number)))
    return found
