"""Procore -> JD Edwards purchase orders (issue 13, flow 1): a commitment with an approved requisition
(subcontractor invoice) becomes one JDE purchase order, created once.

What is sent, and when. The day's staged requisitions (``procore_requisitions``) whose status is one of
``ML_PROCORE_JDE_APPROVED_STATUSES`` name their commitments; each commitment is read from Procore live
(the record and its schedule of values, in the record's own company: one session per Procore company for
the mapped step, ``procore.companies``) and mapped once however many approved requisitions it has
(``order_mappers.map_commitment``). A commitment changed on the day
(``procore_commitments``) that already has a JDE order is mapped again too, so its header follows.

The order: header on the project's job business unit and company (``procore_jde_project_map``),
Order_Type by kind of commitment (purchase order contract -> ``ML_PROCORE_JDE_PO_ORDER_TYPE``, work order
contract -> ``ML_PROCORE_JDE_WO_ORDER_TYPE``), supplier = the vendor's JDE address number, Reference
(F4301.VR01) ``PC-<commitment id>``, one G/L line per schedule of values line on the account its cost code
maps to (``procore_jde_cost_code_map``, checked against the staged F0901). A line whose cost code, project
or account does not resolve refuses the whole order with every problem named: a partial order would
understate the commitment. The order is held (not refused) while its vendor has no JDE supplier number
yet, and written once the vendors flow syncs the vendor.

Matching before a create: the ledger's cross-reference (commitment -> ``KCOO:DOCO:DCTO``), then F4301 by
VR01 + company + order type + supplier (adopt what a crashed attempt created: P4310 does not refuse a
second order with one reference), only then ``ML_CreatePurchaseOrder``. A written order whose commitment
is unchanged is skipped; a changed one has its header (reference, remark) updated and never its lines,
which receipts and vouchers in JDE may stand on (changes arrive as change orders: ``change_orders``).
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.integrations.procore_jde.cost_codes import COST_CODES, PROJECTS, CostCodeMap
from connector_assets.integrations.procore_jde.integration import INTEGRATION, ROUTE
from connector_assets.integrations.procore_jde.order_mappers import (
    OrderTypes,
    commitment_label,
    line_cost_code,
    map_commitment,
)
from connector_assets.integrations.procore_jde.vendor_holds import remember_held_vendor
from connector_assets.integrations.procore_jde.vendors import VENDORS_FLOW, Suppliers
from connector_assets.jde import targets
from connector_assets.jde.purchase_orders import (
    CREATE_PURCHASE_ORDER,
    PO_HEADER_TABLE,
    UPDATE_PURCHASE_ORDER,
)
from connector_assets.jde.purchase_orders import PurchaseOrders as JdePurchaseOrders
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.procore.companies import (
    first_company,
    queued_companies,
    record_company,
    tagged,
)
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings
from connector_resources.ledger import Ledger
from connector_resources.procore.errors import ProcoreNotFoundError

ENTITY = "purchase_order"
REQUISITIONS_ASSET = "procore_requisitions"
COMMITMENTS_ASSET = "procore_commitments"
MAPPING_ASSETS = (PROJECTS.asset, COST_CODES.asset)


@lazy_model
def PurchaseOrderRecord() -> type:
    """What ML_CreatePurchaseOrder accepts: a reference, a job, a supplier (or a hold on it), a date, at
    least one line."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class PurchaseOrderRecord(pa.DataFrameModel):
        reference: Series[str] = pa.Field(str_matches=r"^PC-\d{1,22}$")
        project_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")
        order_company: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 5})
        order_type: Series[str] = pa.Field(str_length={"min_value": 2, "max_value": 2})
        business_unit: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 12})
        supplier: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{1,8}$")  # None: held on its vendor
        order_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
        remark: Series[str] = pa.Field(str_length={"max_value": 30})
        currency: Series[str] = pa.Field(str_matches=r"^([A-Z]{3})?$")
        lines: Series[int] = pa.Field(ge=1, le=999)
        total: Series[str] = pa.Field(str_matches=r"^-?\d+\.\d{2}$")

        class Config:
            strict = True
            coerce = True

    return PurchaseOrderRecord


class PurchaseOrders(JdePurchaseOrders):
    source_label = "Procore"


def statuses(variable: str) -> frozenset[str]:
    """A comma-separated status setting, compared case-insensitively (Procore capitalises some)."""
    return frozenset(settings.read(variable))


