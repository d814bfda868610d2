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
"""

import csv
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.vendor_pairs import (
    FUSION,
    PAIRING,
    PROCURIFY,
    SUPPLIER_ENTITY,
    VENDOR_ENTITY,
    id_key,
    vendor_dependency,
)
from connector_assets.procurify.vendor_fields import is_active
from connector_resources import settings
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.ledger import Ledger, Xref, XrefConflict
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.replay import release_waiting

FLOW = "manual_matches"  # the audit trail's flow name for every manual match change
FILE_SETTING = "ML_FUSION_PROCURIFY_VENDOR_XREF"
FILE_ENTERED_BY = f"file {FILE_SETTING}"  # entered_by of the file's rows: tells them from a person's
FILE_COLUMNS = ("procurify_vendor_id", "fusion_supplier_number")
ASSET = "fusion_procurify_manual_matches"


class MatchRefused(Exception):
    """A manual match that was not stored, with why in an operator's words (nothing was changed)."""


@dataclass(frozen=True, slots=True)
class FusionSupplier:
    """The Fusion supplier a match names, as read from Fusion."""

    supplier_id: str
    number: str
    name: str

    @property
    def label(self) -> str:
        return f"Fusion supplier {self.name} (number {self.number}, SupplierId {self.supplier_id})"


def find_fusion_supplier(session: Any, given: str) -> FusionSupplier:
    """The supplier ``given`` names: its ``SupplierNumber`` or its ``SupplierId`` (``number:`` / ``id:``
    in front says which); ``MatchRefused`` when Fusion has none, or when the number names one supplier
    and the id another (the operator says which with the prefix)."""
    text = given.strip()
    kind, _, value = text.partition(":") if ":" in text else ("", "", text)
    value = value.strip()
    if kind not in ("", "id", "number") or not value:
        raise MatchRefused(
            f"{given!r} is not a Fusion supplier number or id (use 1234, number:1234 or id:300...)"
        )
    found: dict[str, dict[str, Any]] = {}
    if kind in ("", "number"):
        by_number = session.find_supplier(supplier_number=value)
        if by_number is not None:
            found["number"] = by_number
    if kind in ("", "id") and value.isdigit():
        with suppress(FusionNotFoundError):
            found["id"] = session.get("suppliers", value)
    if not found:
        what = {"": "SupplierNumber or SupplierId", "id": "SupplierId", "number": "SupplierNumber"}[kind]
        raise MatchRefused(f"Fusion has no supplier with {what} {value}")
    suppliers = {str(record.get("SupplierId")): _supplier(record) for record in found.values()}
    if len(suppliers) > 1:
        names = " and ".join(s.label for s in suppliers.values())
        raise MatchRefused(f"{value} names two Fusion suppliers, {names}: say number:{value} or id:{value}")
    return next(iter(suppliers.values()))


def _supplier(record: dict[str, Any]) -> FusionSupplier:
    return FusionSupplier(
        supplier_id=id_key(record.get("SupplierId", ""), "Fusion SupplierId"),
        number=str(record.get("SupplierNumber") or "").strip(),
        name=str(record.get("Supplier") or "").strip(),
    )


def check_procurify_vendor(session: Any, vendor_id: str) -> str:
    """The name of Procurify vendor ``vendor_id``; ``MatchRefused`` when Procurify has no such vendor."""
    try:
        vendor = session.get("vendors", vendor_id)
    except ProcurifyNotFoundError:
        raise MatchRefused(f"Procurify has no vendor with id {vendor_id}") from None
    return str(vendor.get("name") or "").strip()


