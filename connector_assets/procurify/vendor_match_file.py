"""A manual vendor matches file (CSV ``procurify_vendor_id,<supplier number column>``) and the asset loading
it: every row checked against both systems before any is stored (``VendorMatches.set_match``); removing a row
removes no match (``ml-connector xref delete`` does). docs/integrations/fusion_procurify.md, "Manual vendor
matches".
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetKey, AssetsDefinition, Failure, MaterializeResult, asset

from connector_assets.flows import instance
from connector_assets.procurify.vendor_matches import MatchRefused, VendorMatches, check_procurify_vendor
from connector_resources.ledger import Ledger
from connector_resources.procurify.session import ProcurifySession


@dataclass(frozen=True, slots=True)
class FileRow:
    line: int
    vendor_id: str
    supplier_number: str


@dataclass(frozen=True)
class MatchFile:
    """The matches file ``setting`` names: its two ``columns`` (vendor id, supplier number), how a supplier
    number is named in a refusal (``number_words``), and how the other system finds the supplier a row
    names (``find_supplier(session, "number:<n>")``, raising ``MatchRefused``)."""

    setting: str
    columns: tuple[str, str]
    number_words: str
    find_supplier: Callable[[Any, str], Any]

    @property
    def entered_by(self) -> str:
        """``entered_by`` of the file's rows: tells them from a person's matches."""
        return f"file {self.setting}"

    def read(self, path: Path) -> list[FileRow]:
        """The file's rows, checked: both columns present, both values digits, no vendor and no supplier
        number given twice; ``ValueError`` naming the file and the line otherwise (a person fixes it there).
        ``utf-8-sig``: a file saved from Excel starts with a byte-order mark that would hide the first
        column."""
        rows: list[FileRow] = []
        vendors: dict[str, int] = {}
        suppliers: dict[str, int] = {}
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in self.columns if c not in (reader.fieldnames or ())]
            if missing:
                raise ValueError(
                    f"{path}: missing column(s) {', '.join(missing)} (expected {','.join(self.columns)})"
                )
            for row in reader:
                number = reader.line_num  # the file's line (blank lines counted), as an editor shows it
                vendor, supplier = ((row.get(c) or "").strip() for c in self.columns)
                if not vendor and not supplier:
                    continue  # a blank line
                where = f"{path} line {number}"
                for column, value in zip(self.columns, (vendor, supplier), strict=True):
                    if not value.isdigit():
                        raise ValueError(f"{where}: {column} {value!r} must be digits")
                vendor = str(int(vendor))
                if vendor in vendors:
                    raise ValueError(
                        f"{where}: Procurify vendor {vendor} is already matched on line {vendors[vendor]}"
                    )
                if supplier in suppliers:
                    raise ValueError(
                        f"{where}: {self.number_words} {supplier} is already matched on line "
                        f"{suppliers[supplier]}"
                    )
                vendors[vendor], suppliers[supplier] = number, number
                rows.append(FileRow(number, vendor, supplier))
        return rows

    def checked_rows(
        self, path: Path, system: object, procurify: ProcurifySession
    ) -> list[tuple[FileRow, object, str]]:
        """Each row with its supplier and the vendor's name; ``ValueError`` naming the file and the line of
        a row whose vendor or supplier number names nothing (every row is checked before any is stored)."""
        checked = []
        for row in self.read(path):
            try:
                supplier = self.find_supplier(system, f"number:{row.supplier_number}")
                name = check_procurify_vendor(procurify, row.vendor_id)
            except MatchRefused as exc:
                raise ValueError(f"{path} line {row.line}: {exc}") from None
            checked.append((row, supplier, name))
        return checked


@dataclass
class FileLoad:
    """What one load of the matches file did (the asset's metadata)."""

    path: Path
    rows: int = 0
    stored: int = 0
    unchanged: int = 0
    released: int = 0
    resolved: int = 0
    refused: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "rows": self.rows,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "released": self.released,
            "resolved": self.resolved,
            "refused": len(self.refused),
            "refusals": "\n".join(self.refused) or "none",
            "replaced": "\n".join(self.replaced) or "none",
        }


def load_match_file(
    file: MatchFile,
    matches: VendorMatches,
    ledger: Ledger,
    session: object,
    procurify: ProcurifySession,
    *,
    run_id: str | None = None,
    log: logging.Logger | None = None,
) -> FileLoad | None:
    """Load the file ``file.setting`` names into the ledger as ``matches`` (``session``: the other system's;
    ``procurify``: a Procurify session); None when the setting is unset. ``OSError`` / ``ValueError`` naming
    the file and line store nothing; a row already stored is left alone, so reloading an unchanged file (each
    flow's job does) writes nothing."""
    configured = instance.given(file.setting)
    if not configured:
        return None
    path = Path(configured)
    rows = list(file.checked_rows(path, session, procurify))
    done = FileLoad(path, rows=len(rows))
    for row, supplier, vendor_name in rows:
        try:
            result = matches.set_match(
                ledger,
                row.vendor_id,
                supplier,
                entered_by=file.entered_by,
                note=f"{path.name} line {row.line}",
                vendor_name=vendor_name,
                replace=True,
                keep_people=True,
                run_id=run_id,
                procurify=procurify,
            )
        except MatchRefused as exc:
            done.refused.append(f"line {row.line}: {exc}")
            if log is not None:
                log.warning("%s line %s refused: %s", path, row.line, exc)
            continue
        for pair in result.replaced:  # a flow's pair forgotten: said in the log, not only the audit
            done.replaced.append(f"line {row.line}: {pair}")
            if log is not None:
                log.warning("%s line %s replaced: %s", path, row.line, pair)
        done.stored += result.stored
        done.unchanged += not result.stored
        done.released += result.released
        done.resolved += result.answered
    return done


def match_file_asset(
    *, key: AssetKey, group: str, description: str, file: MatchFile, matches: VendorMatches, system: str
) -> AssetsDefinition:
    """The asset ``key`` loading ``file`` into the ledger as ``matches`` (``system``: the other system's
    resource key). In a flow's job a wrong file is logged and kept in the metadata, not raised: one mistyped
    row of a hand-kept file must not stop every flow reading vendor pairs."""

    @asset(
        key=key,
        group_name=group,
        kinds={"ledger"},  # not a mapping table (those alone are "csv"): its rows become ledger matches
        required_resource_keys={system, "procurify", "ledger"},
        description=description,
    )
    def load_matches(context) -> MaterializeResult:  # unannotated: dagster refuses a string annotation
        """Load the manual matches file into the ledger (see ``procurify.vendor_matches`` for what wins)."""
        ledger = context.resources.ledger.get()
        other = getattr(context.resources, system)
        with other.session() as session, context.resources.procurify.session() as procurify:
            try:
                done = load_match_file(
                    file, matches, ledger, session, procurify, run_id=context.run.run_id, log=context.log
                )
            except (OSError, ValueError) as exc:
                said = f"{file.setting}: {exc}; nothing stored from the file"
                if not context.job_name.startswith(f"{group}_"):
                    raise Failure(description=said) from None
                context.log.error("%s (the flow goes on with the matches already stored)", said)
                return MaterializeResult(metadata={"file": instance.given(file.setting), "error": said})
        if done is None:
            return MaterializeResult(metadata={"file": f"none (${file.setting} unset)", "rows": 0})
        return MaterializeResult(metadata=done.metadata())

    return load_matches
