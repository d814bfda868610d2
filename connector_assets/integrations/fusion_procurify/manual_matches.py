"""Manual vendor matches: a Procurify vendor paired by hand with an existing Fusion supplier.

The two systems were set up by different people, so the name a vendor has in Procurify is often not the
supplier's name in Fusion, and the ``vendors`` flow (name matching only) cannot pair them. An operator
pairs them either one at a time (``ml-connector xref set <vendor id> <supplier>``) or with the mapping file
``ML_FUSION_PROCURIFY_VENDOR_XREF`` (CSV ``procurify_vendor_id,fusion_supplier_number``, loaded by the asset
``fusion_procurify_manual_matches``). Both go through ``set_vendor_match``, so both check the same things
and leave the same trace:

* both records must exist: the vendor in Procurify, the supplier in Fusion (``find_fusion_supplier``,
  ``check_procurify_vendor``); a match naming nothing is refused, never stored;
* the match is the ``vendor`` cross-reference (``vendor_pairs``), marked manual, which no flow overwrites;
* a different pair of either record (the vendor paired with another supplier, the supplier with another
  vendor, by a flow or by hand) is a conflict: the command refuses it, naming the pair, unless told to
  replace it (``--replace``); replacing forgets the other pair (``Ledger.unmatch_xref``), audited;
* the file replaces pairs made by a flow and its own earlier rows, but never a match a person entered
  (``xref set``): a person's match is the more deliberate word, so such a row is refused, reported in the
  asset's materialization and log, and the other rows are stored (``ml-connector xref delete`` the
  person's match to let the file's row in). Removing a row from the file does not remove its match: use
  ``ml-connector xref delete``;
* a vendor the ``suppliers`` flow made (or adopted) for the supplier is never left as a second active
  vendor beside the match: the match is refused, by the command and the file alike (``--replace`` or
  not), naming both vendors, until that vendor is inactive in Procurify; the operator deactivates it
  there (its orders and bills stay) and enters the match again, which replaces the pair and says so
  (the command's output, the asset's log and ``replaced`` metadata, the audit trail);
* a manual match renames neither side: ``suppliers`` never sends the matched vendor the supplier's name
  (it still sends ``external_id`` = ``SupplierNumber`` and the active flag, the linkage Procurify
  documents), and nothing writes Fusion suppliers;
* every change is an ``update`` audit event of flow ``manual_matches`` naming who entered it, and the
  purchase orders and invoices held on ``vendor_pairs.vendor_dependency(vendor)`` are released for replay.

Where each part is: ``matched_records`` reads the two records and checks they exist, ``vendor_matches``
stores and deletes matches (``set_vendor_match``, ``delete_manual_match``), ``match_file`` reads and checks
the file's rows; this module is the file's asset.
"""

from pathlib import Path

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.match_file import (
    FILE_ENTERED_BY,
    FILE_SETTING,
    checked_file_rows,
)
from connector_assets.integrations.fusion_procurify.matched_records import MatchRefused
from connector_assets.integrations.fusion_procurify.vendor_matches import set_vendor_match
from connector_resources import settings

ASSET = "fusion_procurify_manual_matches"


@asset(
    name=ASSET,
    group_name=INTEGRATION,
    kinds={"ledger"},  # not a mapping table (those alone are "csv"): its rows become ledger matches
    required_resource_keys={"fusion", "procurify", "ledger"},
    description=f"Manual vendor matches from {FILE_SETTING} (procurify_vendor_id,fusion_supplier_number), "
    "stored in the ledger as manual matches no flow overwrites; a matched vendor's held records replayed",
)
def fusion_procurify_manual_matches(context: AssetExecutionContext) -> MaterializeResult:
    """Load the manual matches file into the ledger (see the module docstring for what wins)."""
    configured = settings.given(FILE_SETTING)
    if not configured:
        return MaterializeResult(metadata={"file": f"none (${FILE_SETTING} unset)", "rows": 0})
    path = Path(configured)
    ledger = context.resources.ledger.get()
    stored, unchanged, released, refused, replaced = 0, 0, 0, [], []
    with context.resources.fusion.session() as fusion, context.resources.procurify.session() as procurify:
        try:
            rows = list(checked_file_rows(path, fusion, procurify))
        except (OSError, ValueError) as exc:
            raise Failure(description=f"{FILE_SETTING}: {exc}; nothing stored from the file") from None
        for row, supplier, name in rows:
            try:
                result = set_vendor_match(
                    ledger,
                    row.vendor_id,
                    supplier,
                    entered_by=FILE_ENTERED_BY,
                    note=f"{path.name} line {row.line}",
                    vendor_name=name,
                    replace=True,
                    keep_people=True,
                    run_id=context.run.run_id,
                    procurify=procurify,
                )
            except MatchRefused as exc:
                refused.append(f"line {row.line}: {exc}")
                context.log.warning("%s line %s refused: %s", path, row.line, exc)
                continue
            for pair in result.replaced:  # a flow's pair forgotten: said in the log, not only the audit
                replaced.append(f"line {row.line}: {pair}")
                context.log.warning("%s line %s replaced: %s", path, row.line, pair)
            stored += result.stored
            unchanged += not result.stored
            released += result.released
    return MaterializeResult(
        metadata={
            "file": str(path),
            "rows": len(rows),
            "stored": stored,
            "unchanged": unchanged,
            "released": released,
            "refused": len(refused),
            "refusals": "\n".join(refused) or "none",
            "replaced": "\n".join(replaced) or "none",
        }
    )


manual_match_assets = [fusion_procurify_manual_matches]
