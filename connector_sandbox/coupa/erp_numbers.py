"""Point the seeded suppliers' ERP numbers (``number``, custom field ``jde-address-number``) at numbers
the ERP really has (``POST /sandbox/suppliers/erp-numbers``).

The Coupa and JDE simulators are seeded apart: Coupa's suppliers carry ERP numbers from 10000 up while the
JDE sandbox numbers its suppliers from about 1001, so every invoice of a seeded supplier names a supplier
JDE lacks. In a real company those numbers were typed in (or synced) from the ERP and name real
suppliers. This re-points them, in supplier id order, to the numbers an operator (``ml-connector dev``)
read from the ERP. It describes how the customer's data already is, not a change someone made: no
``updated-at`` is restamped and no call-out is sent, so nothing reads as today's activity.

Left as they are: suppliers without a number (drafts nobody numbered), suppliers whose number is
already one of the given ones, and, after the first call, every supplier but those it left unmatched
(``connector_sandbox.linking``): a second call, or a restart of ``make dev`` on the kept data, changes
nothing the first one or the flows numbered. The numbers are
kept (``SandboxState.erp_numbers``) for the activity: a supplier it adds takes one no supplier holds yet.
"""

from __future__ import annotations

from typing import Any

from connector_sandbox.linking import Linking

from .schema import RESOURCES
from .store import Store

SUPPLIERS = RESOURCES["suppliers"]
LINKING = "suppliers.number"


def numbers_from_body(body: dict[str, Any]) -> list[str]:
    """``{"numbers": [1001, 1002, ...]}`` -> the numbers as Coupa holds them (text); raises ValueError
    with the reason an operator can act on."""
    unknown = set(body) - {"numbers"}
    if unknown:
        raise ValueError(f"erp-numbers takes numbers only, not {sorted(unknown)}")
    numbers = body.get("numbers")
    if not isinstance(numbers, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 < n < 10**8 for n in numbers
    ):
        raise ValueError("numbers: a list of positive whole numbers of up to 8 digits (the ERP's, e.g. AN8s)")
    if len(set(numbers)) != len(numbers):
        raise ValueError("numbers: the same number is given twice; a supplier number is unique")
    return [str(n) for n in numbers]


def set_number(doc: dict[str, Any], number: str) -> None:
    """The supplier's ERP number and its JDE custom field, which always carry the same number."""
    doc["number"] = number
    doc["custom-fields"] = {**(doc.get("custom-fields") or {}), "jde-address-number": number}
    doc["custom-fields"].setdefault("jde-search-type", "V")


def repoint_supplier_numbers(store: Store, numbers: list[str]) -> dict[str, Any]:
    """Re-point the numbered suppliers whose number is none of ``numbers``, in id order, to the numbers no
    supplier holds yet, in the given order; after the first call only the suppliers it left unmatched
    (``linking``): a supplier numbered since, by a flow or this route, keeps its number. Only the number
    fields change. Answers the counts."""
    wanted = set(numbers)
    with store.transaction():
        suppliers = [doc for doc in store.select(SUPPLIERS) if str(doc.get("number") or "").strip()]
        held = {str(doc["number"]) for doc in suppliers}
        free = iter([n for n in numbers if n not in held])
        linking = Linking(store, LINKING, free)
        repointed = []
        for doc in suppliers:
            number = linking.target_for(doc["id"], keeps=str(doc["number"]) in wanted)
            if number is not None:
                set_number(doc, number)
                store.save(SUPPLIERS, doc)
                repointed.append(doc["id"])
        linking.done()
    return {
        "repointed": len(repointed),
        "already_numbered": linking.already,
        "left_unmatched": len(linking.unmatched),
        "supplier_ids": repointed,
    }


def unused_number(store: Store, numbers: list[str]) -> str | None:
    """The first of ``numbers`` no supplier holds, for a supplier the activity adds; None when all are."""
    held = {str(doc.get("number") or "") for doc in store.select(SUPPLIERS)}
    return next((n for n in numbers if n not in held), None)
