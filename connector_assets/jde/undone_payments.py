"""A payment posted to JD Edwards that its source system later undid (voided, failed): the integration never
reverses a JDE posting, so it queues the record for a person, naming what JDE holds (each share
``<payment>:<document>``), unless ``posted_to_reverse`` says a person dealt with it.
"""

from __future__ import annotations

import sqlalchemy as sa

from connector_assets.flows.core import Rejected
from connector_resources.ledger import Ledger, schema
from connector_resources.refusals import Refusal


def posted_shares(
    ledger: Ledger, integration: str, entity: str, source_system: str, payment: str
) -> dict[str, str]:
    """Source key -> JDE target id of what ``entity``'s flow posted of ``payment`` (every document of it:
    source keys ``<payment>:<document>``)."""
    t = schema.xref
    prefix = payment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = sa.select(t.c.source_key, t.c.target_id).where(
        t.c.integration == integration,
        t.c.entity == entity,
        t.c.source_system == source_system,
        t.c.source_key.like(f"{prefix}:%", escape="\\"),
        t.c.target_id.is_not(None),
    )
    with ledger.read_transaction() as conn:
        return {row.source_key: row.target_id for row in conn.execute(query)}


def reversal_asked(key: str, undone: str, posted: str) -> Rejected:
    """The record ``key`` queued for a person: ``undone`` says what the source did (``BILL payment 12 of
    bill 7 is now voided in BILL``), ``posted`` what JDE holds (its target id)."""
    sentence = (
        f"{undone}, but JDE holds it as {posted} (posted when it was paid). The integration never reverses "
        "a JDE posting: void the payment (or reverse the journal entry) in JDE, then abandon this item"
    )
    return Rejected.of(key, Refusal("conflict", sentence, {"system": "JDE"}))