def staged_records(staging: Any, asset: str, partition: str | None) -> Iterator[dict[str, Any]]:
    for row in staging.read_rows(asset, partition):
        yield json.loads(row["record"])


def approved_commitments(requisitions: Iterable[Mapping[str, Any]]) -> dict[str, int | None]:
    """Commitment id -> project id of the approved requisitions, each commitment once."""
    approved = statuses("ML_PROCORE_JDE_APPROVED_STATUSES")
    wanted: dict[str, int | None] = {}
    for requisition in requisitions:
        if str(requisition.get("status") or "").lower() not in approved:
            continue
        commitment = requisition.get("commitment_id")
        if commitment is None:
            continue
        project = requisition.get("_project_id") or requisition.get("project_id")
        wanted.setdefault(str(commitment), int(project) if project is not None else None)
    return wanted


def written_commitments(ledger: Ledger, commitments: Iterable[Mapping[str, Any]]) -> dict[str, int | None]:
    """Commitment id -> project id of the commitments changed on the day that already have a JDE order:
    mapped again, so a changed header reaches the order (unchanged ones are skipped by the ledger). A
    soft-deleted one is left alone: Procore locks approved commitments, and what becomes of an order
    whose commitment was deleted is a person's call in JDE."""
    wanted: dict[str, int | None] = {}
    for commitment in commitments:
        commitment_id = str(commitment.get("id") or "")
        if not commitment_id or commitment.get("deleted_at"):
            continue
        xref = ledger.get_xref(INTEGRATION, ENTITY, "procore", commitment_id, "JDE")
        if xref is not None and xref.target_id:
            project = commitment.get("_project_id") or (commitment.get("project") or {}).get("id")
            wanted[commitment_id] = int(project) if project is not None else None
    return wanted


def project_label(record: Mapping[str, Any]) -> str:
    project = record.get("project")
    return str(project.get("name") or "") if isinstance(project, Mapping) else ""


def _vendor_an8(session: Any, suppliers: Suppliers, vendor_id: str) -> str | None:
    """The vendor's address number (``Suppliers.an8``: the vendors flow's cross-reference, else a supplier
    JDE holds that its Procore origin id names; one read of the vendor, only when the ledger does not know
    it); None holds the order on its vendor."""

    def vendor() -> dict[str, Any] | None:
        try:
            return session.get("vendors", vendor_id)
        except ProcoreNotFoundError:
            return None

    return suppliers.an8(vendor_id, vendor)


def with_project(mapped: Mapped | Rejected, project: str) -> Mapped | Rejected:
    """``mapped`` carrying the Procore project id (in the mapped fields, or a refusal's payload), so a
    replay reads the record again from its project in one call (``queued_projects``)."""
    if isinstance(mapped, Rejected):
        return Rejected(mapped.source_key, mapped.reason, {"project_id": project})
    return Mapped(
        mapped.source_key,
        mapped.body,
        {**mapped.fields, "project_id": project},
        mapped.natural_key,
        mapped.depends_on,
    )


def commitment_record(
    session: Any, suppliers: Suppliers, books: CostCodeMap, commitment_id: str, project_id: int | None
) -> Mapped | Rejected:
    """One commitment read from Procore (record and schedule of values) and mapped."""
    try:
        commitment = session.get("commitments", commitment_id, project_id=project_id)
    except ProcoreNotFoundError as exc:
        return Rejected(
            commitment_id,
            f"commitment {commitment_id} of project {project_id or '(unknown)'} cannot be read from Procore "
            f"({exc}); check the service account's access to the project, then replay",
            {"project_id": str(project_id or "")},
        )
    project = str(commitment.get("_project_id") or project_id or "")
    label = project_label(commitment)
    kind = commitment.get("_commitment_type") or commitment.get("type")
    try:
        lines = list(session.commitment_lines(int(project), commitment_id, kind))
    except ProcoreNotFoundError as exc:  # an outage fails the step instead (rerun)
        return Rejected(
            commitment_id,
            f"{commitment_label(commitment)} on project {project}: its schedule of values cannot be read "
            f"from Procore ({exc}); nothing was sent to JDE",
            {"project_id": project},
        )
    job = books.job(project, label)
    accounts = [books.account(project, label, line_cost_code(line, {}) or "") for line in lines]
    vendor = commitment.get("vendor") if isinstance(commitment.get("vendor"), Mapping) else None
    vendor_id = str(vendor["id"]) if vendor and vendor.get("id") is not None else ""
    an8 = _vendor_an8(session, suppliers, vendor_id) if vendor_id else None
    mapped = map_commitment(
        commitment,
        lines,
        job=job,
        line_accounts=accounts,
        an8=an8,
        vendor_hold=VENDORS_FLOW.dependency_key(vendor_id) if vendor_id else None,
        order_types=OrderTypes.from_settings(),
    )
    return with_project(mapped, project)


