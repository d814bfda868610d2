"""The mark a requisition carries when an integration made it in Procurify for another system's order: its
``description`` reads ``<system> order <number> (company <company>)`` (``JDE order 4011 OP (company
00001)``), written by ``source_order_description`` (the natural key its requisitions are found by) and read
by ``source_order_of``.

Why: with two ERPs on one Procurify (``make dev`` runs both Procurify integrations on one simulator), a PO a
buyer purchased from a requisition JD Edwards' integration made is JD Edwards' order, already there: sent to
Fusion too it would be the same spend ordered in two ERPs (and its lines, on account codes made from JDE's
chart, were refused for codes the Fusion account map does not know). The description is the mark, not the
line ``sku``: the connector checks Procurify kept the description (a Procurify may drop the sku). The shape
is narrow (a system name, a number, a company in brackets) so a requisition a person described is not taken
for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile(
    r"^(?P<system>[A-Z][A-Za-z0-9]{1,15}) order (?P<number>\d[\w-]*(?: [\w-]+)?)"
    r" \(company (?P<company>[\w-]+)\)$"
)


@dataclass(frozen=True)
class SourceOrderMark:
    """The system and order a requisition was made for (``JDE``, ``4011 OP``, ``00001``)."""

    system: str
    number: str
    company: str

    def __str__(self) -> str:
        return source_order_description(self.system, self.number, self.company)


def source_order_description(system: str, number: str, company: str) -> str:
    """The description of a requisition made for ``system``'s order ``number`` of ``company``."""
    return f"{system} order {number} (company {company})"


def source_order_of(description: object) -> SourceOrderMark | None:
    """The order a requisition's ``description`` says it was made for, None for any other description."""
    found = _MARK.match(str(description or "").strip())
    return SourceOrderMark(found["system"], found["number"], found["company"]) if found else None
