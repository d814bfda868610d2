"""JD Edwards -> Procurify: approved purchase orders (F4301 + F4311) -> one Procurify requisition each.

The Procurify API creates requisitions, not purchase orders (reference §2.4/§2.5): an approved JDE order
becomes a requisition carrying the JDE order in its description (``order_mappers``); a Procurify admin
approves and purchases it inside Procurify, which makes the PO; the ``po_links`` flow then links that PO
to the JDE order and sets its ``PO_Num``. Which orders are "approved", how lines and amounts map: see
``order_mappers``.

A day's partition holds the orders whose header or any line changed that day (F4301/F4311 UPMJ); the
whole order is read from JDE and mapped:

* location and department: the order's business unit through the department table (``departments``),
  checked against Procurify's departments before anything is sent;
* each line's vendor: the Procurify vendor paired with the order's supplier (``vendor_pairs``), by its
  name, as the API takes it. A supplier not synced yet holds the order on
  ``supplier_dependency(an8)``, released when the supplier syncs (by the ``suppliers`` flow, or by the
  ``vendors`` flow pairing a vendor made in Procurify). A name two active Procurify vendors share is
  refused with that reason (the API would refuse it, or pick one);
* each line's account code: the line's JDE account (F4311.ANI; a stock line the stock account setting)
  through ``account_map.procurify_code``; an account without a code refuses the order naming it (the
  account map or scope fixes that); a line with no account at all refuses it naming the line and saying the
  account is missing on the JDE line (no table can fix that). A code the ``account_codes`` flow has not
  written yet holds the order on that account code.

Writing (``write_one``): a known order unchanged is skipped; a new one is looked up by its description
among requisitions created since the order date (``find_requisitions``: adopts what a crashed attempt
created), then created. The run's first create is read back: a Procurify that does not keep the
description stops the creates and fails the step (``ProcurifyRequisitions``, setting
``ML_JDE_PROCURIFY_DESCRIPTION_CHECK``).

A changed order already sent: the API cannot change a requisition, so

* once its requisition was purchased and the PO linked (``po_links.linked_po``), the PO is revised through
  the v3 PUT (``revise_purchase_order``, which sends the PO whole with the change: the reference does not
  say whether that PUT is partial or full): quantity, unit price and name of every line matched by its JDE
  line (``sku``; by name and line order where Procurify dropped the sku). What the PUT cannot do (a line
  added or cancelled in JDE, another vendor or account, a closed / cancelled / paid PO) is queued with the
  reason after the rest is revised;
* before that, the change is queued saying so; a replay applies it to the PO once it is linked.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from dagster import Failure

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, dependency_synced
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.replay_resources import register_settings_replay, resources_from_settings
from connector_assets.flows.targets import SessionTarget
from connector_assets.integrations.jde_procurify import account_map, po_links, vendor_pairs
from connector_assets.integrations.jde_procurify.departments import (
    DEPARTMENT_MAP_ASSET,
    DEPARTMENTS,
    ProcurifyDepartments,
    jde_procurify_department_map,
    placement,
    unplaced_reason,
)
from connector_assets.integrations.jde_procurify.integration import INTEGRATION, ROUTE
from connector_assets.integrations.jde_procurify.order_mappers import (
    OrderLinesMapped,
    OrderPolicy,
    all_done,
    line_account,
    live_lines,
    not_approved,
    order_source_key,
    order_total,
    requisition_body,
    requisition_differences,
    requisition_lines,
    revision,
    text,
)
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import (
    JdePurchaseOrder,
    changed_purchase_orders,
    purchase_orders_by_number,
)
from connector_assets.jde.tables import PO_HEADERS, PO_LINES
from connector_assets.procurify.record_reads import RecordReadFailed, queued_for_read, read_for_record
from connector_resources import settings
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger

ENTITY = "purchase_order"
DESCRIPTION_CHECK_ENV = "ML_JDE_PROCURIFY_DESCRIPTION_CHECK"
log = get_logger("ml_connector.jde_procurify")


def order_policy() -> OrderPolicy:
    """Today's settings: order types, approved and closed statuses, stock account."""

    return OrderPolicy(
        order_types=frozenset(settings.read("ML_JDE_PROCURIFY_ORDER_TYPES")),
        approved_status=settings.read("ML_JDE_PROCURIFY_APPROVED_STATUS"),
        closed_status=settings.read("ML_JDE_PROCURIFY_CLOSED_STATUS"),
        stock_account=settings.given("ML_JDE_PROCURIFY_STOCK_ACCOUNT")
        or settings.registered("ML_JDE_PROCURIFY_STOCK_ACCOUNT").default,
    )


