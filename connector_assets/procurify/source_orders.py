"""The mark of a requisition an integration made for another system's order: a ``description`` reading
``<system> order <number> (company <company>)`` (``source_order_description``, ``source_order_of``), so with
two ERPs on one Procurify a PO bought from one's requisition is never sent to the other as the same spend
twice; narrow, so a person's text is not taken for one.
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
