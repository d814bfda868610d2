"""Reading specific JDE records by key (``column IN values``), in batches the AIS server accepts.

Flows need the other half of a record that changed on another day (the F0101 name of a supplier whose
F0401 row changed, every line of a purchase order whose header changed). "In list" is written as
``MATCH_ANY`` of ``EQUAL`` conditions: both spellings are confirmed in JSON from public clients, while
the in-list operator's spelling (likely ``LIST``) is not (reference §2.5), and a server that does not
know it would refuse every look-up.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from connector_resources.jde import Condition

LOOKUP_BATCH = 100


def browse_in(
    session: Any, table: str, column: str, values: Sequence[Any], columns: Sequence[str]
) -> Iterator[dict]:
    """Rows of ``table`` whose ``column`` is one of ``values`` (aliases in ``columns``)."""
    qualified = [f"{table}.{alias}" for alias in columns]
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), LOOKUP_BATCH):
        batch = distinct[start : start + LOOKUP_BATCH]
        conditions = [Condition(f"{table}.{column}", "EQUAL", value) for value in batch]
        yield from session.browse(table, columns=qualified, conditions=conditions, match="MATCH_ANY")
