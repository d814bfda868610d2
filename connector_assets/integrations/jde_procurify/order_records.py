"""A JD Edwards order as the requisition the purchase orders flow sends (body from ``order_mappers``, with the
department, vendor name and account codes gathered here), or held, refused or left out saying why. Depth:
docs/integrations/jde_procurify.md, "The flows" (purchase orders).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from connector_assets.flows.core import WAITS_FOR, Mapped, Rejected, dependency_synced
from connector_assets.flows.reconciliation import iso_day
from connector_assets.jde.account_codes import AccountMap
from connector_assets.jde.documents import JdePurchaseOrder
from connector_assets.jde.order_status import (
    OrderPolicy,
    all_done,
    line_account,
    live_lines,
    not_approved,
    order_source_key,
)
from connector_assets.procurify.order_lookups import ProcurifyLookups
from connector_assets.procurify.record_reads import RecordReadFailed, queued_for_read, read_for_record
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import SYSTEM
from connector_resources.refusals import Refusal, mapping_missing, master_missing, refused, source_invalid

from .departments import ProcurifyDepartments, business_unit, placement, unplaced_reason
from .order_mappers import (
    OrderLinesMapped,
    missing_required,
    order_total,
    requisition_body,
    requisition_lines,
)
from .own import ORDER_ENTITY as ENTITY  # the flow's xref: JDE order KCOO:DOCO:DCTO -> requisition uuid
from .own import Own
from .vendor_pairs import an8_key


def sent_requisition(own: Own, ledger: Ledger, key: str) -> str | None:
    """The requisition uuid ``own``'s flow wrote for JDE order ``key``, None when never sent."""
    route = own.route
    xref = ledger.get_xref(own.name, ENTITY, route.source_system, key, route.target_system)
    return xref.target_id if xref is not None and xref.target_id else None


def lines_refused(sentence: str, mapped: OrderLinesMapped, own: Own) -> Refusal:
    """The lines' problems (``lines_refusal``, worded ``sentence``) as data: the accounts without a Procurify
    code are rows missing from the account map, each named; else a line without an account in JDE."""
    if mapped.unmapped:
        table = own.accounts.asset.to_user_string()
        value = mapped.unmapped[0] if len(mapped.unmapped) == 1 else list(mapped.unmapped)
        return mapping_missing(sentence, table=table, what="account", value=value)
    return source_invalid(sentence, field="F4311 ANI")


def lines_refusal(mapped: OrderLinesMapped, own: Own) -> str:
    """The lines' problems, with the account-map advice only for the accounts it can fix (those without
    a Procurify code); a line with no account is told to fix the JDE line (``missing_account``)."""
    text = "; ".join(mapped.problems)
    if mapped.unmapped:
        accounts = ", ".join(mapped.unmapped)
        plural = "s" if len(mapped.unmapped) > 1 else ""
        text += (
            f" (add account{plural} {accounts} to {own.accounts.asset.to_user_string()} or "
            f"${own.account_map.scope_type.setting}, then replay)"
        )
    return text


def paired_vendors(own: Own, ledger: Ledger, orders: Iterable[JdePurchaseOrder]) -> set[str]:
    """The Procurify vendors paired with the suppliers of ``orders`` (those with a header): the vendors
    ``order_record`` may read."""
    pairs = (own.pairing.paired_vendor(ledger, an8_key(o.header["AN8"])) for o in orders if o.header)
    return {vendor for vendor in pairs if vendor}


