"""What a Procore -> JDE reconciliation reads besides the systems' documents: the day's approved
requisitions as staged, and the ledger's cross-references (the vendors it linked: the Procore side's
``linked_vendors``).

Never the ledger alone for what a side holds (it could share a bug with the writer): the ledger only says
which JDE record is whose counterpart (the cross-reference). The documents themselves are read by key on
each system's side: JDE's by the keys the flows write (``connector_assets.jde.reconcile_documents``),
Procore's live (``connector_assets.procore.reads``).
"""

from typing import Any

from connector_assets.integrations.procore_jde.purchase_orders import REQUISITIONS_ASSET, statuses
from connector_assets.procore.reconcile_documents import latest_staged


def staged_approved(staging: Any, day: str) -> list[dict[str, Any]]:
    """The day's requisitions whose status counts as approved (``ML_PROCORE_JDE_APPROVED_STATUSES``), the
    latest staged version of each, deleted ones left out."""
    approved = statuses("ML_PROCORE_JDE_APPROVED_STATUSES")
    requisitions = latest_staged(staging, REQUISITIONS_ASSET, day)
    return [record for record in requisitions if str(record.get("status") or "").lower() in approved]
