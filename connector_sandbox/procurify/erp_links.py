"""Re-point the seeded vendors' ERP keys (``external_id``) at an ERP sandbox's real supplier numbers.

The sandbox seeds ~80 % of its vendors with an ERP key of its own making (``JDE-V-<n>``), which names
no supplier of any ERP sandbox: seeded apart, the two simulators share no numbers. ``make dev`` calls
``POST /sandbox/vendors/erp-links`` with the JDE sandbox's supplier numbers so the seeded vendors carry
keys a previous sync would have left (e.g. the address number, ``"4343"``), and records of those
vendors wait on, then flow with, real suppliers. A sandbox convenience, not Procurify's.

Rules: only active purchasable vendors (type 3 PREFERRED / 4 REGULAR) that already have an ERP key are
re-pointed, in vendor id order; a vendor whose key already names one of the numbers keeps it, and that
number is not given twice; vendors without a key stay without (a vendor made in Procurify). The
vendor's ``dateModified`` is not restamped (an operator's fix of the seed, not a person's edit).
Calling it again changes nothing the first call (or a flow since) keyed: after the first call only the
vendors it left unmatched may be re-pointed (``connector_sandbox.linking``), so a restart of ``make dev``
on the kept data leaves every vendor's key as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector_sandbox.linking import Linking

from .store import Store

DEFAULT_FORMAT = "{n}"
LINKING = "vendors.external_id"


def repoint_vendor_keys(
    store: Store, numbers: Sequence[int], link_format: str = DEFAULT_FORMAT
) -> dict[str, int]:
    """Give the seeded vendors' ERP keys the formatted ``numbers``; counts of what was done."""
    if "{n}" not in link_format:
        raise ValueError("format: must contain {n}, e.g. {n} or JDE-{n}")
    wanted = [link_format.format(n=int(n)) for n in dict.fromkeys(numbers)]
    if any(len(key) > 100 for key in wanted):
        raise ValueError("format: a key longer than 100 characters (external_id holds 100)")
    vendors = store.all(
        "SELECT id, external_id FROM vendors WHERE type IN (3, 4) AND active = 1 "
        "AND external_id IS NOT NULL AND external_id != '' ORDER BY id"
    )
    taken = {row["external_id"] for row in vendors} & set(wanted)
    free = iter(key for key in wanted if key not in taken)
    repointed = 0
    with store.transaction():
        linking = Linking(store, LINKING, free)
        for row in vendors:
            key = linking.target_for(row["id"], keeps=row["external_id"] in taken)
            if key is not None:
                store.update("vendors", row["id"], {"external_id": key})
                repointed += 1
        linking.done()
    return {
        "repointed": repointed,
        "already_linked": linking.already,
        "left_unmatched": len(linking.unmatched),
    }


def numbers_from_body(body: dict[str, Any]) -> tuple[list[int], str]:
    """``{"numbers": [int, ...], "format"?: "{n}"}`` -> (numbers, format); ``ValueError`` naming the field."""
    numbers = body.get("numbers")
    if not isinstance(numbers, list) or not all(isinstance(n, int) and n > 0 for n in numbers):
        raise ValueError("numbers: a list of positive whole numbers (the ERP's supplier numbers)")
    link_format = body.get("format", DEFAULT_FORMAT)
    if not isinstance(link_format, str):
        raise ValueError("format: a text with {n}")
    return numbers, link_format
