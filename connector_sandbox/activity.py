"""The body of ``POST /sandbox/activity``: how many records of each kind a simulator should create or
change, each a whole number from 0 to a cap, unknown kinds refused.

Every simulator makes business activity on request (``ml-connector dev`` pokes them all); what kinds
it knows is its own, so it lists them and this builds the model that validates the request.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model


class ActivityCounts(BaseModel):
    """Base of every activity request: a field a simulator does not know is a 400, not ignored."""

    model_config = ConfigDict(extra="forbid")


def activity_request(
    *kinds: str,
    default: int = 0,
    most: int = 10_000,
    base: type[ActivityCounts] = ActivityCounts,
    name: str = "ActivityRequest",
) -> type[ActivityCounts]:
    """A model with one count field per kind (``new_suppliers``, ``updated_bills``...).

    ``default`` is what an absent kind means (JDE makes a little of everything by default, the others
    nothing); ``most`` caps one request, so a typo cannot ask for a million records. ``base`` carries
    fields that are not counts (an organization) or counts with another cap.
    """
    fields: dict[str, Any] = {kind: (int, Field(default=default, ge=0, le=most)) for kind in kinds}
    return create_model(name, __base__=base, **fields)
