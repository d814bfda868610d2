"""The JD Edwards and Procurify simulators on free loopback ports, with the resources and ledger a
JDE <-> Procurify flow test runs on, runs of the integration's assets, and what a test reads back from each
side. Like ``procore_jde_world`` / ``jde_bill_world``: one place for how the sandboxes are started and
logged into, so a change to it is made once.

What it provides:

* ``jde_procurify_world(tmp_path, ...)``: a context manager serving both simulators (JDE AIS and Procurify
  at scale 0.05, no latency, no rate limit) and yielding a ``JdeProcurifyWorld``: ``resources`` (``jde``,
  ``procurify``, ``staging``, ``ledger``: what ``materialize`` takes; staging and a SQLite ledger under
  ``tmp_path``), ``ledger``, ``jde_url`` / ``procurify_url`` and ``day`` (the partition a run takes by
  default: today in UTC, where both sandboxes' ``activity`` lands).
* ``all_assets()``: every asset a test may run: JDE tables, SaaS entities, and every asset list the
  ``jde_procurify`` modules define (module-level lists named ``*_assets`` or ``*_tables``), so the world
  works while the flows land one by one. ``run_assets`` / ``world.materialize`` / ``world.run`` /
  ``world.run_whole`` materialize assets by name.
* JDE side: ``world.jde_rows(table, **where)`` (F4301, F4311, F0411, F0411Z1, F0911Z1, F0101, F0401, ...
  through the simulator's ``/sandbox/rows``), ``world.jde_payments(...)``, ``world.jde_activity(...)``
  (people's work in E1), ``world.process_vouchers()`` (R04110ZA: Z-file batches -> F0411/F0911),
  ``world.jde_faults(...)``.
* Procurify side: ``world.procurify_record(kind, key)`` (one stored record through
  ``/sandbox/records/{kind}/{key}``: ``{"row", "api"}``), ``world.in_procurify(entity)`` (every record of
  an entity through the API, by key), ``world.activity(**counts)`` (people's work, ``POST
  /sandbox/activity``), the buyer's and AP clerk's hands (``purchase``, ``receive``, ``enter_bill``,
  ``bill_status``; ``approved_bill``: a bill approved now, its vendor paired with a JDE supplier),
  ``world.link_vendors_to_jde()`` (seeded vendors' ERP keys -> real JDE supplier numbers,
  as ``make dev`` does), ``world.procurify_faults(...)`` / ``procurify_variants(...)`` /
  ``procurify_state()``.
* A bill in JDE: ``world.batch_rows(table, bill_uuid)`` (its Z-file rows), ``world.bill_voucher(bill_uuid)``
  (the F0411 pay item R04110ZA made of it).
* Ledger: ``world.replay_queued(flow, register)`` (a flow's open items replayed), ``world.xrefs(entity)``
  (the target system is the entity's, per the design's flow table), ``world.queue(flow)`` (open
  retry-queue items: source key -> reason), ``world.audit_counts(flow)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from asset_runs import DayRuns, PackageRuns, today
from dagster import AssetsDefinition
from flow_proofs import audit_counts, ledger_xrefs, open_queue
from sandbox_logins import LOGINS, answered, on_simulator, procurify_resource

from connector_assets.jde.assets import jde_assets
from connector_assets.saas_assets import saas_assets
from connector_assets.staging import StagingResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.procurify import ProcurifyResource, forget_shared_tokens
from connector_resources.replay import release_synced, replay_items
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais import run_in_thread as run_jde
from connector_sandbox.procurify import ProcurifySandboxSettings
from connector_sandbox.procurify import run_in_thread as run_procurify

INTEGRATION = "jde_procurify"
PACKAGE = "connector_assets.integrations.jde_procurify"
_RUNS = PackageRuns(PACKAGE, lambda: [*jde_assets, *saas_assets])
integration_assets, all_assets, run_assets = _RUNS.integration_assets, _RUNS.all_assets, _RUNS.run_assets
# The Procurify simulator's own sandbox application (its settings' default), never a real secret.
PROCURIFY_LOGIN = LOGINS[ProcurifyResource]
# Where each entity's records are written (the xref's target system), per the design's flow table.
TARGET_OF = {
    "account_code": "procurify",
    "supplier": "procurify",
    "vendor": "JDE",
    "purchase_order": "procurify",
    "po_link": "procurify",
    "bill": "JDE",
    "payment": "JDE",
    "bill_paid": "procurify",
}
# Master data a flow maps with: F0901 (read whole) and the two mapping tables.
MASTER = ("jde_gl_accounts", "jde_procurify_account_map", "jde_procurify_department_map")
SUPPLIER_SOURCES = ("jde_suppliers", "jde_address_book")  # the suppliers flow's JDE records
ORDER_SOURCES = ("jde_po_headers", "jde_po_lines")  # the purchase orders flow's JDE documents
BATCH_USER = "MLPRCFY"  # ML_JDE_PROCURIFY_BATCH_USER's default: the EDUS of the bills flow's batches


class JdeProcurifyWorld(DayRuns):
    """The two simulators, the resources ``materialize`` takes, the ledger, and runs of a day's assets.

    ``day`` is the partition a run takes by default; ``instance``, when a test sets it, is the one Dagster
    instance all its runs go to (else each run gets a throwaway one).
    """

    def __init__(
        self,
        resources: dict[str, Any],
        db: str,
        jde_url: str,
        procurify_url: str,
        tmp_path: Path,
        day: str,
    ) -> None:
        self.resources, self.db, self.tmp_path, self.day = resources, db, tmp_path, day
        self.jde_url, self.procurify_url = jde_url, procurify_url  # .../jderest, http://host:port
        self.jde_root = jde_url.removesuffix("/jderest")  # operator routes: <root>/sandbox
        self.ledger = Ledger(db)
        self._suppliers: list[int] | None = None  # JDE suppliers not yet paired by ``approved_bill``

    # -- runs ----------------------------------------------------------------------------------------

    def world_assets(self) -> list[AssetsDefinition]:
        return all_assets()

    def master(self) -> dict[str, dict[str, Any]]:
        """F0901 and the two mapping tables, materialized (what the flows map with); unknown names (a
        mapping table not landed yet) are left out so the world serves the flows that exist."""
        present = {a.key.to_user_string() for a in all_assets()}
        return self.run_whole(*(name for name in MASTER if name in present))

    def staged(self, asset: str, partition: str | None = None) -> list[dict[str, Any]]:
        """The records a source asset staged for the partition (the API's objects, parsed)."""
        rows = self.resources["staging"].read_rows(asset, partition or self.day)
        return [json.loads(row["record"]) for row in rows]

    # -- JDE -------------------------------------------------------------------------------------------

    def jde_rows(self, table: str, **where: Any) -> list[dict]:
        """Rows the JDE simulator stores (what JDE holds, as stored: Julian dates, scaled amounts), by
        column alias (``DOCO=4711``)."""
        params = {"limit": 1000, **where}
        answer = requests.get(f"{self.jde_root}/sandbox/rows/{table}", params=params, timeout=10)
        return answered(answer, f"JDE rows of {table}")["rows"]

    def jde_payments(self, *references: str) -> list[dict]:
        """Payments JDE recorded (``ML_RecordPayment``), all or those with one of these references."""
        rows = answered(requests.get(f"{self.jde_root}/sandbox/payments", timeout=10), "JDE payments")
        return [p for p in rows["payments"] if not references or p["reference"] in references]

    def jde_activity(self, **counts: int) -> dict[str, Any]:
        """People's work in E1 now (``new_purchase_orders=2``, ``updated_suppliers=1``, ``new_vouchers``
        ...), all stamped with one UPMJ/UPMT; the simulator's report of what it made."""
        answer = requests.post(f"{self.jde_root}/sandbox/activity", json=counts, timeout=60)
        return answered(answer, "JDE activity")

    def process_vouchers(self) -> dict[str, Any]:
        """R04110ZA: the Z-file batches written so far become F0411 vouchers and F0911 lines."""
        answer = requests.post(f"{self.jde_root}/sandbox/process-vouchers", timeout=60)
        return answered(answer, "JDE voucher batch processor")

    def jde_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.jde_root}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    # -- Procurify -------------------------------------------------------------------------------------

    def procurify_record(self, kind: str, key: int | str) -> dict | None:
        """One stored Procurify record (``vendors``, ``account_codes``, ``orders`` (num or uuid),
        ``order_items``, ``purchase_orders`` (number or uuid), ``bills`` / ``payments`` (id or uuid),
        ...): ``{"row": as stored (hundredths, UTC text), "api": as the API renders it}``; None when the
        simulator has no such record."""
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
        """People's work in Procurify now (``new_vendors=2``, ``updated_bills=3``, ``new_payments=1``
        ...), all stamped with one "now": ``{"now", <kind>: [ids]}`` as the simulator answers."""
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
        """The AP clerk enters an expense bill now and approves it; its vendor is paired with a JDE
        supplier (the next F0401 supplier not paired yet) as the vendors flow records a pair, so the bill
        posts. The bill as the API renders it."""
        made = self.activity(new_bills=1)["bills"]["created"]
        self.bill_status(made[0], 2)
        bill = self.procurify_record("bills", made[0])["api"]
        key = (INTEGRATION, "vendor", "procurify", str(bill["vendor"]["id"]), "JDE")
        if self.ledger.get_xref(*key) is None:
            if self._suppliers is None:
                self._suppliers = [int(r["AN8"]) for r in self.jde_rows("F0401")]
            self.ledger.claim_xref(*key, owner="test-pairing")
            self.ledger.record_target(*key, target_id=str(self._suppliers.pop(0)), content_hash="paired")
        return bill

    def link_vendors_to_jde(self) -> dict[str, int]:
        """The seeded Procurify vendors' ERP keys re-pointed to the JDE sandbox's supplier numbers, as
        ``make dev`` does (the simulators are seeded apart): the route's counts."""
        from connector_assets.integrations.jde_procurify.sandbox import link_procurify_vendors_to_jde

        return link_procurify_vendors_to_jde(self.procurify_url, self.jde_root)

    def procurify_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.procurify_url}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    def procurify_variants(self, **variants: Any) -> None:
        """Switch the simulator to another plausible Procurify behaviour (``vendor_external_id_unique``,
        ``mark_as_paid``, ``default_list_order`` ...)."""
        requests.post(f"{self.procurify_url}/sandbox/variants", json=variants, timeout=10).raise_for_status()

    def procurify_state(self) -> dict:
        """Row counts, calls by endpoint, answers by status, tokens minted, clock."""
        return answered(requests.get(f"{self.procurify_url}/sandbox/state", timeout=10), "Procurify state")

    def batch_rows(self, table: str, bill_uuid: str, batch_user: str = BATCH_USER) -> list[dict]:
        """The rows of a bill's batch in a Z file (``F0411Z1`` / ``F0911Z1``), by the keys the bills flow
        derives from its uuid (``bill_mappers.batch_key``)."""
        from connector_assets.integrations.jde_procurify.bill_mappers import batch_key

        key = batch_key(batch_user, bill_uuid)
        return self.jde_rows(table, EDUS=key.user, EDBT=key.batch, EDTN=key.transaction)

    def bill_voucher(self, bill_uuid: str, batch_user: str = BATCH_USER) -> dict[str, Any]:
        """The F0411 voucher R04110ZA made of a bill's batch (its first pay item, as stored)."""
        [row] = self.batch_rows("F0411Z1", bill_uuid, batch_user)
        [item] = self.jde_rows("F0411", KCO=row["KCO"], DOC=row["DOC"])
        return item

    def jde_pays(self, *bill_uuids: str) -> None:
        """JDE's own payment run pays the bills' vouchers in full (ML_RecordPayment stands in for it: F0411
        AAP 0, PST P, UPMJ today)."""
        with self.resources["jde"].session() as session:
            for bill_uuid in bill_uuids:
                voucher = self.bill_voucher(bill_uuid)
                session.orchestrate(
                    "ML_RecordPayment",
                    {
                        "Document_Company": voucher["KCO"].strip(),
                        "Document_Number": int(voucher["DOC"]),
                        "Document_Type": "PV",
                        "Payment_Amount": f"{Decimal(int(voucher['AAP'])) / 100:.2f}",
                        "Payment_Date": datetime.now(UTC).date(),
                        "Payment_Reference": f"JDE-CHK-{int(voucher['DOC'])}",
                    },
                )

    # -- the ledger ------------------------------------------------------------------------------------

    def xrefs(self, entity: str, target: str | None = None) -> dict[str, str | None]:
        """Source key -> target id (None: claimed, not recorded) of the integration's ``entity`` xrefs;
        the target system is the entity's (``TARGET_OF``) unless given."""
        return ledger_xrefs(self.ledger, INTEGRATION, entity, target or TARGET_OF[entity])

    def queue(self, flow: str) -> dict[str, str]:
        """Open retry-queue items of a flow (``bills``): source key -> reason."""
        return open_queue(self.ledger, INTEGRATION, flow)

    def replay_queued(self, flow: str, register: Callable[..., Any]) -> None:
        """``ml-connector replay`` of a flow's open items on the world's resources (``register``: the
        flow's ``register_*_replays``), after releasing the holds whose dependency has synced; held items
        stay held."""
        resources = self.resources
        register(lambda: {k: resources[k] for k in ("jde", "procurify", "staging")})
        release_synced(self.ledger, integration=INTEGRATION, flow=flow)
        items = self.ledger.open_items(integration=INTEGRATION, flow=flow)
        replay_items(self.ledger, [i for i in items if i.status != "held"])

    def audit_counts(self, flow: str) -> dict[str, int]:
        """Audit events of a flow, counted by action (``create``, ``adopt``, ``skip``, ``hold`` ...)."""
        return audit_counts(self.ledger, INTEGRATION, flow)