@lazy_model
def ProcurifyRequisitionRecord() -> type:
    """What Procurify accepts as a requisition made from a JDE order."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyRequisitionRecord(pa.DataFrameModel):
        order: Series[str] = pa.Field(str_matches=r"^[^:]+:\d+:[^:]+(:[^:]+)?$")
        description: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 255})
        supplier: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
        location: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 150})
        department: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 150})
        lines: Series[int] = pa.Field(ge=1)
        total: Series[float] = pa.Field(ge=0)

        class Config:
            strict = True
            coerce = True

    return ProcurifyRequisitionRecord


# -- mapping --------------------------------------------------------------------------------------------


class _Procurify:
    """What mapping reads from Procurify, once per run: departments, and vendor names by id."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._departments: ProcurifyDepartments | None = None
        self._vendors: dict[str, tuple[str | None, str | None]] = {}

    @property
    def departments(self) -> ProcurifyDepartments:
        if self._departments is None:
            self._departments = ProcurifyDepartments.read(self.session)
        return self._departments

    def vendor_name(self, vendor_id: str, an8: str) -> tuple[str | None, str | None]:
        """(name, problem) of the Procurify vendor paired with supplier ``an8``: the name a requisition
        line takes, refused when the vendor is inactive or another active vendor has the same name."""
        if vendor_id not in self._vendors:
            self._vendors[vendor_id] = self._name(vendor_id, an8)
        return self._vendors[vendor_id]

    def _name(self, vendor_id: str, an8: str) -> tuple[str | None, str | None]:
        vendor = self.session.get("vendors", vendor_id)
        name = text(vendor.get("name"))
        who = f"JDE supplier {an8} is Procurify vendor {vendor_id} ({name!r})"
        if vendor.get("active") is False:
            return None, f"{who}, which is inactive in Procurify; reactivate it (or re-pair the supplier)"
        same = [v for v in self.session.find_vendors(name=name) if v.get("active") is not False]
        others = sorted(str(v.get("id")) for v in same if str(v.get("id")) != vendor_id)
        if others:
            return None, (
                f"{who}, but active vendor(s) {', '.join(others)} have the same name; a requisition names "
                "its vendor, so Procurify cannot tell them apart: rename or deactivate the other vendor, "
                "then replay"
            )
        return name, None


def map_purchase_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's changed orders (header or any line), whole, as Procurify requisitions."""
    staging = context.resources.staging
    orders = changed_purchase_orders(staging, context.resources.jde, partition)
    yield from _map_orders(
        context, orders, DEPARTMENTS.snapshot(staging), account_map.ACCOUNTS.snapshot(staging)
    )


def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named orders (``KCOO:DOCO:DCTO``) read from JDE again and mapped with today's tables (replay)."""
    staging = context.resources.staging
    departments = DEPARTMENTS.restage(staging)
    accounts = account_map.ACCOUNTS.restage(staging)
    wanted = set(keys)
    docos = {int(parts[1]) for parts in (k.split(":") for k in keys) if len(parts) > 2 and parts[1].isdigit()}
    orders = [
        o
        for o in purchase_orders_by_number(context.resources.jde, docos)
        if o.header is not None and order_source_key(o.header) in wanted
    ]
    yield from _map_orders(context, orders, departments, accounts)


def _map_orders(
    context: Any, orders: list[JdePurchaseOrder], departments: Mapping[str, str], accounts: Mapping[str, str]
) -> Iterator[Mapped | Rejected]:
    policy = order_policy()
    ledger: Ledger = context.resources.ledger.get()
    codes = account_map.AccountMap.of(accounts)
    with context.resources.procurify.session() as session:
        procurify = _Procurify(session)
        for order in orders:
            if order.key[2].upper() not in policy.order_types:
                continue
            record = _order_record(order, policy, ledger, procurify, departments, codes)
            if record is not None:
                yield record


def _sent(ledger: Ledger, key: str) -> bool:
    xref = ledger.get_xref(INTEGRATION, ENTITY, ROUTE.source_system, key, ROUTE.target_system)
    return xref is not None and bool(xref.target_id)


