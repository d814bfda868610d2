"""Two-column CSV mapping tables (``mappings/``): where a table is, and reading it with every row checked.

One reader for every table, so each refuses an empty or duplicated row the same way, naming the file and
the line a finance user has to fix.
"""

import csv
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def table_path(variable: str, sandbox_file: str) -> Path:
    """The file ``$variable`` names, else the sandbox table ``mappings/sandbox/<sandbox_file>``."""
    configured = os.environ.get(variable, "").strip()
    return Path(configured) if configured else ROOT / "mappings" / "sandbox" / sandbox_file


def load_pairs(path: Path, key: str, value: str) -> dict[str, str]:
    """``{row[key]: row[value]}``; an empty cell or a key given twice is an error naming the line."""
    mapping: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            left, right = (row.get(key) or "").strip(), (row.get(value) or "").strip()
            if not left or not right:
                raise ValueError(f"{path.name} line {number}: {key} and {value} are required")
            if left in mapping:
                raise ValueError(f"{path.name} line {number}: {key} {left} is mapped twice")
            mapping[left] = right
    return mapping
