"""Procore -> JD Edwards change orders (flow 5): an approved commitment change order added to its
commitment's JDE order once, whole (line for line or as its ``grand_total``), its lines under
``PCCO-<change order id>``. Rules and calls: docs/integrations/procore_jde.md, "The flows" (change orders)."""

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from itertools import chain
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.assembly import Flow
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, Unchanged
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.replays import Replay
from connector_assets.flows.unread_holds import held_unread
from connector_assets.jde.purchase_orders import PO_LINE_TABLE, parse_order_id
from connector_assets.jde.purchase_orders import PurchaseOrderLines as JdePurchaseOrderLines
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.procore.companies import first_company, tagged
from connector_assets.procore.document_fields import line_cost_code
from connector_assets.procore.document_reads import (
    Kept,
    ProjectLabels,
    change_order_lines,
    kept_session,
    step_kept,
)
from connector_assets.procore.queued_reads import PerCompany, queued, read_queued
from connector_assets.procore.staged_documents import approved, staged_records, with_project
from connector_resources.jde import Condition
from connector_resources.ledger import Ledger
from connector_resources.refusals import refused

from .change_order_totals import AUTO, total_account, total_line
from .cost_codes import CostCodeMap
from .integration import Own
from .order_mappers import OrderTypes, change_order_label, map_change_order
from .purchase_orders import commitment_order, order_flow_assets

ENTITY = "change_order"
VERSION_FIELD = "procore_version"  # the digest of the change order as Procore listed it (``procore_version``)


@lazy_model
def ChangeOrderRecord() -> type:
    """What ML_UpdatePurchaseOrder accepts to add lines: the order (or a hold on it), at least one line,
    one line reference."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ChangeOrderRecord(pa.DataFrameModel):
        reference: Series[str] = pa.Field(str_matches=r"^PCCO-\d{1,20}$")
        project_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")
        commitment_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")
        order_company: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1, "max_value": 5})
        order_number: Series[float] = pa.Field(nullable=True, gt=0)  # None: held until the order is written
        order_type: Series[str] = pa.Field(nullable=True, str_length={"min_value": 2, "max_value": 2})
        lines: Series[int] = pa.Field(ge=1, le=999)
        total: Series[str] = pa.Field(str_matches=r"^-?\d+\.\d{2}$")
        procore_version: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$")

        class Config:
            strict = True
            coerce = True

    return ChangeOrderRecord


class PurchaseOrderLines(JdePurchaseOrderLines):
    """Change order lines on a JDE order; one already under its ``PCCO-<id>`` reference and mapped the other
    way since is recognised by its total (docs: "The flows", change orders)."""

    source_label = "Procore"

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        xref = self._xref(record)
        total = Decimal(record.fields["total"])
        if xref is not None and xref.target_id and self.added_total(record) == total:
            # a skip: the ledger keeps the new digest
            return Unchanged(
                f"already on JDE order {target_id.rsplit(':', 1)[0]} under line reference "
                f"{record.fields['reference']} for {record.fields['total']}, added the other way (line for "
                "line or as its total); nothing added"
            )
        super().update(target_id, record)  # refuses a change order changed since its lines were added
        return None

    def added_total(self, record: Mapped) -> Decimal:
        """What the lines under the record's reference add to its JDE order (F4311.AEXP)."""
        company, number, order_type, reference = self._key(record)
        key = {"KCOO": company, "DOCO": number, "DCTO": order_type, "VR01": reference}
        where = [Condition(f"{PO_LINE_TABLE}.{column}", "EQUAL", value) for column, value in key.items()]
        rows = self.session.browse(PO_LINE_TABLE, columns=[*key, "AEXP"], conditions=where)
        mine = [row for row in rows if str(row.get("VR01") or "").strip() == reference]
        return sum((Decimal(str(row.get("AEXP") or 0)) for row in mine), Decimal(0))


