"""A Procore document held on the record it waits for before its detail (lines) is read: the order of a
commitment whose vendor has no JDE number yet, a voucher or change order whose order is not written yet.
Read in full it would be held all the same, and it is read again when released; so a held record costs
no line reads. One whose parent will never be written (``gone_parents``) is read and mapped in full, as
before, so the mapped step settles it with why.
"""

from connector_assets.flows.after_write import dependency_synced
from connector_assets.flows.core import Rejected
from connector_resources.ledger import Ledger
from connector_resources.parent_verdicts import gone_parents
from connector_resources.refusals import waits_for_record


def held_unread(ledger: Ledger, entity: str, source_key: str, depends_on: str | None) -> Rejected | None:
    """``source_key`` (an ``entity``) held on ``depends_on`` in the words the mapped step holds it with,
    or None: nothing to wait for, already synced, or never coming."""
    if not depends_on or dependency_synced(ledger, depends_on):
        return None
    if gone_parents(ledger, {depends_on}, checks={}):
        return None
    reason = f"{entity} {source_key} waits for {depends_on} to sync"
    return Rejected.held_for(source_key, depends_on, reason, waits_for_record(reason, depends_on))
