"""What the reconciliation tests read of a report's full list of differences (``differences_csv``): its
rows, and the promise each row's sentence keeps (it names the record, the field and both values)."""

from __future__ import annotations

import csv
from typing import Any


def difference_rows(meta: dict[str, Any]) -> list[dict[str, str]]:
    """The reconciliation's full list (``differences_csv``), one dict per row."""
    with open(meta["differences_csv"], newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def sentences_name_both(rows: list[dict[str, str]], first: str, second: str) -> None:
    """Each row's sentence (``words``) names the ``first`` system's record, the field and both systems'
    values; a row about a whole record (field ``record``) has no values to name."""
    for row in rows:
        if row["field"] != "record":
            named = (row[f"{first} record"], row["field"], row[first], row[second])
            assert all(v in row["words"] for v in named), row
