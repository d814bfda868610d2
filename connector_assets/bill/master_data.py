"""BILL's chart of accounts and departments asked directly about the ids a mapping table names, before an
operator's change to the table is saved: each id must be in BILL and not archived, as a bill line's
classifications must be (``classifications.classification_problem``, which checks the staged snapshots
while mapping). Read by id, 100 to a call (``reads.bill_by_id``: BILL's ``id:in``), never the whole list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector_assets.bill.reads import bill_by_id

WHAT = {"chart_of_accounts": "chart-of-accounts id", "departments": "department"}  # as a finance user says it


def classification_ids(bill: Any, entity: str, ids: Iterable[str]) -> dict[str, str]:
    """``{id: problem}`` for each BILL ``entity`` (``chart_of_accounts`` / ``departments``) id that is not
    in BILL or archived there."""
    named = [i for i in dict.fromkeys(ids) if i]
    if not named:
        return {}
    with bill.session() as session:
        found = bill_by_id(session, entity, named)
    what = WHAT[entity]
    problems = {}
    for bill_id in named:
        record = found.get(bill_id)
        if record is None:
            problems[bill_id] = f"BILL {what} {bill_id} is not in BILL"
        elif record.get("archived") is True:
            problems[bill_id] = f"BILL {what} {bill_id} ({record.get('name') or 'no name'}) is archived"
    return problems