@dataclass(frozen=True, slots=True)
class OtherPair:
    """A pair of one of the two records with a third record: what a new match would conflict with."""

    xref: Xref
    description: str

    @property
    def by_person(self) -> bool:
        return self.xref.manual and self.xref.entered_by != FILE_ENTERED_BY


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What ``set_vendor_match`` did: ``stored`` (new or changed), else the same match was there already."""

    vendor_id: str
    supplier: FusionSupplier
    stored: bool
    replaced: tuple[str, ...] = field(default=())
    released: int = 0


def _how(xref: Xref) -> str:
    if xref.manual:
        when = f"{xref.updated_at:%Y-%m-%d %H:%M} UTC"
        note = f": {xref.note}" if xref.note else ""
        return f"matched by hand by {xref.entered_by} on {when}{note}"
    flow = "vendors flow (name match)" if xref.entity == VENDOR_ENTITY else "suppliers flow"
    return f"paired by the {flow}"


def other_pairs(ledger: Ledger, vendor_id: str, supplier_id: str, *, conn: Any = None) -> list[OtherPair]:
    """Every pair of vendor ``vendor_id`` with another supplier, or of supplier ``supplier_id`` with
    another vendor, whichever way it was made (``vendor_pairs``: the ``vendor`` and ``supplier`` xrefs)."""
    found = []
    for other in PAIRING.other_pairs(ledger, vendor_id, supplier_id, conn=conn):
        if other.of_vendor:
            says = f"Procurify vendor {vendor_id} is paired with Fusion supplier {other.partner}"
        else:
            says = f"Fusion supplier {supplier_id} is paired with Procurify vendor {other.partner}"
        found.append(OtherPair(other.xref, f"{says} ({_how(other.xref)})"))
    return found


def _flow_vendor_in_the_way(
    procurify: Any, others: list[OtherPair], supplier: FusionSupplier, who: str, vendor_id: str
) -> str:
    """What becomes of the vendor the ``suppliers`` flow paired with ``supplier`` when another vendor is
    matched with it by hand ("" when there is none); ``MatchRefused`` naming both vendors while it is
    active (or cannot be read): replacing the pair would leave it as a second active vendor carrying the
    supplier's name and number, which is the duplicate a manual match is there to prevent."""
    made = [
        o.xref
        for o in others
        if o.xref.entity == SUPPLIER_ENTITY and o.xref.source_key == supplier.supplier_id and o.xref.target_id
    ]
    if not made:
        return ""
    flow_vendor = str(made[0].target_id)
    refused = (
        f"{who} = {supplier.label} not stored: the suppliers flow paired Procurify vendor {{flow}} "
        f"with that supplier (it carries the supplier's number as external_id). Matching vendor {vendor_id} "
        f"instead would leave vendor {flow_vendor} as a second active vendor of one supplier. "
    )
    if procurify is None:
        raise MatchRefused(
            refused.format(flow=flow_vendor)
            + f"Deactivate vendor {flow_vendor} in Procurify, then enter the match again"
        )
    try:
        vendor = procurify.get("vendors", flow_vendor)
    except ProcurifyNotFoundError:
        return f"the flow's vendor {flow_vendor} is gone from Procurify"
    label = f"{flow_vendor} ({str(vendor.get('name') or '').strip()})"
    if is_active(vendor):
        raise MatchRefused(
            refused.format(flow=label)
            + f"Deactivate vendor {label} in Procurify (its orders and bills stay), then enter the match "
            "again; or keep the flow's pair and use that vendor"
        )
    return f"the flow's vendor {label} is inactive in Procurify: left inactive, no longer paired, not renamed"


