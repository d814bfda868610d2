"""Reading specific JDE records by key (``column IN values``), in batches the AIS server accepts. "In list" is
``MATCH_ANY`` of ``EQUAL`` conditions: confirmed in public clients, while the in-list operator's spelling
is not (reference §2.5), and a server not knowing it would refuse every look-up.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from connector_assets.jde.kept_rows import kept_rows
from connector_resources.jde import Condition

LOOKUP_BATCH = 100


def browse_in(
    session: Any,
    table: str,
    column: str,
    values: Sequence[Any],
    columns: Sequence[str],
    *,
    key_columns: Sequence[str] | None = None,
) -> Iterator[dict]:
    """Rows of ``table`` whose ``column`` is one of ``values`` (aliases in ``columns``); ``key_columns``
    only for a table the JDE client has no key of (``query.TABLE_KEYS``). Inside ``kept_rows.keeping``
    the values read before are answered from the kept rows, and what is read is kept."""
    qualified = [f"{table}.{alias}" for alias in columns]
    keys = {"key_columns": key_columns} if key_columns else {}
    distinct = list(dict.fromkeys(values))
    kept, where = kept_rows(), (table, column, tuple(columns))
    if kept is not None:
        found, distinct = kept.known(where, distinct)
        yield from found
    for start in range(0, len(distinct), LOOKUP_BATCH):
        batch = distinct[start : start + LOOKUP_BATCH]
        conditions = [Condition(f"{table}.{column}", "EQUAL", value) for value in batch]
        rows = session.browse(table, columns=qualified, conditions=conditions, match="MATCH_ANY", **keys)
        if kept is None:
            yield from rows
            continue
        read = list(rows)
        kept.keep(where, batch, read)
        yield from read