def change_order_record(
    own: Own,
    orders: FlowSpec,
    session: Any,
    ledger: Ledger,
    books: CostCodeMap,
    labels: ProjectLabels,
    change_order: Mapping[str, Any],
    mode: str = AUTO,
) -> Mapped | Rejected:
    """One change order mapped onto its commitment's order (``orders``' record in ``own``), line for line
    or as its ``grand_total`` (``change_order_totals``); its lines read at its commitment kind's path
    (``commitment_kind``)."""
    contract = str(change_order.get("contract_id") or "")
    order = commitment_order(own, ledger, contract)
    project = str(change_order.get("_project_id") or change_order.get("project_id") or "")
    if order is None and contract.isdigit() and project.isdigit():  # held: its lines read when released
        hold = orders.dependency_key(contract)
        held = held_unread(ledger, ENTITY, str(change_order.get("id") or ""), hold)
        if held is not None:
            return with_project(held, project)
    kind = commitment_kind(own, order)
    mode_setting = own.it.variable("change_order_lines")
    read = change_order_lines(
        session, change_order, "JDE", mode, commitment_type=kind, mode_setting=mode_setting
    )
    if isinstance(read, Rejected):
        return read
    project, commitment_id, read_lines = read
    label = labels(project)
    # An account of JDE's chart not set up yet holds the change order on it (``order_mappers``).
    view, waits = books.awaiting(f"{change_order_label(change_order)} of commitment {commitment_id}")
    if read_lines is None:
        if amounts.amount(change_order.get("grand_total")) == 0:
            sentence = (
                f"{change_order_label(change_order)} of commitment {commitment_id} on project {project}: its "
                "grand_total is 0.00 and its line items cannot be read, so there is nothing to add to the "
                "JDE order"
            )
            empty = refused(sentence, rule="nothing to add")
            return Rejected.of(str(change_order.get("id") or ""), empty, {"project_id": project})
        account = total_account(session, view, project, label, commitment_id, kind)
        if isinstance(account, Rejected):
            return with_project(account, project)
        lines, accounts = [total_line(change_order)], [account]
    else:
        lines = read_lines
        accounts = [view.account(project, label, line_cost_code(line, {}) or "") for line in lines]
    mapped = map_change_order(
        change_order,
        lines,
        project=f"{project} ({label})" if label else project,
        line_accounts=accounts,
        order=parse_order_id(order) if order else None,
        order_hold=orders.dependency_key(commitment_id),
        waits=waits,
    )
    if isinstance(mapped, Mapped):
        mapped = replace(mapped, fields={**mapped.fields, VERSION_FIELD: procore_version(change_order)})
    return with_project(mapped, project)


def commitment_kind(own: Own, order: str | None) -> str | None:
    """The kind of the commitment whose JDE order is ``order`` (``KCOO:DOCO:DCTO``), as ``own``'s purchase
    orders flow wrote it: its order type (DCTO) by kind of commitment (``OrderTypes``). None with no order,
    or when the order type does not tell the kinds apart (or the order's key is not one)."""
    try:
        return OrderTypes.of_instance(own.it).kind_of(parse_order_id(order)[2]) if order else None
    except ValueError:  # a key entered by hand that is not KCOO:DOCO:DCTO: the kind stays unknown
        return None


