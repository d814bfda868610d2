"""The data dictionary: one definition per data item (alias), shared by every table that holds it.

E1 defines a data item once (type, length, decimals, description) and each table lists the items it
carries; the sandbox does the same, so a column that several tables share (``MCU``, ``AN8``, ``OBJ``
...) is declared in one place. Types and lengths follow ``docs/reference/jde-ais.md`` section 3.

Notation of the TYPE column (the reference's, plus what it leaves implicit):

- ``A(n)``: character, at most n long; ``>A(n)`` is right-justified in the database (business units).
- ``N(n)``: whole number of n digits (address, document and batch numbers).
- ``D(n,d)``: number with d implied decimals, stored scaled (``1234.56`` -> ``123456``).
- ``J(6)``: Julian ``CYYDDD`` date; ``T(6)``: ``HHMMSS`` time.

The items of F0116 Address by Date (``ADD1``..``ADD4``, ``ADDS``, ``ADDZ``, ``COUN``, ``CTR``, ``CTY1``,
``EFTB``) are not in the reference: their types and lengths are general JDE data-dictionary knowledge. So are
the items of F0115 Contact Phone Numbers (``IDLN``, ``RCK7``, ``PHTP``, ``AR1``, ``PH1``), F01151 Electronic
Address (``ETP``, ``EMAL``, ``EHIER``) and F0030 Bank Transit Master (``UKID``, ``BKTP``, ``TNST``, ``CBNK``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources


class Kind(StrEnum):
    """How a column is stored and rendered."""

    STRING = "A"  # character, fixed maximum length, blanks rendered as a single space
    INTEGER = "N"  # whole number (address numbers, document numbers, batch numbers)
    DECIMAL = "D"  # number with implied decimals (amounts, quantities, rates, LNID)
    DATE = "J"  # Julian CYYDDD, rendered as a date string
    TIME = "T"  # HHMMSS number (UPMT, TDAY)


@dataclass(frozen=True)
class Column:
    alias: str
    kind: Kind
    title: str
    length: int = 0
    decimals: int = 0
    # Business units are right-justified in the database ("         M30").
    right_justified: bool = False

    @property
    def default(self) -> str | int:
        return "" if self.kind is Kind.STRING else 0


# data_items.txt, one item a line: ALIAS  TYPE  TITLE, alphabetical by alias (a table may give an item its
# own title: see tables.py). Kept as a data file, as E1 keeps its data dictionary.
_DATA_ITEMS = resources.files(__package__).joinpath("data_items.txt").read_text(encoding="utf-8")

_ITEM = re.compile(
    r"(?P<alias>\w+)\s+(?P<rj>>?)(?P<kind>[ANDJT])\((?P<length>\d+)(?:,(?P<decimals>\d+))?\)\s+(?P<title>.+)"
)


def _parse(text: str) -> dict[str, Column]:
    """One Column per line of ``text``; a malformed line or an alias defined twice fails at import."""
    items: dict[str, Column] = {}
    for line in filter(None, map(str.strip, text.splitlines())):
        match = _ITEM.fullmatch(line)
        if match is None:
            raise ValueError(f"data dictionary: cannot read {line!r}")
        alias = match["alias"]
        if alias in items:
            raise ValueError(f"data dictionary: {alias} is defined twice")
        items[alias] = Column(
            alias,
            Kind(match["kind"]),
            match["title"].strip(),
            length=int(match["length"]),
            decimals=int(match["decimals"] or 0),
            right_justified=bool(match["rj"]),
        )
    return items


DATA_ITEMS: dict[str, Column] = _parse(_DATA_ITEMS)