def order_record(
    own: Own,
    order: JdePurchaseOrder,
    policy: OrderPolicy,
    ledger: Ledger,
    procurify: ProcurifyLookups[ProcurifyDepartments],
    departments: Mapping[str, str],
    codes: AccountMap,
) -> Mapped | Rejected | None:
    """The order as ``own``'s requisition, a refusal naming the cause, or None when it is not sent (not
    approved, or complete in JDE before it was ever sent)."""
    if order.header is None:
        key = ":".join(str(k) for k in order.key[:3])
        said = f"purchase order {key}: lines changed but no F4301 header was found"
        return Rejected.of(key, source_invalid(said, field="F4301 header"))
    header, lines = order.header, order.lines
    key = order_source_key(header)
    label = f"purchase order {key}"
    sent = sent_requisition(own, ledger, key) is not None
    why_not = not_approved(header, lines, policy)
    if why_not is not None:
        if sent and not live_lines(lines, policy):
            said = (
                f"{label} was cancelled in JDE after it was sent to Procurify; the API cannot cancel a "
                "requisition or a PO: cancel it in Procurify by hand, then abandon this item"
            )
            return Rejected.of(key, refused(said, rule="cancelled in JDE after it was sent"))
        return None  # not approved (yet): nothing to send; a later change brings it back
    if not sent and all_done(lines, policy):
        return None  # received and closed in JDE before it was ever sent: nothing left to buy
    where = placement(header.get("MCU"), departments)
    if where is None:
        said = f"{label}: {unplaced_reason(header.get('MCU'), own.departments)}"
        table = own.departments.asset.to_user_string()
        unit = business_unit(header.get("MCU"))
        return Rejected.of(key, mapping_missing(said, table=table, what="business unit", value=unit))
    problem = procurify.departments.problem(where, header.get("MCU"), own.departments)
    if problem:
        said = f"{label}: {problem}"
        return Rejected.of(key, master_missing(said, system=SYSTEM, what="department", value=str(where)))
    missing = missing_required(header, live_lines(lines, policy), it=own.it)
    if missing is not None:
        field, why = missing
        return Rejected.of(key, source_invalid(f"{label} {why}", field=field))
    an8 = an8_key(header["AN8"])
    vendor_id = own.pairing.paired_vendor(ledger, an8)
    depends_on: str | None = None
    vendor_name: str | None = None
    if vendor_id is None:
        depends_on = own.pairing.supplier_dependency(an8)
    else:
        try:
            vendor_name, problem = read_for_record(
                f"its supplier's Procurify vendor {vendor_id}",
                lambda: procurify.vendor_name(vendor_id, f"JDE supplier {an8}"),
            )
        except RecordReadFailed as failed:  # this order alone waits for Procurify; the day goes on
            return queued_for_read(key, label, failed)
        if problem:
            return Rejected.of(key, Refusal(problem.kind, f"{label}: {problem.sentence}", problem.params))
    accounts = {a for a in (line_account(li, policy) for li in live_lines(lines, policy)) if a}
    codes_of = {a: codes.code_for(a) for a in accounts}
    mapped = requisition_lines(header, lines, policy, codes_of, vendor_name, it=own.it)
    if mapped.problems:
        return Rejected.of(key, lines_refused(f"{label}: {lines_refusal(mapped, own)}", mapped, own))
    if depends_on is None:
        depends_on = next(
            (
                dep
                for dep in sorted(own.account_code_dependency(a) for a in accounts)
                if not dependency_synced(ledger, dep)
            ),
            None,
        )
    body = requisition_body(header, where.location, where.department, mapped.lines, it=own.it)
    created = iso_day(header.get("TRDJ"))  # a date: staged typed, or converted by the AIS client
    linked = own.links.linked_po(ledger, key)
    record = requisition_record(key, body, an8, created, linked, vendor_id, depends_on)
    if vendor_name is None and depends_on:
        # No vendor yet (RequisitionLineCreateRequest's ``vendor_name`` is a non-null string): nothing to
        # send; held on the supplier and mapped again once its vendor is written.
        return Mapped(key, {WAITS_FOR: depends_on}, record.fields, record.natural_key, depends_on)
    return record


def requisition_record(
    key: str,
    body: dict[str, Any],
    supplier: str,
    created_since: str | None,
    linked_po: str | None,
    vendor_id: str | None,
    depends_on: str | None = None,
) -> Mapped:
    """The record of JDE order ``key`` as requisition ``body``: ``fields`` what the record model checks;
    ``natural_key``, not hashed (``content_hash`` is the body's), how to find the requisition and what a
    revision of its PO needs, known when the order is mapped (a replay's target has no ledger of its own)."""
    fields = {
        "order": key,
        "description": body["description"],
        "supplier": supplier,
        "location": body["location_name"],
        "department": body["department_name"],
        "lines": len(body["line_items"]),
        "total": float(order_total(body)),
    }
    natural_key = {
        "description": body["description"],
        "created_since": created_since,
        "linked_po": linked_po,
        "vendor_id": vendor_id,
    }
    return Mapped(key, body, fields, natural_key, depends_on)
