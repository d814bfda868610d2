"""A source document held on what it waits for before its lines (or its full record) are read: held all the
same, read again when released; one whose parent will never come (``gone_parents``) is mapped in full."""

from connector_assets.flows.after_write import dependency_synced
from connector_assets.flows.core import Rejected
from connector_resources.ledger import Ledger
from connector_resources.parent_verdicts import gone_parents
from connector_resources.refusals import waits_for_record


def held_unread(ledger: Ledger, entity: str, source_key: str, depends_on: str | None) -> Rejected | None:
    """``source_key`` held on ``depends_on`` in the mapped step's words; None: synced, or never coming."""
    if not depends_on or dependency_synced(ledger, depends_on):
        return None
    if gone_parents(ledger, {depends_on}, checks={}):
        return None
    reason = f"{entity} {source_key} waits for {depends_on} to sync"
    return Rejected.held_for(source_key, depends_on, reason, waits_for_record(reason, depends_on))
