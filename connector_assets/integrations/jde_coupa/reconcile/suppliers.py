"""The day's JDE suppliers against their Coupa suppliers, field by field on what the suppliers flow writes.
The JDE side is read and mapped as the flow does (``changed_suppliers``, ``mapped_supplier``); a supplier
Coupa no longer holds under its number is read by the cross-reference's id (``sides.in_coupa``), so a
number changed in Coupa is named as that, not as a missing supplier.
"""

from __future__ import annotations

from typing import Any

from connector_assets.coupa.reconcile_day import shown
from connector_assets.coupa.reconcile_reads import by_key, code_of, text
from connector_assets.jde.documents import JdeSupplier, changed_suppliers

from ..suppliers import mapped_supplier
from .sides import Day, Kind, Own, Said, in_coupa, planned

ACTIVE = "active"


def label(an8: str, name: str) -> str:
    """``supplier 4472 (Acme Supply)``: how a JDE supplier is named in a difference."""
    return f"supplier {an8}" + (f" ({name})" if name else "")


def compare_suppliers(day: Day, own: Own) -> dict[str, str]:
    """Compare the day's suppliers; answers JDE supplier number -> its name (for the other entities'
    words)."""
    suppliers = changed_suppliers(day.staging, day.jde, day.day)
    terms = own.payment_terms.snapshot(day.staging)
    names = {str(s.number): _name(s) for s in suppliers}
    bodies, refused = planned(suppliers, lambda s: mapped_supplier(s, terms, own.payment_terms))
    keys = [*bodies, *refused]
    found = by_key(day.coupa, "suppliers", "number", keys, lambda r: text(r.get("number")))
    matched = {key: rows[0] for key, rows in found.items() if rows}

    def said(key: str) -> Said:
        return Said(key, label(key, names[key]), label(key, names[key]))

    for key, named, coupa in in_coupa(
        day, Kind(own.suppliers, "suppliers", "supplier"), keys, matched, refused, said
    ):
        if key in bodies:
            _compare(day, named.record, key, bodies[key][1], coupa)
    return names


def _name(supplier: JdeSupplier) -> str:
    return text((supplier.address or {}).get("ALPH"))


def _compare(day: Day, record: str, scope: str, body: dict[str, Any], coupa: dict[str, Any]) -> None:
    """Each field the flow writes, as JDE's mapping says it against what Coupa holds."""
    counterpart = f"supplier {coupa['id']}"
    pairs = [
        ("name", "name", text(body.get("name")), text(coupa.get("name"))),
        ("supplier number", "number", text(body.get("number")), text(coupa.get("number"))),
        ("tax ID", "tax-id", text(body.get("tax-id")), text(coupa.get("tax-id"))),
        ("status", "status", ACTIVE, text(coupa.get("status"))),
    ]
    if "payment-term" in body:
        wanted = code_of(body["payment-term"])
        pairs.append(("payment term", "payment-term", wanted, code_of(coupa.get("payment-term"))))
    for kind, field_name, jde_value, coupa_value in pairs:
        if jde_value != coupa_value:
            day.field(
                kind, record, record, scope, counterpart, field_name, shown(jde_value), shown(coupa_value)
            )
