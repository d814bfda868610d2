"""The manual matches file (``ML_FUSION_PROCURIFY_VENDOR_XREF``, CSV
``procurify_vendor_id,fusion_supplier_number``): its rows read and checked, every one against both systems,
before any is stored, so a wrong file changes nothing. ``manual_matches`` loads the checked rows into the
ledger (its asset); the rows are told from a person's matches by ``FILE_ENTERED_BY``.
"""

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector_assets.fusion.suppliers import FusionSupplier
from connector_assets.integrations.fusion_procurify.matched_records import (
    MatchRefused,
    check_procurify_vendor,
    find_fusion_supplier,
)

FILE_SETTING = "ML_FUSION_PROCURIFY_VENDOR_XREF"
FILE_ENTERED_BY = f"file {FILE_SETTING}"  # entered_by of the file's rows: tells them from a person's
FILE_COLUMNS = ("procurify_vendor_id", "fusion_supplier_number")


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
