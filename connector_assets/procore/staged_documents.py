"""Procore's staged documents as a flow sending them to an ERP picks them out of a day (approved: the
integration's ``statuses``), each keeping its project id for a replay (``with_project``, ``queued_projects``).
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from dagster import AssetKey

from connector_assets.flows import instance
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.procore.companies import record_company
from connector_resources.ledger import Ledger


def statuses(variable: str) -> frozenset[str]:
    """A comma-separated status setting, compared case-insensitively (Procore capitalises some)."""
    return frozenset(instance.read(variable))  # an integration's setting: its instance's value


def staged_records(staging: Any, asset: AssetKey, partition: str | None) -> Iterator[dict[str, Any]]:
    for row in staging.read_rows(asset, partition):
        yield json.loads(row["record"])


def approved(records: Iterable[dict[str, Any]], wanted: frozenset[str]) -> list[dict[str, Any]]:
    """The records whose status is one of ``wanted`` (lower case)."""
    return [r for r in records if str(r.get("status") or "").lower() in wanted]


def latest_approved(
    staging: Any, asset: AssetKey, partition: str | None, wanted: frozenset[str]
) -> list[tuple[dict[str, Any], datetime]]:
    """The partition's approved, undeleted records (latest staged version each) with their change time."""
    latest: dict[str, tuple[dict[str, Any], datetime]] = {}
    for row in staging.read_rows(asset, partition):
        record = json.loads(row["record"])
        if str(record.get("status") or "").lower() not in wanted or record.get("deleted_at"):
            continue
        key, stamp = str(row["id"]), row["updated_at"]
        if key not in latest or stamp >= latest[key][1]:
            latest[key] = (record, stamp)
    return list(latest.values())


def _project_id(value: Any) -> int | None:
    return int(value) if value is not None else None


def approved_commitments(
    requisitions: Iterable[Mapping[str, Any]], wanted: frozenset[str]
) -> dict[str, int | None]:
    """Commitment id -> project id of the requisitions whose status is one of ``wanted``, each once."""
    found: dict[str, int | None] = {}
    for requisition in requisitions:
        if str(requisition.get("status") or "").lower() not in wanted:
            continue
        commitment = requisition.get("commitment_id")
        if commitment is None:
            continue
        project = requisition.get("_project_id") or requisition.get("project_id")
        found.setdefault(str(commitment), _project_id(project))
    return found


def written_commitments(
    commitments: Iterable[Mapping[str, Any]], written: Callable[[str], bool]
) -> dict[str, int | None]:
    """Commitment id -> project id of the day's changed commitments the ERP holds (``written``): mapped again
    for their header; a soft-deleted one is left to a person in the ERP."""
    found: dict[str, int | None] = {}
    for commitment in commitments:
        commitment_id = str(commitment.get("id") or "")
        if not commitment_id or commitment.get("deleted_at"):
            continue
        if written(commitment_id):
            project = commitment.get("_project_id") or (commitment.get("project") or {}).get("id")
            found[commitment_id] = _project_id(project)
    return found


def commitment_kinds(
    staging: Any, assets: tuple[AssetKey, AssetKey], partition: str | None
) -> dict[str, Any]:
    """Commitment id -> its type as the day's staged requisitions (``commitment_type``, reference §2.5)
    and commitments (``_commitment_type``, the list it came from) name it: which list to read it from."""
    requisitions, commitments = (staged_records(staging, asset, partition) for asset in assets)
    found = {
        str(r["commitment_id"]): r.get("commitment_type") for r in requisitions if r.get("commitment_id")
    }
    found.update({str(c["id"]): c.get("_commitment_type") for c in commitments if c.get("id") is not None})
    return found


def commitment_companies(
    requisitions: Iterable[Mapping[str, Any]], commitments: Iterable[Mapping[str, Any]], default: int
) -> dict[str, int]:
    """Commitment id -> the Procore company of the staged requisition or commitment naming it (a
    commitment's requisitions are in its company)."""
    found: dict[str, int] = {}
    for requisition in requisitions:
        if requisition.get("commitment_id") is not None:
            found.setdefault(str(requisition["commitment_id"]), record_company(requisition, default))
    for commitment in commitments:
        if commitment.get("id") is not None:
            found.setdefault(str(commitment["id"]), record_company(commitment, default))
    return found


def with_project(mapped: Mapped | Rejected, project: str) -> Mapped | Rejected:
    """``mapped`` carrying the Procore project id (in the mapped fields, or a refusal's payload), so a
    replay reads the record again from its project in one call (``queued_projects``)."""
    if isinstance(mapped, Rejected):  # a hold on a missing record stays one (``held_on``)
        return replace(mapped, payload={"project_id": project})
    return Mapped(
        mapped.source_key,
        mapped.body,
        {**mapped.fields, "project_id": project},
        mapped.natural_key,
        mapped.depends_on,
    )


def queued_projects(
    ledger: Ledger, integration: str, flow: str, keys: Iterable[str]
) -> dict[str, int | None]:
    """Source key -> the Procore project its queued item names (``project_id`` in the mapped fields or
    the refusal's payload), so a replay reads the record from its project in one call."""
    wanted = set(keys)
    found: dict[str, int | None] = dict.fromkeys(wanted)
    for item in ledger.open_items(integration=integration, flow=flow, limit=100_000):
        if item.source_key not in wanted:
            continue
        payload = item.payload or {}
        project = (payload.get("fields") or {}).get("project_id") or payload.get("project_id")
        if project and str(project).isdigit():
            found[item.source_key] = int(project)
    return found


def day_commitments(
    staging: Any,
    assets: tuple[AssetKey, AssetKey],
    partition: str | None,
    wanted: frozenset[str],
    written: Callable[[str], bool],
    default: int,
) -> dict[str, tuple[int | None, int]]:
    """Commitment id -> (project id, company) of the commitments a day names (``assets``: the staged
    requisitions and commitments): those of its requisitions whose status is one of ``wanted``, then those
    changed on the day that ``written`` says the ERP holds; each once, in its company."""
    requisitions, commitments = (list(staged_records(staging, asset, partition)) for asset in assets)
    found = approved_commitments(requisitions, wanted)
    for commitment_id, project_id in written_commitments(commitments, written).items():
        found.setdefault(commitment_id, project_id)
    companies = commitment_companies(requisitions, commitments, default) if found else {}
    return {key: (project, companies.get(key) or default) for key, project in found.items()}
