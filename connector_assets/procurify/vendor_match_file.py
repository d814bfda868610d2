"""A manual vendor matches file (CSV ``procurify_vendor_id,<supplier number column>``) and the asset that
loads it: every row read and checked against both systems before any is stored, so a wrong file changes
nothing; then each row stored through ``VendorMatches.set_match`` (replacing a flow's pair, never a
person's match: see ``vendor_matches``). Rows are told from a person's matches by their ``entered_by``.

Removing a row from the file does not remove its match: ``ml-connector xref delete`` does. One copy for
every integration pairing Procurify vendors by hand (today Fusion's ``fusion_procurify_manual_matches``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetsDefinition, Failure, MaterializeResult, asset

from connector_assets.procurify.vendor_matches import MatchRefused, VendorMatches, check_procurify_vendor
from connector_resources import settings


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

    def checked_rows(self, path: Path, system: Any, procurify: Any) -> list[tuple[FileRow, Any, str]]:
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


def match_file_asset(
    *, name: str, group: str, description: str, file: MatchFile, matches: VendorMatches, system: str
) -> AssetsDefinition:
    """The asset ``name`` loading ``file`` into the ledger as ``matches``: ``system`` is the resource key
    of the other system (its session finds the suppliers)."""

    @asset(
        name=name,
        group_name=group,
        kinds={"ledger"},  # not a mapping table (those alone are "csv"): its rows become ledger matches
        required_resource_keys={system, "procurify", "ledger"},
        description=description,
    )
    def load_matches(context) -> MaterializeResult:  # unannotated: dagster refuses a string annotation
        """Load the manual matches file into the ledger (see ``procurify.vendor_matches`` for what wins)."""
        configured = settings.given(file.setting)
        if not configured:
            return MaterializeResult(metadata={"file": f"none (${file.setting} unset)", "rows": 0})
        path = Path(configured)
        ledger = context.resources.ledger.get()
        stored, unchanged, released, refused, replaced = 0, 0, 0, [], []
        other = getattr(context.resources, system)
        with other.session() as session, context.resources.procurify.session() as procurify:
            try:
                rows = list(file.checked_rows(path, session, procurify))
            except (OSError, ValueError) as exc:
                raise Failure(description=f"{file.setting}: {exc}; nothing stored from the file") from None
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

    return load_matches