def lines_refusal(mapped: OrderLinesMapped) -> str:
    """The lines' problems, with the account-map advice only for the accounts it can fix (those without
    a Procurify code); a line with no account is told to fix the JDE line (``missing_account``)."""
    text = "; ".join(mapped.problems)
    if mapped.unmapped:
        accounts = ", ".join(mapped.unmapped)
        plural = "s" if len(mapped.unmapped) > 1 else ""
        text += (
            f" (add account{plural} {accounts} to {account_map.ACCOUNT_MAP_ASSET} or "
            f"${account_map.ACCOUNT_SCOPE_ENV}, then replay)"
        )
    return text


def _order_record(
    order: JdePurchaseOrder,
    policy: OrderPolicy,
    ledger: Ledger,
    procurify: _Procurify,
    departments: Mapping[str, str],
    codes: account_map.AccountMap,
) -> Mapped | Rejected | None:
    """The order as a requisition, a refusal naming the cause, or None when it is not sent (not approved,
    or complete in JDE before it was ever sent)."""
    if order.header is None:
        key = ":".join(str(k) for k in order.key[:3])
        return Rejected(key, f"purchase order {key}: lines changed but no F4301 header was found")
    header, lines = order.header, order.lines
    key = order_source_key(header)
    label = f"purchase order {key}"
    sent = _sent(ledger, key)
    why_not = not_approved(header, lines, policy)
    if why_not is not None:
        if sent and not live_lines(lines, policy):
            return Rejected(
                key,
                f"{label} was cancelled in JDE after it was sent to Procurify; the API cannot cancel a "
                "requisition or a PO: cancel it in Procurify by hand, then abandon this item",
            )
        return None  # not approved (yet): nothing to send; a later change brings it back
    if not sent and all_done(lines, policy):
        return None  # received and closed in JDE before it was ever sent: nothing left to buy
    where = placement(header.get("MCU"), departments)
    if where is None:
        return Rejected(key, f"{label}: {unplaced_reason(header.get('MCU'))}")
    problem = procurify.departments.problem(where, header.get("MCU"))
    if problem:
        return Rejected(key, f"{label}: {problem}")
    an8 = vendor_pairs.an8_key(header["AN8"])
    vendor_id = vendor_pairs.paired_vendor(ledger, an8)
    depends_on: str | None = None
    vendor_name: str | None = None
    if vendor_id is None:
        depends_on = vendor_pairs.supplier_dependency(an8)
    else:
        try:
            vendor_name, problem = read_for_record(
                f"its supplier's Procurify vendor {vendor_id}", lambda: procurify.vendor_name(vendor_id, an8)
            )
        except RecordReadFailed as failed:  # this order alone waits for Procurify; the day goes on
            return queued_for_read(key, label, failed)
        if problem:
            return Rejected(key, f"{label}: {problem}")
    accounts = {a for a in (line_account(li, policy) for li in live_lines(lines, policy)) if a}
    mapped = requisition_lines(header, lines, policy, {a: codes.code_for(a) for a in accounts}, vendor_name)
    if mapped.problems:
        return Rejected(key, f"{label}: {lines_refusal(mapped)}")
    if depends_on is None:
        depends_on = next(
            (
                dep
                for dep in sorted(account_map.account_code_dependency(a) for a in accounts)
                if not dependency_synced(ledger, dep)
            ),
            None,
        )
    body = requisition_body(header, where.location, where.department, mapped.lines)
    total = order_total(body)
    return Mapped(
        source_key=key,
        body=body,
        fields={
            "order": key,
            "description": body["description"],
            "supplier": an8,
            "location": where.location,
            "department": where.department,
            "lines": len(mapped.lines),
            "total": float(total),
        },
        # Not hashed (``content_hash`` is the body's): how to find the requisition, and what a revision of
        # its PO needs, known when the order is mapped (a replay's target has no ledger of its own).
        natural_key={
            "description": body["description"],
            "created_since": _day(header.get("TRDJ")),
            "linked_po": po_links.linked_po(ledger, key),
            "vendor_id": vendor_id,
        },
        depends_on=depends_on,
    )


def _day(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value or "").strip()
    return raw[:10] if raw else None


# -- writing --------------------------------------------------------------------------------------------


class DescriptionDropped(Failure):
    """Procurify took a requisition but not its description: the write step stops creating and fails."""


