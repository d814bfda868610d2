"""A queued refusal whose cause a replay judges in the ledger, with no API call, before it reads the record.

Why: a replay reads each due record from its source again and maps it with today's tables. When what the
record was refused for cannot have changed, that read (and the target's search) costs calls and writes
nothing: a record refused because a mapping table has no row for a value is refused again while the
table, which the ledger holds, still has none. Such a record stays queued as it is, its attempt counted as
a failed replay's is (the same reason, kind and parameters, the same backoff), so the desk, the alerts and
the next sweep see what a replay that read it would have left. Once a row may name the value (a key or a
value equal to it, or a key containing it: a project's override key), or the table cannot be judged (not
held by the ledger, no table or value named), the replay reads the record as before.

Only ``mapping_missing`` is judged here: the other kinds' causes are in the source (``source_invalid``, a
flow's rule), in the target (``master_missing``, ``target_refused``, a permission behind ``configuration``)
or are holds the sweeps release (``held_outside``, ``held_parents``).
"""

from __future__ import annotations

from collections.abc import Mapping

from connector_resources.ledger import Ledger, QueueItem, shared_ledger
from connector_resources.refusals import Refusal, mapping_gaps
from connector_resources.replay import shared_value

FAILED_AGAIN = "replay failed: "  # what a failed replay puts before its refusal's sentence (``replay``)


def unchanged_refusal(item: QueueItem, tables: Ledger | None = None) -> Refusal | None:
    """``item``'s refusal as queued when its cause is judged still there with no call, else None (the
    replay reads the record again). ``tables``: the ledger the mapping tables are read from, by default the
    one a replay's mapping restages them from (``shared_ledger``); each is read once per replay."""
    gaps = mapping_gaps(item.kind, item.params)
    names = {gap.table for gap in gaps}
    if not gaps or len(names) != 1 or "" in names:
        return None
    held = tables or shared_ledger()
    table = gaps[0].table
    rows = shared_value(("mapping rows", table, id(held)), lambda: held.mapping_rows(table))
    if rows is None or any(may_map(rows, gap.value) for gap in gaps):
        return None
    sentence = item.reason
    while sentence.startswith(FAILED_AGAIN):
        sentence = sentence.removeprefix(FAILED_AGAIN)
    return Refusal(item.refusal_kind, sentence, dict(item.params or {}))


def may_map(rows: Mapping[str, str], value: str) -> bool:
    """Whether a row of ``rows`` may map ``value``: a key or value equal to it (case and spaces aside), or
    a key containing it. Generous on purpose: a row that may map it sends the record to be read again."""
    wanted = value.strip().casefold()
    return any(wanted in key.casefold() or wanted == row.strip().casefold() for key, row in rows.items())
