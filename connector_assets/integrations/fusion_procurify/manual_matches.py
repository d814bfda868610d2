"""Manual vendor matches of Oracle Fusion <-> Procurify: a Procurify vendor paired by hand with an existing
Fusion supplier whose name differs (the ``vendors`` flow pairs by name only). An operator enters them one at
a time (``ml-connector xref set <vendor id> <supplier>``) or with the file ``ML_FUSION_PROCURIFY_VENDOR_XREF``
(CSV ``procurify_vendor_id,fusion_supplier_number``, loaded by the asset ``fusion_procurify_manual_matches``).

What a match is, what it conflicts with and what wins (a person's match over the file's row, no second
active vendor of one supplier), and the trace it leaves, are the Procurify side's, one copy
(``procurify.vendor_matches``, ``procurify.vendor_match_file``). This module declares Fusion's part: the
pairing (``vendor_pairs``), how a supplier is named, found (``fusion.suppliers.find_supplier``, by number or
id) and listed in the file. A manual match renames neither side: ``suppliers`` never sends the matched
vendor the supplier's name, and nothing writes Fusion suppliers.
"""

from typing import Any

from connector_assets.fusion.suppliers import FusionSupplier, SupplierNotFound, find_supplier
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.vendor_pairs import PAIRING
from connector_assets.procurify.vendor_match_file import MatchFile, match_file_asset
from connector_assets.procurify.vendor_matches import MatchRefused, VendorMatches

ASSET = "fusion_procurify_manual_matches"
FILE_SETTING = "ML_FUSION_PROCURIFY_VENDOR_XREF"


def find_fusion_supplier(session: Any, given: str) -> FusionSupplier:
    """The supplier a match names (``fusion.suppliers.find_supplier``); ``MatchRefused`` with Fusion's
    words when it names none or two."""
    try:
        return find_supplier(session, given)
    except SupplierNotFound as exc:
        raise MatchRefused(str(exc)) from None


MATCH_FILE = MatchFile(
    FILE_SETTING,
    ("procurify_vendor_id", "fusion_supplier_number"),
    "Fusion supplier number",
    find_fusion_supplier,
)
FILE_ENTERED_BY = MATCH_FILE.entered_by  # "file ML_FUSION_PROCURIFY_VENDOR_XREF"
read_match_file = MATCH_FILE.read
MATCHES = VendorMatches(PAIRING, "Fusion supplier", "vendors flow (name match)", FILE_ENTERED_BY)
set_vendor_match = MATCHES.set_match  # ``ml-connector xref set`` and the file alike

fusion_procurify_manual_matches = match_file_asset(
    name=ASSET,
    group=INTEGRATION,
    description=f"Manual vendor matches from {FILE_SETTING} (procurify_vendor_id,fusion_supplier_number), "
    "stored in the ledger as manual matches no flow overwrites; a matched vendor's held records replayed",
    file=MATCH_FILE,
    matches=MATCHES,
    system="fusion",
)
manual_match_assets = [fusion_procurify_manual_matches]
