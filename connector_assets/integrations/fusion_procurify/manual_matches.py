"""Manual vendor matches of Oracle Fusion <-> Procurify: a vendor paired by hand with a Fusion supplier whose
name differs (``ml-connector xref set``, the desk, or the file ``ML_FUSION_PROCURIFY_VENDOR_XREF``, asset
``fusion_procurify/manual_matches``). docs/integrations/fusion_procurify.md, "Manual vendor matches".
"""

from collections.abc import Callable, Sequence

from connector_assets.flows.replays import Resources
from connector_assets.procurify.vendor_match_file import (
    FileLoad,
    MatchFile,
    load_match_file,
    match_file_asset,
)
from connector_assets.procurify.vendor_matches import VendorMatches
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.redaction import get_logger
from connector_resources.replay import ReplayHandler, ReplayOutcome, shared_value

from .integration import INTEGRATION, setting
from .manual_pairs import PAIRING as MANUAL_PAIRING
from .manual_pairs import find_fusion_supplier
from .vendor_pairs import MATCHES_ASSET

log = get_logger(__name__)

ASSET = MATCHES_ASSET  # fusion_procurify_manual_matches, upstream of every flow reading pairs
FILE_SETTING = setting("VENDOR_XREF")


MATCH_FILE = MatchFile(
    FILE_SETTING,
    ("procurify_vendor_id", "fusion_supplier_number"),
    "Fusion supplier number",
    find_fusion_supplier,
)
FILE_ENTERED_BY = MATCH_FILE.entered_by  # "file ML_FUSION_PROCURIFY_VENDOR_XREF"
read_match_file = MATCH_FILE.read
MATCHES = VendorMatches(MANUAL_PAIRING, FILE_ENTERED_BY)
set_vendor_match = MATCHES.set_match  # the file's rows, on the path of ``ml-connector xref set`` and the desk

fusion_procurify_manual_matches = match_file_asset(
    key=ASSET,
    group=INTEGRATION,
    description=f"Manual vendor matches from {FILE_SETTING} (procurify_vendor_id,fusion_supplier_number), "
    "stored in the ledger as manual matches no flow overwrites; a matched vendor's held records released "
    "and its vendors-flow queue items resolved. Run first by the job of every flow reading vendor pairs",
    file=MATCH_FILE,
    matches=MATCHES,
    system="fusion",
)
manual_match_assets = [fusion_procurify_manual_matches]


def load_for_replay(ledger: Ledger, resources: Resources) -> FileLoad | None:
    """The matches file loaded into the replay's ``ledger`` with today's Fusion and Procurify
    (``resources``). A file that cannot be read is logged and the replay goes on with the matches already
    stored, as a flow's job does (``match_file_asset``)."""
    built = resources()
    with built["fusion"].session() as fusion, built["procurify"].session() as procurify:
        try:
            return load_match_file(MATCH_FILE, MATCHES, ledger, fusion, procurify)
        except (OSError, ValueError) as exc:
            log.error("%s: %s; nothing stored from the file, the replay goes on", FILE_SETTING, exc)
            return None


def matches_first(handler: ReplayHandler, resources: Resources) -> ReplayHandler:
    """``handler`` with the matches file loaded once per replay before its first record, on the flow's
    replay ``resources``: the ``Replay.first`` of every flow asking who a vendor is paired with, so a row
    entered since the last run pairs its vendor before the record is mapped, as in their jobs. A queue
    item the load resolved (a vendor the file matches) is not replayed: the match answered it."""
    return _MatchesFirst(handler, resources)


class _MatchesFirst:
    """``matches_first``'s handler; its ``ahead`` (the chunk read and searched at once) loads the file
    first too, so a chunk is mapped with the matches entered since the last run."""

    def __init__(self, handler: ReplayHandler, resources: Resources) -> None:
        self.handler, self.resources = handler, resources

    def _load(self, ledger: Ledger) -> None:
        shared_value((ASSET, "loaded"), lambda: load_for_replay(ledger, self.resources))

    def __call__(self, item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        self._load(ledger)
        if ledger.queue_status(item.id) == "resolved":
            return ReplayOutcome(None, action="skip", detail="resolved by a manual match in " + FILE_SETTING)
        return self.handler(item, ledger)

    def ahead(self, items: Sequence[QueueItem], ledger: Ledger) -> Callable[[], None]:
        self._load(ledger)
        ahead = getattr(self.handler, "ahead", None)
        return ahead(items, ledger) if callable(ahead) else lambda: None
