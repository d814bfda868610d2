"""Fusion's supplier administrators on demand (an operator route, not part of Fusion): enter suppliers by
name.

Our Fusion reference has no supplier create, so in a real pod suppliers are entered by people (the
supplier work area, supplier registration, an import). A customer running both Fusion and Procurify keeps
one supplier master: every vendor its buyers use in Procurify has its supplier in Fusion, under the same
name. The simulators are seeded apart, so ``make dev`` asks this route to enter the Fusion supplier of
each Procurify vendor that has none, as those people would; the Fusion <-> Procurify vendors flow then
pairs them by name, and a fresh sandbox has no queue of mismatches nobody made.
"""

from __future__ import annotations

import random
from typing import Any

from starlette.requests import Request

from connector_sandbox.admin import Refused, object_body

from .activity import ACTIVITY_USER
from .ap_team import checked_body, now_stamp
from .factory import Batch, Factory
from .state import SandboxState

LONGEST_NAME = 360  # the Supplier attribute's length in our reference's supplier resource
MOST_AT_ONCE = 5_000


def _names(body: dict[str, Any]) -> list[str]:
    names = body.get("names")
    if not isinstance(names, list) or not names or len(names) > MOST_AT_ONCE:
        raise Refused(f"names must be a list of 1 to {MOST_AT_ONCE} supplier names")
    bad = [n for n in names if not isinstance(n, str) or not n.strip() or len(n) > LONGEST_NAME]
    if bad:
        raise Refused(f"each name must be non-blank text of at most {LONGEST_NAME} characters: {bad[:3]!r}")
    return names


async def enter_suppliers(request: Request, state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/suppliers`` ``{"names": [...], "country"?: "US"}``: one ACTIVE supplier per name,
    with its sites, built as the seed and the activity build theirs, all stamped now; answers
    ``{"created": [{"SupplierId", "Supplier"}]}``. 400 for a missing, blank or over-long name."""
    body = checked_body(await object_body(request), {"names", "country"})
    names = _names(body)
    country = str(body.get("country") or "US")
    stamp = now_stamp(state)
    rng = random.Random(f"{state.settings.seed}:{stamp.created.isoformat()}")
    factory = Factory(state.store, rng, ACTIVITY_USER)
    factory.load_reference_data()
    batch = Batch()
    with state.store.transaction():
        created = [
            {"SupplierId": factory.supplier(batch, name.strip(), country, stamp).id, "Supplier": name.strip()}
            for name in names
        ]
        batch.flush(state.store)
        factory.save_counters()
    return {"created": created}