def set_vendor_match(
    ledger: Ledger,
    vendor_id: str,
    supplier: FusionSupplier,
    *,
    entered_by: str,
    note: str = "",
    vendor_name: str = "",
    replace: bool = False,
    keep_people: bool = False,
    run_id: str | None = None,
    procurify: Any = None,
) -> MatchResult:
    """Store Procurify vendor ``vendor_id`` = ``supplier`` as a manual match (both already checked to exist).

    A different pair of either record is refused (``MatchRefused`` naming it) unless ``replace``; with
    ``keep_people`` (the file) a match a person entered is refused even so. The same manual match already
    stored is left alone (``stored`` False; a person's new note or name updates it). One ledger
    transaction: the match, the forgotten pairs, their audit events and the released holds, or none.

    A vendor the ``suppliers`` flow made (or adopted) for ``supplier`` is never left beside the match as
    a second active vendor of that supplier: the match is refused, even with ``replace``, naming both
    vendors, until that vendor is inactive in Procurify (``procurify``, a session, reads it; without one
    the match is refused). Then the pair is replaced and the result says the flow's vendor stays inactive.
    """
    vendor_id = id_key(vendor_id, "Procurify vendor id")
    who = f"Procurify vendor {vendor_name} ({vendor_id})" if vendor_name else f"Procurify vendor {vendor_id}"
    with ledger.transaction() as conn:
        current = ledger.get_xref(INTEGRATION, VENDOR_ENTITY, PROCURIFY, vendor_id, FUSION, conn=conn)
        others = other_pairs(ledger, vendor_id, supplier.supplier_id, conn=conn)
        same = current is not None and current.manual and current.target_id == supplier.supplier_id
        if (
            same
            and not others
            and (keep_people or (current.entered_by, current.note or "") == (entered_by, note))
        ):
            return MatchResult(vendor_id, supplier, stored=False)
        people = [o for o in others if o.by_person]
        if keep_people and people:
            raise MatchRefused(
                f"{who} = {supplier.label} not stored: "
                + "; ".join(o.description for o in people)
                + " (a person's match wins over the file: `ml-connector xref delete` it to use this row)"
            )
        if others and not replace:
            raise MatchRefused(
                f"{who} = {supplier.label} not stored: "
                + "; ".join(o.description for o in others)
                + ". Add --replace to replace that pair with this match"
                + (
                    " (the suppliers flow's vendor of that supplier must be inactive in Procurify first)."
                    if any(
                        o.xref.entity == SUPPLIER_ENTITY and o.xref.source_key == supplier.supplier_id
                        for o in others
                    )
                    else "."
                )
            )
        flow_vendor = _flow_vendor_in_the_way(procurify, others, supplier, who, vendor_id)
        replaced = []
        for other in others:
            x = other.xref
            if x.entity == VENDOR_ENTITY and x.source_key == vendor_id:
                replaced.append(other.description)  # re-pointed by the override below
                continue
            if flow_vendor and x.entity == SUPPLIER_ENTITY and x.source_key == supplier.supplier_id:
                other = OtherPair(x, f"{other.description}; {flow_vendor}")
            if ledger.unmatch_xref(
                x.integration,
                x.entity,
                x.source_system,
                x.source_key,
                x.target_system,
                only_manual=False,
                conn=conn,
            ):
                replaced.append(other.description)
                ledger.audit(
                    integration=INTEGRATION,
                    flow=FLOW,
                    action="update",
                    entity=x.entity,
                    source_system=x.source_system,
                    source_id=x.source_key,
                    target_system=x.target_system,
                    target_id=x.target_id,
                    run_id=run_id,
                    reason=f"pair forgotten ({other.description}): replaced by the manual match of {who} "
                    f"with {supplier.label}, entered by {entered_by}",
                    conn=conn,
                )
        try:
            ledger.set_manual_override(
                INTEGRATION,
                VENDOR_ENTITY,
                PROCURIFY,
                vendor_id,
                FUSION,
                supplier.supplier_id,
                entered_by=entered_by,
                note=note,
                conn=conn,
            )
        except XrefConflict as exc:  # another writer paired the supplier meanwhile
            raise MatchRefused(f"{who} = {supplier.label} not stored: {exc}") from None
        because = f"{who} matched by hand with {supplier.label}, entered by {entered_by}"
        ledger.audit(
            integration=INTEGRATION,
            flow=FLOW,
            action="update",
            entity=VENDOR_ENTITY,
            source_system=PROCURIFY,
            source_id=vendor_id,
            target_system=FUSION,
            target_id=supplier.supplier_id,
            run_id=run_id,
            reason=because
            + (f" ({note})" if note else "")
            + (f"; replaces: {'; '.join(replaced)}" if replaced else ""),
            detail={"entered_by": entered_by, "note": note, "supplier_number": supplier.number},
            conn=conn,
        )
        released = release_waiting(
            ledger,
            vendor_dependency(vendor_id),
            reason=f"released: {because}; due for replay",
            run_id=run_id,
            conn=conn,
        )
    return MatchResult(vendor_id, supplier, stored=True, replaced=tuple(replaced), released=len(released))


