"""Row tables the simulators' seeds draw from (signature vendors, places, charts of accounts, statuses),
kept as data in each simulator's ``words.json`` rather than as Python literals.

A table there is ``{"columns": [...], "rows": [[...], ...]}``: the columns name what each position of a
row means (what a comment above a tuple literal used to say), and a row of another width fails at
import, so a table cannot silently lose a field.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

WORDS_FILE = "words.json"


@functools.cache
def _tables(package: str) -> dict[str, Any]:
    text = resources.files(package).joinpath(WORDS_FILE).read_text(encoding="utf-8")
    tables: dict[str, Any] = json.loads(text)
    return tables


def rows(package: str, name: str) -> tuple[tuple[Any, ...], ...]:
    """The table ``name`` of ``package``'s words.json, each row a tuple (JSON null is None)."""
    table = _tables(package)[name]
    width = len(table["columns"])
    loaded = tuple(tuple(row) for row in table["rows"])
    for row in loaded:
        if len(row) != width:
            raise ValueError(f"{package} {WORDS_FILE} {name}: row {row!r} has not {width} fields")
    return loaded
