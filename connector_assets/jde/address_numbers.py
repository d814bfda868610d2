"""A JDE supplier's address number as a ledger keys it, and the long address number (F0101 ALKY, A(20))
``<prefix><id>`` of a supplier made for another system's record: the deterministic key a flow adopts by
after a crash, and how a reader knows the supplier is not JDE's own. Used by JD Edwards <-> Procurify.
"""

from __future__ import annotations

from dataclasses import dataclass


def an8_key(an8: str | int) -> str:
    """The AN8 as the ledger keys it: digits, no padding (``"004343"`` and ``4343`` are both ``"4343"``)."""
    text = str(an8).strip()
    if not text.isdigit():
        raise ValueError(f"JDE address number {an8!r} is not a number (AN8 holds digits only)")
    return str(int(text))


@dataclass(frozen=True)
class LongAddressNumbers:
    """The long address numbers ``<prefix><id>`` of suppliers made for ``source`` records (numeric ids)."""

    prefix: str
    source: str

    def of_id(self, source_id: str | int) -> str:
        """F0101 ALKY of the supplier made for record ``source_id`` (``PFY2041``)."""
        key = str(source_id).strip()
        if not key.isdigit():
            raise ValueError(f"{self.source} {source_id!r} is not a number")
        return f"{self.prefix}{int(key)}"

    def id_of(self, alky: str | None) -> str | None:
        """The record id an F0101 ALKY names (``PFY2041`` -> ``"2041"``), None for any other ALKY."""
        text = (alky or "").strip().upper()
        digits = text.removeprefix(self.prefix)
        return str(int(digits)) if text.startswith(self.prefix) and digits.isdigit() else None