def map_purchase_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The commitments of the partition's approved requisitions, and the written commitments changed in
    the partition, each read from Procore and mapped once."""
    staging = context.resources.staging
    ledger = context.resources.ledger.get()
    wanted = approved_commitments(staged_records(staging, REQUISITIONS_ASSET, partition))
    for commitment_id, project_id in written_commitments(
        ledger, staged_records(staging, COMMITMENTS_ASSET, partition)
    ).items():
        wanted.setdefault(commitment_id, project_id)
    if not wanted:
        return
    procore = context.resources.procore
    companies = commitment_companies(
        staged_records(staging, REQUISITIONS_ASSET, partition),
        staged_records(staging, COMMITMENTS_ASSET, partition),
        first_company(procore),
    )
    books = CostCodeMap.load(staging)
    suppliers = Suppliers(ledger, context.resources.jde)
    with procore.company_sessions() as sessions:
        for commitment_id, project_id in wanted.items():
            company = companies.get(commitment_id) or first_company(procore)
            record = commitment_record(sessions.session(company), suppliers, books, commitment_id, project_id)
            remember_held_vendor(ledger, record, company)
            yield tagged(record, company)


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


def queued_projects(ledger: Ledger, flow: str, keys: Iterable[str]) -> dict[str, int | None]:
    """Source key -> the Procore project its queued item names (``project_id`` in the mapped fields or
    the refusal's payload), so a replay reads the record from its project in one call."""
    wanted = set(keys)
    found: dict[str, int | None] = dict.fromkeys(wanted)
    for item in ledger.open_items(integration=INTEGRATION, flow=flow, limit=100_000):
        if item.source_key not in wanted:
            continue
        payload = item.payload or {}
        project = (payload.get("fields") or {}).get("project_id") or payload.get("project_id")
        if project and str(project).isdigit():
            found[item.source_key] = int(project)
    return found


def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named commitments read from Procore again and mapped with today's tables (replay)."""
    staging = context.resources.staging
    books = CostCodeMap.today(staging)
    ledger = context.resources.ledger.get()
    projects = queued_projects(ledger, "purchase_orders", keys)
    procore = context.resources.procore
    companies = queued_companies(ledger, INTEGRATION, "purchase_orders", keys, first_company(procore))
    suppliers = Suppliers(ledger, context.resources.jde)
    with procore.company_sessions() as sessions:
        for commitment_id in keys:
            company = companies[commitment_id]
            record = commitment_record(
                sessions.session(company), suppliers, books, commitment_id, projects.get(commitment_id)
            )
            remember_held_vendor(ledger, record, company)
            yield tagged(record, company)


PURCHASE_ORDERS_FLOW = ROUTE.flow(
    "purchase_orders",
    ENTITY,
    PurchaseOrderRecord,
    map_purchase_orders,
    remap_purchase_orders,
    targets.jde_target_for_run(PurchaseOrders, lambda: PURCHASE_ORDERS_FLOW),
    # Procore: each commitment by id with its schedule of values (``commitment_lines``), its vendor.
    reads={
        "JDE": (PO_HEADER_TABLE,),
        "procore": ("commitments", "commitment_line_items", "vendors", "cost_codes"),
    },
    writes={"JDE": (CREATE_PURCHASE_ORDER, UPDATE_PURCHASE_ORDER)},
)

purchase_order_assets = build_flow_assets(
    PURCHASE_ORDERS_FLOW,
    partitions_def=saas_daily_partitions(),
    # After the vendors' write: in one run, an order's vendor is synced before the order is mapped.
    upstream=[
        REQUISITIONS_ASSET,
        COMMITMENTS_ASSET,
        GL_ACCOUNTS.asset,
        *MAPPING_ASSETS,
        f"{VENDORS_FLOW.flow}_written",
    ],
    resource_keys={"jde", "procore"},
    group=INTEGRATION,
    kinds={"procore", "jde"},
)