def description_checked() -> bool:
    """``ML_JDE_PROCURIFY_DESCRIPTION_CHECK`` (``on`` / ``off``): read the run's first requisition back."""
    return settings.read(DESCRIPTION_CHECK_ENV) == "on"


class ProcurifyRequisitions(SessionTarget):
    """The Procurify side: find a requisition by its description, create one, or revise the linked PO.

    The requisition's ``description`` carries the JDE order number, the only key by which a create whose
    answer was lost can be found again (``find``). The reference documents ``description`` on the read
    side but its create example has none (§2.4), so a Procurify may take the requisition and drop it.
    Then every interrupted create would be made again on the retry, silently. So the first requisition a
    target creates is read back (``find_requisition`` by uuid) before anything else is sent: a blank or
    different description is recorded as ``dropped``; that requisition is kept and recorded (it is its
    order's own, nothing duplicated), every further create of the run is refused before it is sent
    (queued with the reason) and the step fails (``opened``) saying what to do. Line ``sku`` is read back
    too: its absence is only logged, as revisions then match PO lines by name and line order
    (``order_mappers.match_po_lines``). ``ML_JDE_PROCURIFY_DESCRIPTION_CHECK=off`` skips the check.
    """

    resource = "procurify"
    writes = ("requisitions", "purchase_orders")

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self.checked = not description_checked()  # off: nothing to check
        self.dropped: str | None = None  # why creating stopped, once the read-back showed it

    @classmethod
    @contextmanager
    def opened(cls, resource: Any) -> Iterator["ProcurifyRequisitions"]:
        """The target for a run or a replay; the step fails at the end when descriptions are dropped."""
        with resource.session(**cls.session_options) as session:
            target = cls(session)
            yield target
            if target.dropped:
                raise DescriptionDropped(target.dropped, allow_retries=False)

    def find(self, record: Mapped) -> str | None:
        description = record.natural_key["description"]
        since = record.natural_key.get("created_since") or date.today().isoformat()
        found = self.session.find_requisitions(
            description=description, created_since=date.fromisoformat(since)
        )
        if len(found) > 1:
            nums = ", ".join(str(r.get("num")) for r in found)
            raise ValueError(
                f"Procurify has {len(found)} requisitions described {description!r} (numbers {nums}); "
                "adopting either would be a guess: cancel the extra one in Procurify, then replay"
            )
        return str(found[0]["uuid"]) if found else None

    def create(self, record: Mapped) -> str:
        with self.lock:
            if self.dropped:
                raise ValueError(f"not sent: {self.dropped}")
            uuid = str(self.session.create_requisition(record.body)["uuid"])
            if not self.checked:
                self.checked = True
                try:
                    self._read_back(uuid, record)
                except Exception as exc:  # noqa: BLE001 - the requisition exists: its id must be recorded
                    log.warning("requisition %s: read back failed (%s); the next create checks", uuid, exc)
                    self.checked = False
        return uuid

    def _read_back(self, uuid: str, record: Mapped) -> None:
        """Whether Procurify kept the description (and the line skus) of the requisition just made."""
        sent = str(record.body.get("description") or "")
        made = self.session.find_requisition(uuid, created_since=date.today())
        if made is None:
            log.warning("requisition %s (JDE order %s) not listed right after its create", uuid, sent)
            self.checked = False  # not seen yet: the next create checks
            return
        kept = str(made.get("description") or "")
        if kept != sent:
            self.dropped = (
                f"Procurify made requisition {made.get('num')} ({uuid}) for JDE order {record.source_key} "
                f"but kept its description as {kept!r}, not {sent!r}. The description carries the JDE order "
                "number, the only way the connector finds a requisition again after an interrupted create; "
                "without it each retry of such a create would make another requisition. That requisition is "
                "recorded (no duplicate); no other requisition was sent. Ask Procurify why the API does not "
                f"keep a requisition's description; or set {DESCRIPTION_CHECK_ENV}=off to send requisitions "
                "anyway, accepting that an interrupted create may leave a second requisition to cancel by "
                "hand; then replay the queued orders"
            )
            log.error("%s", self.dropped)
            return
        num = str(made.get("num") or "")
        listed = self.session.iter_all("order_items", filters={"orderNum": num}) if num else ()
        items = [i for i in listed if str(_order_number(i.get("orderNum"))) == num]
        if items and not any(text(i.get("sku")) for i in items):
            log.warning(
                "Procurify requisition %s (JDE order %s) kept no line sku: PO revisions will match lines "
                "by name and line order",
                num,
                record.source_key,
            )

    def update(self, target_id: str, record: Mapped) -> None:
        """Bring Procurify to the order: the linked PO revised where the API can (the rest raised, so the
        record is queued with the reason); before a PO, the requisition compared with the order."""
        po_number = record.natural_key.get("linked_po")
        if po_number:
            self._revise(str(po_number), record)
            return
        differences = self._requisition_differences(target_id, record)
        if differences:
            raise ValueError(
                f"Procurify requisition {target_id} differs from the JDE order ({'; '.join(differences)}) "
                "and is not purchased yet; the API cannot change a requisition: once Procurify purchases it "
                "(and the PO is linked), replay applies the change to the PO. To apply it now, edit the "
                "requisition in Procurify"
            )
        # Nothing Procurify holds differs (adopted as sent, or only the vendor's name moved): nothing to do.

    def _requisition_differences(self, uuid: str, record: Mapped) -> list[str]:
        """What differs between the requisition (its order items) and the order now; a requisition no
        longer found is a difference of its own."""
        since = record.natural_key.get("created_since") or date.today().isoformat()
        # By uuid, not description: a Procurify that dropped the description still has the requisition.
        ours = self.session.find_requisition(uuid, created_since=date.fromisoformat(since))
        if ours is None:
            return [f"requisition {uuid} is not among Procurify's requisitions created since {since}"]
        num = str(ours.get("num"))
        items = [
            i
            for i in self.session.iter_all("order_items", filters={"orderNum": num})
            if str(_order_number(i.get("orderNum"))) == num
        ]
        return requisition_differences(items, record.body)

    def _revise(self, po_number: str, record: Mapped) -> None:
        po = self.session.get("purchase_orders", po_number)
        plan = revision(po, record.body, record.natural_key.get("vendor_id"), record.source_key)
        if plan.order_items:
            # The PO as read is handed in: the PUT carries it whole with the changes (partial or full
            # update alike, see ``connector_resources.procurify.po_revisions``).
            self.session.revise_purchase_order(int(po_number), {"order_items": plan.order_items}, current=po)
        if plan.problems:
            revised = f"revised PO {po_number} where the API allows; " if plan.order_items else ""
            raise ValueError(revised + "; ".join(plan.problems))


