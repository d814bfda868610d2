"""How a JDE purchase order is named in Coupa: its ``po-number``, ``KCOO-DOCO-DCTO`` (suffix 000 omitted).

Why on Coupa's side: JDE -> Coupa writes the number (``po_number``) and Coupa -> JDE reads the JDE order back
from the number its invoice lines bill (``jde_order``), so a voucher names the order its invoice was raised
against; one definition keeps the two integrations from drifting apart.
"""

from typing import Any


def po_number(header: dict[str, Any]) -> str:
    """Coupa's ``po-number`` for a JDE order (F4301 header): ``KCOO-DOCO-DCTO`` (suffix 000 omitted), at most
    20 characters."""
    number = f"{str(header['KCOO']).strip()}-{int(header['DOCO'])}-{str(header['DCTO']).strip()}"
    suffix = str(header.get("SFXO") or "000").strip()
    return number if suffix in ("", "000") else f"{number}-{suffix}"


def jde_order(po_number: str) -> tuple[str, int, str] | None:
    """(KCOO, DOCO, DCTO) of the JDE order a ``po_number`` names (a suffix after them ignored), else None."""
    parts = po_number.strip().split("-")
    if len(parts) < 3 or not parts[1].isdigit() or len(parts[1]) > 8 or not parts[0] or not parts[2]:
        return None
    return parts[0], int(parts[1]), parts[2]
