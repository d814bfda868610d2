"""Both sides of a Procore -> JDE reconciliation, read from the systems themselves by key, calls counted.

Never from our ledger alone (it could share a bug with the writer): the ledger only says which JDE record
is whose counterpart (the cross-reference) and why a missing one is missing (the retry queue's reason).

JDE, by the keys the flows write, 100 keys to a call (``MATCH_ANY``), never a whole table:

* vouchers: F0411Z1 (pay items) and F0911Z1 (distribution) by EDTN ``PROCORE-REQ-<id>``, kept when EDUS
  is ``MLPROCORE`` and EDBT ``PR<id>`` (the batch key ``voucher_mappers.BatchKey`` derives; ``PQ`` /
  ``PROCOREQ-`` with the id in base 36 for ids over 10 digits);
* purchase orders: F4301 by VR01 ``PC-<commitment id>``; F4311 lines of those orders by DOCO, kept when
  company and type match (lines added by change orders carry VR01 ``PCCO-<id>``);
* suppliers: F0401 by AN8 (and F0101 for the name).

Procore: the day's approved requisitions from the staged ``procore_requisitions`` (latest version each,
approved as this integration's settings say), everything else live through the Procore side's
``ProcoreReads`` (``connector_assets.procore.reads``).
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.order_mappers import CHANGE_ORDER_PREFIX, order_reference
from connector_assets.integrations.procore_jde.purchase_orders import REQUISITIONS_ASSET, statuses
from connector_assets.integrations.procore_jde.reconcile.report import amount
from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.purchase_orders import PO_HEADER_TABLE, PO_LINE_TABLE, order_id, parse_order_id
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS
from connector_assets.jde.targets import BATCH_TABLE, JOURNAL_TABLE
from connector_resources.ledger import Ledger, schema

# -- accounts ------------------------------------------------------------------------------------------------


def account_key(text: Any) -> str:
    """An account as ``BU.OBJ.SUB`` with each part trimmed and a blank subsidiary dropped (``M30.7120``), so
    what the cost-code map says and what a JDE row holds compare equal."""
    parts = [p.strip() for p in str(text or "").split(".")]
    while len(parts) > 2 and not parts[-1]:
        parts.pop()
    return ".".join(parts)


def row_account(row: Mapping[str, Any], unit_column: str) -> str:
    """The account of an F4311 J line (``OMCU``) or an F0911Z1 line (``MCU``): business unit, object and
    subsidiary; the account as entered (``ANI``) when those are blank."""
    unit, obj = str(row.get(unit_column) or "").strip(), str(row.get("OBJ") or "").strip()
    if unit and obj:
        return account_key(f"{unit}.{obj}.{row.get('SUB') or ''}")
    return account_key(row.get("ANI"))


# -- JDE: vouchers -------------------------------------------------------------------------------------------


@dataclass
class JdeVoucher:
    """What JDE holds of one requisition's voucher batch: its pay items and distribution by account."""

    key: BatchKey
    gross: Decimal = Decimal(0)
    pay_items: int = 0
    supplier: str = ""
    order: str = ""  # KCOO:DOCO:DCTO the pay item names, blank when none
    by_account: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def voucher_batches(session: Any, requisition_ids: Iterable[str]) -> dict[str, JdeVoucher]:
    """Requisition id -> its voucher batch in JDE (F0411Z1 + F0911Z1 by batch key); absent when JDE holds
    no pay item under the key."""
    keys = {rid: BatchKey.for_requisition(rid) for rid in sorted(set(requisition_ids))}
    if not keys:
        return {}
    by_transaction = {key.transaction: (rid, key) for rid, key in keys.items()}
    found: dict[str, JdeVoucher] = {}
    columns = ["EDUS", "EDBT", "EDTN", "EDLN", "AG", "AN8", "PKCO", "PO", "PDCT"]
    for row in browse_in(session, BATCH_TABLE, "EDTN", list(by_transaction), columns):
        mine = _batch_of(row, by_transaction)
        if mine is None:
            continue
        voucher = found.setdefault(mine[0], JdeVoucher(mine[1]))
        voucher.gross += amount(row.get("AG"))
        voucher.pay_items += 1
        voucher.supplier = str(row.get("AN8") or "").strip()
        if str(row.get("PO") or "").strip() not in ("", "0"):
            voucher.order = order_id(row.get("PKCO"), row.get("PO"), row.get("PDCT"))
    columns = ["EDUS", "EDBT", "EDTN", "EDLN", "AA", "ANI", "MCU", "OBJ", "SUB"]
    for row in browse_in(session, JOURNAL_TABLE, "EDTN", list(by_transaction), columns):
        mine = _batch_of(row, by_transaction)
        if mine is not None and mine[0] in found:
            found[mine[0]].by_account[row_account(row, "MCU")] += amount(row.get("AA"))
    return found


def _batch_of(row: Mapping[str, Any], by_transaction: dict[str, tuple[str, BatchKey]]) -> Any:
    """(requisition id, key) when the row is under one of the keys (user, batch and transaction)."""
    mine = by_transaction.get(str(row.get("EDTN") or "").strip())
    if mine is None:
        return None
    key = mine[1]
    same = (str(row.get("EDUS") or "").strip(), str(row.get("EDBT") or "").strip()) == (key.user, key.batch)
    return mine if same else None


# -- JDE: purchase orders ------------------------------------------------------------------------------------