def delete_manual_match(
    ledger: Ledger, integration: str, entity: str, source_key: str, *, entered_by: str
) -> Xref:
    """Forget the manual match of ``source_key`` in ``integration``/``entity`` (whatever its systems)."""
    with ledger.transaction() as conn:
        matches = [
            x for x in ledger.manual_matches(integration, entity, conn=conn) if x.source_key == source_key
        ]
        if not matches:
            raise MatchRefused(f"{integration}/{entity} {source_key} has no manual match to delete")
        if len(matches) > 1:
            raise MatchRefused(
                f"{integration}/{entity} {source_key} has {len(matches)} manual matches "
                f"({', '.join(x.label for x in matches)}); delete them with the ledger's unmatch_xref"
            )
        x = matches[0]
        before = ledger.unmatch_xref(
            x.integration, x.entity, x.source_system, x.source_key, x.target_system, conn=conn
        )
        if before is None:
            raise MatchRefused(f"{x.label}: the manual match changed meanwhile; look again (xref list)")
        ledger.audit(
            integration=integration,
            flow=FLOW,
            action="update",
            entity=entity,
            source_system=x.source_system,
            source_id=x.source_key,
            target_system=x.target_system,
            target_id=x.target_id,
            reason=f"manual match {x.source_system} {x.source_key} = {x.target_system} {x.target_id} "
            f"(entered by {x.entered_by}) deleted by {entered_by}; the flows pair the record again",
            conn=conn,
        )
    return before


# ---------------------------------------------------------------- the mapping file


@dataclass(frozen=True, slots=True)
class FileRow:
    line: int
    vendor_id: str
    supplier_number: str


def read_match_file(path: Path) -> list[FileRow]:
    """The file's rows, checked: both columns present, both values digits, no vendor and no supplier
    number given twice; ``ValueError`` naming the file and the line otherwise (a person fixes it there).
    ``utf-8-sig``: a file saved from Excel starts with a byte-order mark that would hide the first column."""
    rows: list[FileRow] = []
    vendors: dict[str, int] = {}
    suppliers: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in FILE_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)} (expected {','.join(FILE_COLUMNS)})"
            )
        for row in reader:
            number = reader.line_num  # the file's line (blank lines counted), as an editor shows it
            vendor, supplier = ((row.get(c) or "").strip() for c in FILE_COLUMNS)
            if not vendor and not supplier:
                continue  # a blank line
            where = f"{path} line {number}"
            for column, value in zip(FILE_COLUMNS, (vendor, supplier), strict=True):
                if not value.isdigit():
                    raise ValueError(f"{where}: {column} {value!r} must be digits")
            vendor = str(int(vendor))
            if vendor in vendors:
                raise ValueError(
                    f"{where}: Procurify vendor {vendor} is already matched on line {vendors[vendor]}"
                )
            if supplier in suppliers:
                raise ValueError(
                    f"{where}: Fusion supplier number {supplier} is already matched on line "
                    f"{suppliers[supplier]}"
                )
            vendors[vendor], suppliers[supplier] = number, number
            rows.append(FileRow(number, vendor, supplier))
    return rows


def checked_file_rows(path: Path, fusion: Any, procurify: Any) -> list[tuple[FileRow, FusionSupplier, str]]:
    """Each row with its Fusion supplier and the vendor's name; ``ValueError`` naming the file and the
    line of a row whose vendor or supplier number names nothing (every row is checked before any is
    stored, so a wrong file changes nothing)."""
    checked = []
    for row in read_match_file(path):
        try:
            supplier = find_fusion_supplier(fusion, f"number:{row.supplier_number}")
            name = check_procurify_vendor(procurify, row.vendor_id)
        except MatchRefused as exc:
            raise ValueError(f"{path} line {row.line}: {exc}") from None
        checked.append((row, supplier, name))
    return checked


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
