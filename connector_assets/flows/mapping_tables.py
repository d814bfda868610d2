"""Two-column CSV mapping tables (``mappings/``): where a table is, and reading it with every row checked.

One reader for every table, so each refuses an empty or duplicated row the same way, naming the file and
the line a finance user has to fix.
"""

import csv
from pathlib import Path

from connector_resources import settings
from connector_resources.settings import system

ROOT = Path(__file__).resolve().parents[2]


def table_path(variable: str, sandbox_file: str, systems: tuple[str, ...] = ("jde_ais", "coupa")) -> Path:
    """The file ``$variable`` names, else the sandbox table ``mappings/sandbox/<sandbox_file>``.

    The sandbox table only fits the sandboxes' seeded codes: once any of ``systems`` is pointed at another
    instance, an unset ``$variable`` is refused, since codes that happen to overlap would otherwise be
    written with sandbox accounts or terms without anyone noticing.
    """
    configured = settings.given(variable)
    if configured:
        return Path(configured)
    elsewhere = [system(key).title for key in systems if _points_elsewhere(key)]
    if elsewhere:
        raise ValueError(
            f"{variable} is not set, and {' and '.join(elsewhere)} is pointed at another instance; the "
            f"sandbox table mappings/sandbox/{sandbox_file} only fits the sandboxes (see mappings/README.md)"
        )
    return ROOT / "mappings" / "sandbox" / sandbox_file


def _points_elsewhere(key: str) -> bool:
    """Whether the system's address is set (``ML_COUPA_URL`` ...): tuning settings such as an overlap or a
    cadence say nothing about which instance is used."""
    return any(s.is_url and settings.given(s.env) for s in system(key).settings)


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
