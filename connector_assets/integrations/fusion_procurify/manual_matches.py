"""Manual vendor matches of Oracle Fusion <-> Procurify: a vendor paired by hand with a Fusion supplier whose
name differs (``ml-connector xref set``, the desk, or the file of the instance's ``vendor_xref``, asset
``<instance>/manual_matches``). docs/integrations/fusion_procurify.md, "Manual vendor matches".
"""

from collections.abc import Callable, Sequence

from dagster import AssetsDefinition

from connector_assets.asset_keys import asset_key
from connector_assets.flows.manual_pairs import ManualPairing
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

from .manual_pairs import find_fusion_supplier

log = get_logger(__name__)


class ManualMatches:
    """One instance's manual matches: its file (``file_setting``, its ``vendor_xref``), stored through its
    manual pairing as matches no flow overwrites (``set_match``: the file's rows, on the path of
    ``ml-connector xref set`` and the desk), by the asset ``<instance>/manual_matches`` (``asset``), upstream
    of every flow reading pairs."""

    def __init__(self, file_setting: str, pairing: ManualPairing) -> None:
        self.file_setting, self.instance = file_setting, pairing.integration
        self.file = MatchFile(
            file_setting,
            ("procurify_vendor_id", "fusion_supplier_number"),
            "Fusion supplier number",
            find_fusion_supplier,
        )
        self.matches = VendorMatches(pairing, self.file.entered_by)  # "file ML_FUSION_PROCURIFY_VENDOR_XREF"
        self.set_match, self.asset = self.matches.set_match, asset_key(self.instance, "manual_matches")
        self.assets: list[AssetsDefinition] = [
            match_file_asset(
                key=self.asset,
                group=self.instance,
                description=f"Manual vendor matches from {file_setting} (procurify_vendor_id,"
                "fusion_supplier_number), stored in the ledger as manual matches no flow overwrites; a "
                "matched vendor's held records released and its vendors-flow queue items resolved. Run first "
                "by the job of every flow reading vendor pairs",
                file=self.file,
                matches=self.matches,
                system="fusion",
            )
        ]

    def load_for_replay(self, ledger: Ledger, resources: Resources) -> FileLoad | None:
        """The matches file loaded into the replay's ``ledger`` with today's Fusion and Procurify
        (``resources``). A file that cannot be read is logged and the replay goes on with the matches
        already stored, as a flow's job does (``match_file_asset``)."""
        built = resources()
        with built["fusion"].session() as fusion, built["procurify"].session() as procurify:
            try:
                return load_match_file(self.file, self.matches, ledger, fusion, procurify)
            except (OSError, ValueError) as exc:
                log.error("%s: %s; nothing stored from the file, the replay goes on", self.file_setting, exc)
                return None

    def first(self, handler: ReplayHandler, resources: Resources) -> ReplayHandler:
        """``handler`` with the matches file loaded once per replay before its first record, on the flow's
        replay ``resources``: the ``Replay.first`` of every flow asking who a vendor is paired with, so a row
        entered since the last run pairs its vendor before the record is mapped, as in their jobs. A queue
        item the load resolved (a vendor the file matches) is not replayed: the match answered it."""
        return _MatchesFirst(self, handler, resources)


class _MatchesFirst:
    """``ManualMatches.first``'s handler; its ``ahead`` (the chunk read and searched at once) loads the file
    first too, so a chunk is mapped with the matches entered since the last run."""

    def __init__(self, matches: ManualMatches, handler: ReplayHandler, resources: Resources) -> None:
        self.matches, self.handler, self.resources = matches, handler, resources

    def _load(self, ledger: Ledger) -> None:
        shared_value(
            (self.matches.asset, "loaded"), lambda: self.matches.load_for_replay(ledger, self.resources)
        )

    def __call__(self, item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        self._load(ledger)
        if ledger.queue_status(item.id) == "resolved":
            detail = "resolved by a manual match in " + self.matches.file_setting
            return ReplayOutcome(None, action="skip", detail=detail)
        return self.handler(item, ledger)

    def ahead(self, items: Sequence[QueueItem], ledger: Ledger) -> Callable[[], None]:
        self._load(ledger)
        ahead = getattr(self.handler, "ahead", None)
        return ahead(items, ledger) if callable(ahead) else lambda: None
