"""The Oracle Fusion and Procurify simulators on free loopback ports, with the resources and ledger a
Fusion <-> Procurify flow test runs on, runs of the integration's assets, and what a test reads back from
each side. Like ``jde_procurify_world``: one place for how the sandboxes are started and logged into, so a
change to it is made once.

What it provides:

* ``fusion_procurify_world(tmp_path, ...)``: a context manager serving both simulators (a Fusion pod and
  Procurify at scale 0.02 / 0.05, no latency, no rate limit) and yielding a ``FusionProcurifyWorld``:
  ``resources`` (``fusion``, ``procurify``, ``staging``, ``ledger``: what ``materialize`` takes; staging
  and a SQLite ledger under ``tmp_path``), ``ledger``, ``fusion_url`` / ``procurify_url`` and ``day`` (the
  partition a run takes by default: today in UTC, where both sandboxes' ``activity`` lands).
* ``all_assets()``: every asset a test may run: JDE tables and SaaS entities (Fusion's and Procurify's
  among them), and every asset list the ``fusion_procurify`` modules define (module-level lists named
  ``*_assets`` or ``*_tables``), so the world works while the flows land one by one.
  ``world.materialize`` / ``world.run`` / ``world.run_whole`` / ``world.master()`` run assets by name.
* Fusion side: ``world.fusion_record(resource, id)`` (one stored object with all its children, through
  the pod's ``/sandbox/records/{resource}/{id}``), ``world.fusion_records(resource, **equals)`` (stored
  rows by text equality), ``world.fusion_suppliers_with_site(...)``, ``world.fusion_activity(...)``
  (people's work in Fusion: new suppliers, invoices, payments ...), ``world.fusion_faults(...)`` /
  ``fusion_behaviour(...)`` / ``fusion_state()``.
* Procurify side: ``world.procurify_record(kind, key)``, ``world.in_procurify(entity)``,
  ``world.activity(**counts)``, the buyer's and AP clerk's hands (``purchase``, ``receive``,
  ``enter_bill``, ``bill_status``; ``purchased_order()``: a requisition made and purchased now;
  ``approved_bill()``: an expense bill approved now, its vendor paired with a Fusion supplier),
  ``world.procurify_faults(...)`` / ``procurify_variants(...)`` / ``procurify_state()``.
* Pairs: ``world.pair_vendor(vendor_id, supplier_id)`` (an operator's manual ``vendor`` match in the
  ledger, as ``ml-connector xref set`` records it).
* Ledger: ``world.replay_queued(flow, register)``, ``world.xrefs(entity)`` (the target system is the
  entity's, per the design's flow table), ``world.queue(flow)`` (open items: source key -> reason),
  ``world.audit_counts(flow)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from asset_runs import DayRuns, PackageRuns, today
from dagster import AssetsDefinition
from flow_proofs import audit_counts, ledger_xrefs, open_queue
from sandbox_logins import LOGINS, answered, procurify_resource

from connector_assets.jde.assets import jde_assets
from connector_assets.saas_assets import saas_assets
from connector_assets.staging import StagingResource
from connector_resources.fusion import FusionResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.procurify import ProcurifyResource, forget_shared_tokens
from connector_resources.replay import release_synced, replay_items
from connector_sandbox.fusion import FusionSandboxSettings
from connector_sandbox.fusion import run_in_thread as run_fusion
from connector_sandbox.procurify import ProcurifySandboxSettings
from connector_sandbox.procurify import run_in_thread as run_procurify

INTEGRATION = "fusion_procurify"
PACKAGE = "connector_assets.integrations.fusion_procurify"
_RUNS = PackageRuns(PACKAGE, lambda: [*jde_assets, *saas_assets])
integration_assets, all_assets, run_assets = _RUNS.integration_assets, _RUNS.all_assets, _RUNS.run_assets
# The simulators' own sandbox applications (their settings' defaults), never real secrets. The Fusion
# pod's OAuth client acts as user ml.integration (every role, every business unit).
PROCURIFY_LOGIN = LOGINS[ProcurifyResource]
FUSION_LOGIN: dict[str, Any] = LOGINS.get(FusionResource) or {
    "client_id": "ml-connector-sandbox",
    "client_secret": "sandbox-fusion-secret",
    "scope": "urn:opc:resource:consumer::all",
}
BUSINESS_UNIT = "US1 Business Unit"  # ML_FUSION_BUSINESS_UNIT's sandbox default (company 101, USD)
# Where each entity's records are written (the xref's target system), per the design's flow table.
TARGET_OF = {
    "account_code": "procurify",
    "supplier": "procurify",
    "vendor": "fusion",
    "purchase_order": "fusion",
    "invoice": "fusion",
    "paid_mark": "procurify",
}
# Master data a flow maps with: Fusion's account combinations (read whole) and the two mapping tables.
MASTER = (
    "fusion_procurify_account_combinations",
    "fusion_procurify_account_map",
    "fusion_procurify_department_map",
)
FUSION_SCALE = 0.02
PROCURIFY_SCALE = 0.05


def fusion_resource(base_url: str, **fields: Any) -> FusionResource:
    """The Fusion client logged into the pod at ``base_url`` by OAuth client credentials (the pod's own
    token endpoint), with short backoffs so injected faults retry quickly."""
    values: dict[str, Any] = {
        "base_url": base_url,
        "token_url": f"{base_url}/oauth2/v1/token",
        "auth": "oauth",
        **FUSION_LOGIN,
        "business_unit": BUSINESS_UNIT,
        "backoff_base": 0.05,
        "backoff_cap": 0.2,
        "retry_after_cap": 0.2,
        "read_timeout": 30.0,
        "deadline": 60.0,
        **fields,
    }
    return FusionResource(**values)


class FusionProcurifyWorld(DayRuns):
    """The two simulators, the resources ``materialize`` takes, the ledger, and runs of a day's assets.

    ``day`` is the partition a run takes by default; ``instance``, when a test sets it, is the one Dagster
    instance all its runs go to (else each run gets a throwaway one).
    """

    def __init__(
        self,
        resources: dict[str, Any],
        db: str,
        fusion_url: str,
        procurify_url: str,
        tmp_path: Path,
        day: str,
    ) -> None:
        self.resources, self.db, self.tmp_path, self.day = resources, db, tmp_path, day
        self.fusion_url, self.procurify_url = fusion_url, procurify_url  # pod root, http://host:port
        self.ledger = Ledger(db)
        self._unpaired: list[str] | None = None  # Fusion suppliers not yet paired by ``approved_bill``

    # -- runs ----------------------------------------------------------------------------------------

    def world_assets(self) -> list[AssetsDefinition]:
        return all_assets()

    def master(self) -> dict[str, dict[str, Any]]:
        """Fusion's account combinations and the two mapping tables, materialized (what the flows map
        with); names no asset has yet (a module not landed) are left out, so the world serves the flows
        that exist."""
        present = {a.key.to_user_string() for a in all_assets()}
        return self.run_whole(*(name for name in MASTER if name in present))

    def staged(self, asset: str, partition: str | None = None) -> list[dict[str, Any]]:
        """The records a source asset staged for the partition (the API's objects, parsed)."""
        rows = self.resources["staging"].read_rows(asset, partition or self.day)
        return [json.loads(row["record"]) for row in rows]

    # -- Fusion ----------------------------------------------------------------------------------------

    def _pod(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.fusion_url}/sandbox/{path}"
        answer = (
            requests.post(url, json=body, timeout=60) if body is not None else requests.get(url, timeout=30)
        )
        return answered(answer, f"Fusion {path}")

    def fusion_record(self, resource: str, id_: int | str) -> dict | None:
        """One object the pod stores (``suppliers``, ``invoices``, ``purchaseOrders``,
        ``draftPurchaseOrders``, ``payablesPayments`` ...) by its numeric id (``SupplierId``,
        ``InvoiceId``, ``POHeaderId``, ``CheckId``), with all its children (``sites``, ``lines``,
        ``invoiceLines`` ...) under canonical names; None when the pod has none."""
        answer = requests.get(f"{self.fusion_url}/sandbox/records/{resource}/{id_}", timeout=30)
        if answer.status_code == 404:
            return None
        return answered(answer, f"Fusion {resource} {id_}")

    def fusion_records(self, resource: str, limit: int = 10_000, **equals: Any) -> list[dict]:
        """Stored rows of a resource whose attributes equal these values as text
        (``InvoiceNumber="B-1"``, ``Status="ACTIVE"``), without children."""
        params = {**{k: str(v) for k, v in equals.items()}, "limit": limit}
        answer = requests.get(f"{self.fusion_url}/sandbox/records/{resource}", params=params, timeout=30)
        return answered(answer, f"Fusion {resource} records")["records"]

    def fusion_suppliers_with_site(
        self, business_unit: str = BUSINESS_UNIT, purpose: str | None = "SitePurposePayFlag"
    ) -> list[dict]:
        """Active Fusion suppliers with an active site in ``business_unit`` (for ``purpose``, a site flag;
        None: any), each with its ``sites``: the ones a purchase order or invoice can name."""
        out = []
        for row in self.fusion_records("suppliers", Status="ACTIVE"):
            supplier = self.fusion_record("suppliers", row["SupplierId"]) or {}
            sites = [
                s
                for s in supplier.get("sites", [])
                if s.get("ProcurementBU") == business_unit
                and not s.get("InactiveDate")
                and (purpose is None or s.get(purpose) is not False)
            ]
            if sites:
                out.append(supplier)
        return out

    def fusion_activity(self, **counts: int) -> dict[str, Any]:
        """People's work in Fusion now (``new_suppliers``, ``updated_suppliers``, ``new_purchase_orders``,
        ``new_invoices``, ``updated_invoices``, ``new_payments`` (pay open invoices) ...), all stamped with
        one ``LastUpdateDate``: ``{"timestamp", "created": {resource: [ids]}, "updated": {...}}``."""
        return self._pod("activity", counts)

    def fusion_faults(self, **knobs: Any) -> None:
        """Live pod faults (``fail_next``, ``fail_next_status``, ``maintenance``, ``latency_ms`` ...)."""
        self._pod("faults", knobs)

    def fusion_behaviour(self, **variants: Any) -> None:
        """Switch the pod to another plausible Fusion (``attribute_names``, ``drafts_in_purchase_orders``,
        ``page_cap``, ``error_format`` ...)."""
        self._pod("behaviour", variants)

    def fusion_state(self) -> dict:
        """Row counts, calls per endpoint, answers per status, tokens, clock."""
        return self._pod("state")

    # -- Procurify -------------------------------------------------------------------------------------

    def procurify_record(self, kind: str, key: int | str) -> dict | None:
        """One stored Procurify record (``vendors``, ``account_codes``, ``departments``, ``orders`` (num or
        uuid), ``order_items``, ``purchase_orders`` (number or uuid), ``bills`` / ``payments`` (id or
        uuid)): ``{"row": as stored, "api": as the API renders it}``; None when there is none."""
        answer = requests.get(f"{self.procurify_url}/sandbox/records/{kind}/{key}", timeout=10)
        if answer.status_code == 404:
            return None
        return answered(answer, f"Procurify {kind} {key}")

    def in_procurify(self, entity: str, **filters: Any) -> dict[str, dict]:
        """Every ``entity`` record Procurify holds, read through the API (``vendors``,
        ``account_codes``, ``requisitions``, ``purchase_orders``, ``bills``, ...), by its key (``id``,
        else ``uuid``)."""
        with self.resources["procurify"].session() as session:
            rows = list(session.iter_all(entity, filters=filters or None))
        return {str(r.get("id") if r.get("id") is not None else r.get("uuid")): r for r in rows}

    def activity(self, **counts: int) -> dict[str, Any]:
        """People's work in Procurify now (``new_vendors=2``, ``new_requisitions``, ``updated_bills=3``,
        ``new_payments=1`` ...), all stamped with one "now": ``{"now", <kind>: {"created", "updated"}}``."""
        answer = requests.post(f"{self.procurify_url}/sandbox/activity", json=counts, timeout=60)
        return answered(answer, "Procurify activity")

    def _operator(self, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = requests.post(f"{self.procurify_url}/sandbox/{path}", json=body or {}, timeout=60)
        return answered(answer, f"Procurify {path}")

    def purchase(self, requisition_uuid: str, po_num: str | None = None) -> Any:
        """The approver and buyer: approve (if pending) and purchase a requisition, one PO per vendor;
        the simulator's answer names the PO numbers and UUIDs."""
        return self._operator(
            f"requisitions/{requisition_uuid}/purchase", {"PO_Num": po_num} if po_num else {}
        )

    def purchased_order(self) -> dict[str, Any]:
        """A requisition made now and purchased (approved, then one PO per vendor): the simulator's
        purchase answer plus ``requisition`` (the requisition as the API renders it)."""
        [num] = self.activity(new_requisitions=1)["requisitions"]["created"]
        requisition = self.procurify_record("orders", num)["api"]
        return {**self.purchase(requisition["uuid"]), "requisition": requisition}

    def receive(self, po_number: int, fraction: float = 1.0) -> Any:
        """The receiver: receive ``fraction`` of every line of a PO."""
        return self._operator(f"purchase-orders/{po_number}/receive", {"fraction": fraction})

    def enter_bill(self, po_number: int, status: int = 1) -> Any:
        """The AP clerk enters a bill for a PO's received, unbilled lines (``status`` 2: approved)."""
        return self._operator(f"purchase-orders/{po_number}/bill", {"status": status})

    def bill_status(self, bill_uuid: str, status: int) -> Any:
        """The AP clerk moves a bill (2 approved, 4 paid, ...)."""
        return self._operator(f"bills/{bill_uuid}/status", {"status": status})

    def approved_bill(self) -> dict[str, Any]:
        """The AP clerk enters an expense bill now and approves it; its vendor is paired with a Fusion
        supplier (the next active supplier with a pay site in the business unit not paired yet, as a
        manual match) unless it has one, so the bill can be sent. The bill as the API renders it."""
        made = self.activity(new_bills=1)["bills"]["created"]
        self.bill_status(made[0], 2)
        bill = self.procurify_record("bills", made[0])["api"]
        self.pair_with_next_supplier(bill["vendor"]["id"])
        return bill

    def pair_with_next_supplier(self, vendor_id: int | str) -> str:
        """The Fusion supplier paired with Procurify vendor ``vendor_id``: its pair if it has one, else
        the next active supplier with a pay site in the business unit that no vendor is paired with yet,
        paired now by hand (``pair_vendor``)."""
        from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, paired_vendor

        supplier = paired_supplier(self.ledger, vendor_id)
        if supplier is not None:
            return supplier
        if self._unpaired is None:
            self._unpaired = [str(s["SupplierId"]) for s in self.fusion_suppliers_with_site()]
        while self._unpaired:
            candidate = self._unpaired.pop(0)
            if paired_vendor(self.ledger, candidate) is None:
                self.pair_vendor(vendor_id, candidate)
                return candidate
        raise AssertionError("every Fusion sandbox supplier with a site in the business unit is paired")

    def procurify_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.procurify_url}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    def procurify_variants(self, **variants: Any) -> None:
        """Switch the simulator to another plausible Procurify behaviour (``vendor_external_id_unique``,
        ``mark_as_paid``, ``po_put`` ...)."""
        requests.post(f"{self.procurify_url}/sandbox/variants", json=variants, timeout=10).raise_for_status()

    def procurify_state(self) -> dict:
        """Row counts, calls by endpoint, answers by status, tokens minted, clock."""
        return answered(requests.get(f"{self.procurify_url}/sandbox/state", timeout=10), "Procurify state")

    # -- pairs and the ledger --------------------------------------------------------------------------

    def pair_vendor(self, vendor_id: int | str, supplier_id: int | str, entered_by: str = "test") -> None:
        """An operator's manual match: Procurify vendor ``vendor_id`` is Fusion supplier ``supplier_id``
        (the ``vendor`` xref, marked manual, as ``ml-connector xref set`` records it; no flow overwrites
        it). Records held on the vendor are not released here: a test replays or re-runs to see that."""
        from connector_assets.integrations.fusion_procurify.vendor_pairs import (
            FUSION,
            PROCURIFY,
            VENDOR_ENTITY,
            id_key,
        )

        self.ledger.set_manual_override(
            INTEGRATION,
            VENDOR_ENTITY,
            PROCURIFY,
            id_key(vendor_id, "Procurify vendor id"),
            FUSION,
            id_key(supplier_id, "Fusion SupplierId"),
            entered_by=entered_by,
            note="paired by a test",
        )

    def xrefs(self, entity: str, target: str | None = None) -> dict[str, str | None]:
        """Source key -> target id (None: claimed, not recorded) of the integration's ``entity`` xrefs;
        the target system is the entity's (``TARGET_OF``) unless given."""
        return ledger_xrefs(self.ledger, INTEGRATION, entity, target or TARGET_OF[entity])

    def queue(self, flow: str) -> dict[str, str]:
        """Open retry-queue items of a flow (``invoices``): source key -> reason."""
        return open_queue(self.ledger, INTEGRATION, flow)

    def replay_queued(self, flow: str, register: Callable[..., Any]) -> None:
        """``ml-connector replay`` of a flow's open items on the world's resources (``register``: the
        flow's ``register_*_replays``), after releasing the holds whose dependency has synced; held items
        stay held."""
        resources = self.resources
        register(lambda: {k: resources[k] for k in ("fusion", "procurify", "staging")})
        release_synced(self.ledger, integration=INTEGRATION, flow=flow)
        items = self.ledger.open_items(integration=INTEGRATION, flow=flow)
        replay_items(self.ledger, [i for i in items if i.status != "held"])

    def audit_counts(self, flow: str) -> dict[str, int]:
        """Audit events of a flow, counted by action (``create``, ``adopt``, ``skip``, ``hold`` ...)."""
        return audit_counts(self.ledger, INTEGRATION, flow)


@contextmanager
def fusion_procurify_world(
    tmp_path: Path,
    *,
    fusion: FusionSandboxSettings | None = None,
    procurify: ProcurifySandboxSettings | None = None,
    db: str | None = None,
    fusion_fields: dict[str, Any] | None = None,
    order_numbers: bool = False,
    **procurify_fields: Any,
) -> Iterator[FusionProcurifyWorld]:
    """Both simulators served for the block (Fusion at scale 0.02, Procurify at 0.05, no latency, no rate
    limit, unless given), a world on them; ``db`` is the ledger (a SQLite file under ``tmp_path`` unless
    given); ``fusion_fields`` tune the Fusion client (``page_size``, ``framework_version`` ...),
    ``procurify_fields`` the Procurify client; runs take today (UTC) unless the test sets the world's
    ``day``. ``order_numbers``: the reading of the reference in which a draft order's ``OrderNumber`` is
    writable (the pod allows it, ``ML_FUSION_SEND_UNCONFIRMED=OrderNumber`` sends it), for the proofs that
    find each PO's order by its number ``PFY<n>``; by default Fusion numbers orders itself."""
    fusion = fusion or FusionSandboxSettings(scale=FUSION_SCALE)
    if order_numbers:
        writable = fusion.behaviour.model_copy(update={"order_number_writable": True})
        fusion = fusion.model_copy(update={"behaviour": writable})
        fusion_fields = {**(fusion_fields or {}), "send_unconfirmed": "OrderNumber"}
    fusion_url, stop_fusion = run_fusion(fusion)
    try:
        procurify_url, stop_procurify = run_procurify(
            procurify or ProcurifySandboxSettings(scale=PROCURIFY_SCALE)
        )
        forget_shared_tokens()  # a token of an earlier test's simulator means nothing to this one
        try:
            db = db or f"sqlite:///{tmp_path / 'ledger.sqlite'}"
            resources = {
                "fusion": fusion_resource(fusion_url, **(fusion_fields or {})),
                "procurify": procurify_resource(procurify_url, **procurify_fields),
                "staging": StagingResource(base_dir=str(tmp_path / "staging")),
                "ledger": LedgerResource(db_url=db),
            }
            world = FusionProcurifyWorld(resources, db, fusion_url, procurify_url, tmp_path, today())
            try:
                yield world
            finally:
                world.ledger.dispose()
        finally:
            forget_shared_tokens()
            stop_procurify()
    finally:
        stop_fusion()