def procore_version(change_order: Mapping[str, Any]) -> str:
    """A digest of the change order as Procore listed it (every field staged): what a rerun compares to
    know it unchanged since it was mapped."""
    text = json.dumps(change_order, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def still_on_order(
    own: Own, ledger: Ledger, previous: Mapping[str, Mapped], change_order: Mapping[str, Any]
) -> Mapped | None:
    """The record the day's last run mapped for ``change_order`` when it is on its JDE order already and
    nothing it was mapped from has changed (content hash, ``procore_version``, the order), passed to the
    write step again (a skip) at no Procore read; None otherwise. Docs: "The flows" (change orders)."""
    key = str(change_order.get("id") or "")
    record = previous.get(key)
    if record is None or record.fields.get(VERSION_FIELD) != procore_version(change_order):
        return None
    route = own.route
    xref = ledger.get_xref(own.name, ENTITY, route.source_system, key, route.target_system)
    if xref is None or not xref.target_id or xref.content_hash != record.content_hash():
        return None
    order = commitment_order(own, ledger, str(change_order.get("contract_id") or ""))
    on = (record.body.get("Order_Company"), record.body.get("Order_Number"), record.body.get("Order_Type"))
    return record if order and parse_order_id(order) == on else None


def mapped_before(spec: FlowSpec, staging: Any, partition: str | None) -> dict[str, Mapped]:
    """The change orders the day's last run of the flow ``spec`` staged for its write step, by source key."""
    rows = staging.read_rows(spec.key("mapped"), partition)
    return {str(row["source_key"]): Mapped.from_payload(json.loads(row["payload"])) for row in rows}


def approved_change_orders(own: Own, records: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return approved(records, own.statuses("change_order_statuses"))


def labelled(session: Any, kept: Kept) -> ProjectLabels:
    """Project names on ``session``, which keeps its cost codes and commitment lines in the run's ``kept``."""
    return ProjectLabels(kept_session(session, kept), kept.project_names)


def change_orders_flow(own: Own, orders: FlowSpec, vendors: FlowSpec) -> Flow:
    """``own``'s change orders flow, each waiting for its commitment's order (``orders``' record)."""

    def map_change_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's approved change orders, each with its lines read from Procore; one the day's last
        run mapped and wrote, unchanged since (``still_on_order``), passed on as it was mapped, unread."""
        staging = context.resources.staging
        approved = approved_change_orders(own, staged_records(staging, own.procore.change_orders, partition))
        if not approved:
            return
        ledger = context.resources.ledger.get()
        previous = mapped_before(spec, staging, partition)
        unread = []
        for change_order in approved:
            kept = still_on_order(own, ledger, previous, change_order)
            if kept is None:
                unread.append(change_order)
            else:
                yield kept
        if not unread:
            return
        books = own.costs.load(staging)
        procore, mode = context.resources.procore, own.it.setting("change_order_lines")
        with procore.company_sessions() as sessions:
            # the run's cost codes and commitment lines (``kept_session``): read once by every step of the run
            labels = PerCompany(
                sessions,
                first_company(procore),
                lambda session: labelled(session, step_kept(context, session.company_id)),
            )
            for change_order in unread:
                company, label = labels(change_order)
                # kept for the run: one held on its order here is mapped again unread when a pull releases it
                step_kept(context, company).change_orders[str(change_order.get("id") or "")] = change_order
                record = change_order_record(
                    own, orders, label.session, ledger, books, label, change_order, mode
                )
                yield tagged(record, company)

    def remap_change_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named change orders read from Procore again and mapped with today's tables (replay); one the
        run listed already (released by a pull of its order in the run that staged it) mapped as listed,
        unread. One that is no longer approved is not yielded: the replay then says it is no longer something
        to write."""
        books = own.costs.today(context.resources.staging)
        ledger = context.resources.ledger.get()
        wanted = own.statuses("change_order_statuses")
        procore, mode = context.resources.procore, own.it.setting("change_order_lines")
        places = queued(ledger, own.name, spec.name, keys, first_company(procore))
        listed = {
            key: found
            for key in keys
            if (found := step_kept(context, places.companies[key]).change_orders.get(key)) is not None
        }
        with procore.company_sessions() as sessions:
            # the run's cost codes, commitment lines and project names, as the mapping step's
            labels = PerCompany(
                sessions,
                first_company(procore),
                lambda session: labelled(session, step_kept(context, session.company_id)),
            )
            read = read_queued(
                sessions,
                "commitment_change_orders",
                "change order",
                [k for k in keys if k not in listed],
                places,
            )
            ones = chain(((places.companies[k], listed[k]) for k in listed), ((c, r) for _, c, _, r in read))
            for company, change_order in ones:
                if isinstance(change_order, Rejected):
                    yield change_order
                elif str(change_order.get("status") or "").lower() in wanted:
                    label = labels.of(company)
                    record = change_order_record(
                        own, orders, label.session, ledger, books, label, change_order, mode
                    )
                    yield tagged(record, company)

    spec = own.route.flow(
        "change_orders",
        ENTITY,
        ChangeOrderRecord,
        map_change_orders,
        remap_change_orders,
        PurchaseOrderLines,
        # Procore: the change order's lines (REST v2.0; not in total mode); a line without its own cost
        # code takes that of the commitment line it changes; as its total, the commitment and its lines are
        # read for the account of its largest line.
        reads={
            "JDE": (PO_LINE_TABLE,),
            "procore": (
                "commitment_change_orders",
                "commitment_change_order_line_items",
                "commitments",
                "commitment_line_items",
                "projects",
                "cost_codes",
            ),
        },
    )
    # A change order waits for its commitment's order; the vendors flow is named for that order's own
    # vendor, pulled before it (``parent_pull``).
    assets = order_flow_assets(own, spec, (own.procore.change_orders,), orders, (orders, vendors))
    replay = Replay(PurchaseOrderLines.for_replay, own.resources, outside=JDE_CHECKS)
    return Flow(spec, assets, replay=replay)