@contextmanager
def jde_procurify_world(
    tmp_path: Path,
    *,
    jde: JdeSandboxSettings | None = None,
    procurify: ProcurifySandboxSettings | None = None,
    db: str | None = None,
    **procurify_fields: Any,
) -> Iterator[JdeProcurifyWorld]:
    """Both simulators served for the block (scale 0.05 and no latency unless given), a world on them;
    ``db`` is the ledger (a SQLite file under ``tmp_path`` unless given); ``procurify_fields`` tune the
    Procurify client (``page_size``, ``max_attempts`` ...); runs take today (UTC) unless the test sets the
    world's ``day``."""
    jde_url, stop_jde = run_jde(jde or JdeSandboxSettings(scale=0.05))
    try:
        procurify_url, stop_procurify = run_procurify(procurify or ProcurifySandboxSettings(scale=0.05))
        forget_shared_tokens()  # a token of an earlier test's simulator means nothing to this one
        try:
            db = db or f"sqlite:///{tmp_path / 'ledger.sqlite'}"
            resources = {
                "jde": on_simulator(JdeAisResource, jde_url),
                "procurify": procurify_resource(procurify_url, **procurify_fields),
                "staging": StagingResource(base_dir=str(tmp_path / "staging")),
                "ledger": LedgerResource(db_url=db),
            }
            world = JdeProcurifyWorld(resources, db, jde_url, procurify_url, tmp_path, today())
            try:
                yield world
            finally:
                world.ledger.dispose()
        finally:
            forget_shared_tokens()
            stop_procurify()
    finally:
        stop_jde()