@dataclass
class JdeOrder:
    """One JDE purchase order: its key, supplier, and its lines' extended cost by account; the line
    references (F4311.VR01) it carries, with their amounts (change orders' ``PCCO-<id>`` lines)."""

    key: str  # KCOO:DOCO:DCTO
    reference: str
    supplier: str
    by_account: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    by_reference: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def purchase_orders(
    session: Any, commitment_ids: Iterable[str], written: Mapping[str, str | None]
) -> dict[str, JdeOrder]:
    """Commitment id -> its JDE purchase order: F4301 by VR01 ``PC-<id>`` (the one the cross-reference
    names in ``written`` when JDE holds several, else the oldest), with its F4311 lines."""
    references = {order_reference(cid): cid for cid in sorted(set(commitment_ids))}
    if not references:
        return {}
    candidates: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in browse_in(
        session, PO_HEADER_TABLE, "VR01", list(references), ["KCOO", "DOCO", "DCTO", "AN8", "VR01"]
    ):
        cid = references.get(str(row.get("VR01") or "").strip())
        if cid is not None:
            key = order_id(row.get("KCOO"), row.get("DOCO"), row.get("DCTO"))
            candidates[cid].append((key, str(row.get("AN8") or "").strip()))
    orders: dict[str, JdeOrder] = {}
    for cid, found in candidates.items():
        chosen = [f for f in found if f[0] == written.get(cid)] or sorted(found, key=lambda f: _doco(f[0]))
        orders[cid] = JdeOrder(chosen[0][0], order_reference(cid), chosen[0][1])
    by_key = {order.key: order for order in orders.values()}
    numbers = sorted({parse_order_id(key)[1] for key in by_key})
    columns = ["KCOO", "DOCO", "DCTO", "LNID", "VR01", "AEXP", "ANI", "OMCU", "OBJ", "SUB"]
    for row in browse_in(session, PO_LINE_TABLE, "DOCO", numbers, columns):
        order = by_key.get(order_id(row.get("KCOO"), row.get("DOCO"), row.get("DCTO")))
        if order is None:
            continue
        extended = amount(row.get("AEXP"))
        order.by_account[row_account(row, "OMCU")] += extended
        reference = str(row.get("VR01") or "").strip()
        if reference.startswith(CHANGE_ORDER_PREFIX):
            order.by_reference[reference] += extended
    return orders


def _doco(key: str) -> int:
    return parse_order_id(key)[1]


# -- JDE: suppliers ------------------------------------------------------------------------------------------


def jde_suppliers(session: Any, an8s: Iterable[str]) -> dict[str, str]:
    """AN8 -> name of the address numbers JDE holds as suppliers (F0401, named from F0101)."""
    wanted = sorted({int(a) for a in an8s if str(a).isdigit()})
    if not wanted:
        return {}
    held = {str(r["AN8"]).strip() for r in browse_in(session, SUPPLIERS.table, "AN8", wanted, ["AN8"])}
    names = {
        str(r["AN8"]).strip(): str(r.get("ALPH") or "").strip()
        for r in browse_in(session, ADDRESS_BOOK.table, "AN8", sorted(int(a) for a in held), ["AN8", "ALPH"])
    }
    return {an8: names.get(an8, "") for an8 in held}


# -- Procore -------------------------------------------------------------------------------------------------


def staged_approved(staging: Any, day: str) -> list[dict[str, Any]]:
    """The day's requisitions whose status counts as approved (``ML_PROCORE_JDE_APPROVED_STATUSES``), the
    latest staged version of each, deleted ones left out."""
    approved = statuses("ML_PROCORE_JDE_APPROVED_STATUSES")
    latest: dict[str, tuple[Any, dict[str, Any]]] = {}
    for row in staging.read_rows(REQUISITIONS_ASSET, day):
        key = str(row["id"])
        if key not in latest or row["updated_at"] >= latest[key][0]:
            latest[key] = (row["updated_at"], json.loads(row["record"]))
    return [
        record
        for _stamp, record in latest.values()
        if str(record.get("status") or "").lower() in approved and not record.get("deleted_at")
    ]


# -- the ledger ----------------------------------------------------------------------------------------------


def queued_reasons(ledger: Ledger, flow: str) -> dict[str, str]:
    """Source key -> why it waits in the flow's retry queue (a held record: what it waits for)."""
    return {
        item.source_key: (f"held: {item.reason}" if item.status == "held" else item.reason)
        for item in ledger.open_items(integration=INTEGRATION, flow=flow, limit=100_000)
    }


def written_target(ledger: Ledger, entity: str, source_key: str) -> str | None:
    """The JDE id the cross-reference names for a Procore record, None when it names none."""
    xref = ledger.get_xref(INTEGRATION, entity, "procore", source_key, "JDE")
    return xref.target_id if xref is not None and xref.target_id else None


def linked_vendors(ledger: Ledger) -> dict[str, str]:
    """Procore vendor id -> JDE address number of every vendor the vendors flow linked to a supplier (a
    cross-reference with a target id): the pairs whose Procore side must still exist."""
    x = schema.xref
    query = sa.select(x.c.source_key, x.c.target_id).where(
        x.c.integration == INTEGRATION,
        x.c.entity == "vendor",
        x.c.source_system == "procore",
        x.c.target_system == "JDE",
        x.c.target_id.is_not(None),
        x.c.target_id != "",
    )
    with ledger.read_transaction() as conn:
        return {str(key): str(target) for key, target in conn.execute(query)}