def _order_number(value: Any) -> Any:
    """An order item's ``orderNum``: the requisition number, or a summary object carrying it."""
    return value.get("num") if isinstance(value, Mapping) else value


PURCHASE_ORDERS_FLOW = ROUTE.flow(
    "purchase_orders",
    ENTITY,
    ProcurifyRequisitionRecord,
    map_purchase_orders,
    remap_purchase_orders,
    ProcurifyRequisitions,
    # Mapping reads departments and vendors; a changed order reads its requisition (and its order items)
    # or its PO before revising it.
    reads={
        "JDE": (PO_HEADERS.table, PO_LINES.table),
        "procurify": ("departments", "vendors", "requisitions", "order_items", "purchase_orders"),
    },
)


def _settings_resources() -> dict[str, Any]:
    return resources_from_settings(("jde", "procurify", "staging"))


def register_purchase_orders_replays(resources: Callable[[], dict[str, Any]] = _settings_resources) -> None:
    """``ml-connector replay`` for ``purchase_orders``: a queued order is read again from JDE, mapped with
    today's tables, pairs and links, and written (a requisition created once, or its PO revised).
    ``resources``: today's ``jde``, ``procurify`` and ``staging`` (from settings unless given)."""
    register_settings_replay(PURCHASE_ORDERS_FLOW, ProcurifyRequisitions.for_replay, resources)


purchase_orders_assets = [
    jde_procurify_department_map,
    *build_flow_assets(
        PURCHASE_ORDERS_FLOW,
        partitions_def=jde_partitions,
        # After the suppliers' and account codes' writes: in one run, an order's supplier and account codes
        # are synced before the order is mapped.
        upstream=[
            PO_HEADERS.asset,
            PO_LINES.asset,
            DEPARTMENT_MAP_ASSET,
            account_map.ACCOUNT_MAP_ASSET,
            f"{INTEGRATION}_suppliers_written",
            f"{INTEGRATION}_account_codes_written",
        ],
        resource_keys={"jde", "procurify"},
        group=INTEGRATION,
        kinds={"jde", "procurify"},
    ),
]
