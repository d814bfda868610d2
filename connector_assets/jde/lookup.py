"""Reading specific JDE records by key (``column IN values``), in batches the AIS server accepts.

Flows need the other half of a record that changed on another day (the F0101 name of a supplier whose
F0401 row changed, every line of a purchase order whose header changed): one LIST query per batch.
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
    for start in range(0, len(values), LOOKUP_BATCH):
        condition = Condition(f"{table}.{column}", "LIST", list(values[start : start + LOOKUP_BATCH]))
        yield from session.browse(table, columns=qualified, conditions=[condition])
