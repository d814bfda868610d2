"""Procore documents as a reconciliation reads and names them: the latest staged version, a requisition or
commitment read whole in its company, the linked vendors, a line's amount, a finance user's words for them."""

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from dagster import AssetKey

from connector_assets.flows import amounts
from connector_assets.procore.companies import first_company, record_company
from connector_assets.procore.document_fields import project_label
from connector_assets.procore.reads import ProcoreReads
from connector_resources.ledger import Ledger, schema

# A change order with its lines; None: not read (``lines`` off) or not served (``ProcoreReads``); str: why
# they cannot be read.
ChangeOrderLines = list[tuple[dict[str, Any], list[dict[str, Any]] | str | None]]


def latest_staged(staging: Any, asset: AssetKey, day: str) -> list[dict[str, Any]]:
    """The records a Procore asset staged for the day, the latest version of each (by ``updated_at``),
    deleted ones (``deleted_at``) left out."""
    latest: dict[str, tuple[Any, dict[str, Any]]] = {}
    for row in staging.read_rows(asset, day):
        key = str(row["id"])
        if key not in latest or row["updated_at"] >= latest[key][0]:
            latest[key] = (row["updated_at"], json.loads(row["record"]))
    return [record for _stamp, record in latest.values() if not record.get("deleted_at")]


def line_amount(line: Mapping[str, Any]) -> Decimal | None:
    """A commitment or change order line's amount: Procore's ``amount``, else quantity x unit cost."""
    found = amounts.amount(line.get("amount")) if line.get("amount") not in (None, "") else None
    if found is not None:
        return found
    quantity, unit_cost = amounts.amount(line.get("quantity")), amounts.amount(line.get("unit_cost"))
    if quantity is None or unit_cost is None:
        return None
    return (quantity * unit_cost).quantize(amounts.CENT)


def _approved_change_orders(
    reads: ProcoreReads, project_id: str, commitment_id: str, approved: Collection[str], lines: bool
) -> ChangeOrderLines | str:
    """The commitment's change orders whose status is ``approved`` (lower case), each with its lines (None
    when ``lines`` is off or Procore serves none; why, when they cannot be read); the reason when the
    project's change orders cannot be read."""
    change_orders = reads.change_orders(project_id)
    if isinstance(change_orders, str):
        return change_orders
    return [
        (change_order, reads.change_order_lines(project_id, change_order) if lines else None)
        for change_order in change_orders
        if str(change_order.get("contract_id")) == commitment_id
        and str(change_order.get("status") or "").lower() in approved
    ]


@dataclass
class RequisitionRead:
    """A requisition as Procore holds it now: its project (the staged record's, else its commitment's), its
    commitment and its lines; ``problem``: the first thing that could not be read, None when whole."""

    project_id: str
    commitment: dict[str, Any] | None
    lines: list[dict[str, Any]]
    problem: str | None


def read_requisition(reads: ProcoreReads, record: Mapping[str, Any]) -> RequisitionRead:
    """A staged requisition's commitment and lines, read live."""
    commitment_id = str(record.get("commitment_id") or "")
    project_id = str(record.get("_project_id") or record.get("project_id") or "")
    commitment = reads.commitment(commitment_id, project_id or None) if commitment_id else None
    found = commitment if isinstance(commitment, dict) else None
    project_id = project_id or str((found or {}).get("_project_id") or "")
    lines = (
        reads.requisition_lines(project_id, str(record.get("id"))) if project_id else "its project is unknown"
    )
    problem = commitment if isinstance(commitment, str) else None
    if isinstance(lines, str):
        return RequisitionRead(project_id, found, [], problem or lines)
    return RequisitionRead(project_id, found, lines, problem)


@dataclass
class CommitmentRead:
    """A commitment as Procore holds it now: its record, project, schedule of values and approved change
    orders with their lines; ``problem``: why the commitment, its lines or its project's change orders
    could not be read (what was read before is kept; nothing is read after)."""

    record: dict[str, Any] | None
    project_id: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    change_orders: ChangeOrderLines = field(default_factory=list)
    problem: str | None = None


