"""Stored materials a subcontractor invoice's line carries over from earlier invoices, where the contract
keeps them as a running balance.

Each contract's invoice configuration says how Procore shows materials stored on earlier invoices
(``GET /rest/v1.0/projects/{project_id}/contracts/{contract_id}/invoice_configuration``,
``move_materials_to_previous_work_completed``, Procore's REST API as its OpenAPI-generated SDK states it):
moved into "work completed from previous application" (a line's ``materials_presently_stored`` and
``materials_stored_retainage_currently_retained`` are this period's), or kept as a stored balance (they
include what earlier invoices stored). For the second, what this invoice bills is the balance less the
balance on the commitment's previous invoice, line by line (``line_item_id``): the lines get
``_materials_stored_before`` and ``_materials_retainage_before``, which ``requisition_amounts`` subtracts.

Asked only for an invoice with stored materials on a line, once per contract per session; a Procore that
answers 404 for the configuration is read as moving them (the lines then state this period's amounts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connector_resources.procore.entities import API
from connector_resources.procore.errors import ProcoreNotFoundError
from connector_resources.redaction import get_logger

if TYPE_CHECKING:
    from connector_resources.procore.session import ProcoreSession

log = get_logger(__name__)

STORED_BEFORE = "_materials_stored_before"
RETAINAGE_BEFORE = "_materials_retainage_before"


def materials_moved(session: ProcoreSession, project_id: int, contract_id: int) -> bool:
    """Whether the contract moves stored materials into work completed before (cached per session)."""
    known: dict[tuple[int, int], bool] = session.__dict__.setdefault("_materials_moved", {})
    key = (int(project_id), int(contract_id))
    if key not in known:
        path = f"{API}/projects/{key[0]}/contracts/{key[1]}/invoice_configuration"
        try:
            answer = session.object_of(
                session.call("GET", path, what=f"read the invoice configuration of contract {key[1]}"),
                "invoice configuration",
            )
            known[key] = answer.get("move_materials_to_previous_work_completed") is not False
        except ProcoreNotFoundError:
            log.info(
                "procore: no invoice configuration for contract %s; stored materials read as moved", key[1]
            )
            known[key] = True
    return known[key]


def with_materials_stored_before(
    session: ProcoreSession, project_id: int, requisition_id: int, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` (the invoice's contract items), each given what its line had stored before where the
    contract keeps stored materials as a balance; untouched otherwise."""
    if not any(_amount(row.get("materials_presently_stored")) for row in rows):
        return rows
    invoice = session.get("requisitions", requisition_id, project_id=project_id)
    contract_id = invoice.get("commitment_id")
    if contract_id is None or materials_moved(session, project_id, int(contract_id)):
        return rows
    before = _previous_lines(session, project_id, invoice)
    for row in rows:
        earlier = before.get(row.get("line_item_id"), {})
        row[STORED_BEFORE] = earlier.get("materials_presently_stored") or "0"
        row[RETAINAGE_BEFORE] = earlier.get("materials_stored_retainage_currently_retained") or "0"
    return rows


def _previous_lines(
    session: ProcoreSession, project_id: int, invoice: Mapping[str, Any]
) -> dict[Any, dict[str, Any]]:
    """The commitment's previous invoice's lines by ``line_item_id`` ({} for its first invoice)."""
    number = invoice.get("number")
    listed = session.rows_of(
        f"{API}/requisitions",
        {"project_id": project_id, "filters[commitment_id]": invoice["commitment_id"]},
        what=f"list the invoices of commitment {invoice['commitment_id']}",
    )
    earlier = [r for r in listed if isinstance(r.get("number"), int) and r["number"] < (number or 0)]
    if not earlier:
        return {}
    previous = max(earlier, key=lambda r: r["number"])
    lines = session.rows_of(
        f"{API}/requisitions/{previous['id']}/contract_items",
        {"project_id": project_id},
        what=f"list lines of requisition {previous['id']} of project {project_id}",
    )
    return {line.get("line_item_id"): line for line in lines}


def _amount(raw: Any) -> bool:
    try:
        return float(raw or 0) != 0
    except (TypeError, ValueError):
        return True  # not an amount: let the amounts check say so
