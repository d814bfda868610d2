"""BILL's chart of accounts and departments as staged (BILL source assets ``bill/chart_of_accounts`` /
``bill/departments``): what a bill line's classification ids are checked against before anything is sent,
whichever system an integration's mapping tables key the ids by.

Before an operator's change to a mapping table is saved, the ids it names are asked of BILL directly
(``classification_ids``: by id, 100 to a call, BILL's ``id:in``), never the whole list.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dagster import AssetKey, Failure

from connector_assets.asset_keys import asset_key
from connector_assets.bill.reads import bill_by_id
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.bill.session import BillSession

CHART_OF_ACCOUNTS_ASSET = asset_key("bill", "chart_of_accounts")
DEPARTMENTS_ASSET = asset_key("bill", "departments")


@dataclass(frozen=True)
class BillClassification:
    name: str
    archived: bool


def bill_classifications(staging: StagingResource, asset: AssetKey) -> dict[str, BillClassification]:
    """A staged BILL snapshot (chart of accounts or departments): id -> name and archived flag.

    Never staged is systemic (every line would be refused), so it fails the step naming the asset."""
    if not staging.exists(asset, None):
        raise Failure(
            f"the BILL snapshot {asset.to_user_string()} was never read on this instance: materialize "
            f"{asset.to_user_string()}, then rerun"
        )
    found: dict[str, BillClassification] = {}
    for row in staging.read_rows(asset, None):
        record = row["record"]
        doc = json.loads(record) if isinstance(record, str) else dict(record)
        found[str(row["id"])] = BillClassification(str(doc.get("name") or ""), doc.get("archived") is True)
    return found


def classification_problem(
    known: Mapping[str, BillClassification], bill_id: str, what: str, origin: str, where: str
) -> str | None:
    """Why BILL ``what`` id ``bill_id`` (``origin``: where the mapping took it from) cannot classify the
    line ``where``: not in BILL, or archived there; None when it can."""
    found = known.get(bill_id)
    if found is None:
        return f"BILL {what} id {bill_id} ({origin}) not in BILL (archived?); {where}"
    if found.archived:
        return f"BILL {what} id {bill_id} ({found.name!r}, {origin}) is archived in BILL; {where}"
    return None


WHAT = {"chart_of_accounts": "chart-of-accounts id", "departments": "department"}  # as a finance user says it


def classification_ids(bill: SessionSource[BillSession], entity: str, ids: Iterable[str]) -> dict[str, str]:
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