def read_commitment(
    reads: ProcoreReads, commitment_id: str, project_id: str, approved: Collection[str], lines: bool = True
) -> CommitmentRead:
    """A commitment, its schedule of values and its change orders whose status is ``approved`` (lower case)
    with their lines (``lines`` off: none read), read live."""
    found = reads.commitment(commitment_id, project_id or None)
    record = found if isinstance(found, dict) else None
    project_id = project_id or str((record or {}).get("_project_id") or "")
    if record is None:
        return CommitmentRead(None, project_id, problem=str(found))
    lines = reads.commitment_lines(record, project_id)
    if isinstance(lines, str):
        return CommitmentRead(record, project_id, problem=lines)
    change_orders = _approved_change_orders(reads, project_id, commitment_id, approved, lines)
    if isinstance(change_orders, str):
        return CommitmentRead(record, project_id, lines, problem=f"its change orders: {change_orders}")
    return CommitmentRead(record, project_id, lines, change_orders)


def linked_vendors(ledger: Ledger, integration: str, target_system: str) -> dict[str, str]:
    """Procore vendor id -> the ``target_system`` id of every vendor the integration's vendors flow linked
    (a ``vendor`` cross-reference with a target id): the pairs whose Procore side must still exist."""
    x = schema.xref
    query = sa.select(x.c.source_key, x.c.target_id).where(
        x.c.integration == integration,
        x.c.entity == "vendor",
        x.c.source_system == "procore",
        x.c.target_system == target_system,
        x.c.target_id.is_not(None),
        x.c.target_id != "",
    )
    with ledger.read_transaction() as conn:
        return {str(key): str(target) for key, target in conn.execute(query)}


def company_reads(
    sessions: Any,
    procore: Any,
    records: Iterable[Mapping[str, Any]],
    vendors: Iterable[Mapping[str, Any]],
    vendor_companies: Mapping[str, int],
) -> ProcoreReads:
    """``ProcoreReads`` reading each record in its own company (projects' from the staged ``records``,
    vendors' from the ledger and the staged ``vendors``), the commitments ``records`` name read by list."""
    reads = ProcoreReads(sessions, first_company(procore))
    records = list(records)
    for record in records:
        reads.learn(record)
    reads.vendor_companies.update(vendor_companies)
    for vendor in vendors:
        if vendor.get("id") is not None:
            reads.vendor_companies[str(vendor["id"])] = record_company(vendor, reads.default_company)
    reads.commitments_ahead(records)
    return reads


# -- how a finance user knows them ---------------------------------------------------------------------------


def project_of(commitment: Mapping[str, Any] | None, project_id: str) -> str:
    """``project 55 1234 - Sandbox Test Project``: the id and the name a finance user knows it by."""
    name = project_label(commitment or {})
    return f"project {project_id}" + (f" {name}" if name else "")


def commitment_name(commitment: Mapping[str, Any] | None, commitment_id: str) -> str:
    """``commitment PO-007 (881234)``."""
    number = str((commitment or {}).get("number") or "").strip()
    return f"commitment {number} ({commitment_id})" if number else f"commitment {commitment_id}"


def period_of(requisition: Mapping[str, Any]) -> str:
    """The billing period (month) a requisition bills: ``requisition_start``, else ``billing_date``."""
    for name in ("requisition_start", "billing_date"):
        text = str(requisition.get(name) or "").strip()
        if len(text) >= 7 and text[:4].isdigit():
            return text[:7]
    return "no period"


def requisition_name(requisition: Mapping[str, Any], project: str, period: str) -> str:
    """``requisition 1280646 (INV-2025-03, project 55 Sandbox Test, period 2025-03)``."""
    invoice = str(requisition.get("invoice_number") or "").strip() or f"no. {requisition.get('number')}"
    return f"requisition {requisition.get('id')} ({invoice}, {project}, period {period})"
