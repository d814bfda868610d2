"""A Fusion purchase order read by the ``POHeaderId`` a flow recorded, for a flow that matches an invoice to
it (Procurify -> Oracle Fusion invoices): its ``OrderNumber`` and ``Description``.

An order not yet submitted is a draft (``purchase_orders`` answers 404 for it), read from the drafts by the
same id. The number read is the one Fusion has (it numbers the order unless ``ML_FUSION_SEND_UNCONFIRMED``
lets the flow): an invoice matched to a number Fusion lacks would be refused.
"""

from __future__ import annotations

from typing import Any

from connector_resources.fusion.errors import FusionNotFoundError


def order_number_of(session: Any, header_id: str) -> tuple[str, str]:
    """(``OrderNumber``, ``Description``) of order ``header_id``, trimmed; the number "" when Fusion has none
    (yet), or no order or draft of that id."""
    try:
        record = session.get("purchase_orders", header_id)
    except FusionNotFoundError:  # a draft not yet submitted: read as a draft, by its id
        drafts = session.search("draft_purchase_orders", {"POHeaderId": int(header_id)})
        record = drafts[0] if drafts else {}
    return str(record.get("OrderNumber") or "").strip(), str(record.get("Description") or "").strip()
