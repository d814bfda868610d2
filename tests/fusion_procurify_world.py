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
  among them), and the default instance's own (``fusion_procurify_parts.PARTS``).
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
* Fixtures a module imports, used by their names: ``module_world`` (``world``: one default world for the
  module's tests, where a module needs no world of its own), and beside it ``module_suppliers``
  (``suppliers``: 40 Fusion suppliers, each for one test) and ``module_vendors`` (``vendors``: Procurify's
  vendor ids in order).
* Pairs: ``world.pair_vendor(vendor_id, supplier_id)`` (an operator's manual ``vendor`` match in the
  ledger, as ``ml-connector xref set`` records it).
* Ledger: ``world.replay_queued(flow, FLOW)``, ``world.xrefs(entity)`` (the target system is the
  entity's, per the design's flow table), ``world.queue(flow)`` (open items: source key -> reason),
  ``world.audit_counts(flow)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from asset_runs import run_named
from dagster import AssetsDefinition
from fusion_procurify_parts import PARTS
from sandbox_hands import ProcurifyHands
from sandbox_logins import BUSINESS_UNIT, answered, fusion_resource, procurify_resource
from sandbox_world import Integration, PairWorld, pair_world

from connector_assets.jde.assets import jde_assets
from connector_assets.saas.assets import saas_assets
from connector_sandbox.fusion import FusionSandboxSettings
from connector_sandbox.procurify import ProcurifySandboxSettings

# The Fusion pod's business unit and the clients as the world builds them, for a test's own.
__all__ = ["BUSINESS_UNIT", "fusion_resource", "procurify_resource"]
INTEGRATION = "fusion_procurify"


def all_assets() -> list[AssetsDefinition]:
    """The JDE tables and SaaS entities, then the default instance's own assets that are materialized."""
    shared = [*jde_assets, *saas_assets]
    keys = {a.key for a in shared}
    own = (a for a in PARTS.own_assets() if isinstance(a, AssetsDefinition))
    return shared + [a for a in own if a.key not in keys]


def run_assets(resources: dict[str, Any], names: tuple[Any, ...], partition: str | None, **run: Any) -> Any:
    """``asset_runs.run_named`` over every asset of the world (``ok``, ``instance``: ``run``)."""
    return run_named(resources, names, all_assets(), partition, **run)


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
    "fusion_procurify/account_combinations",
    "fusion_procurify/account_map",
    "fusion_procurify/department_map",
)
FUSION_SCALE = 0.02
PROCURIFY_SCALE = 0.05


# A Fusion pod at scale 0.02 and Procurify at 0.05, no latency, no rate limit; runs take today (UTC), where
# both sandboxes' ``activity`` lands.
INTEGRATION_WORLD = Integration(
    name=INTEGRATION,
    simulators={
        "fusion": lambda: FusionSandboxSettings(scale=FUSION_SCALE),
        "procurify": lambda: ProcurifySandboxSettings(scale=PROCURIFY_SCALE),
    },
    assets=all_assets,
    target_of=TARGET_OF,
    master=MASTER,
)


class FusionProcurifyWorld(PairWorld, ProcurifyHands):
    """The Fusion and Procurify simulators, the resources ``materialize`` takes (``fusion``, ``procurify``,
    ``staging``, ``ledger``), the ledger, runs of a day's assets, what a test reads back from each side,
    and vendor pairs."""

    _unpaired: list[str] | None = None  # Fusion suppliers not yet paired by ``approved_bill``

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

    def unpaired_purchasing_supplier(self) -> str:
        """An active Fusion supplier with an active purchasing site in the business unit, not paired with a
        Procurify vendor yet: one a test can pair with the vendor of the order it sends."""
        from fusion_procurify_parts import paired_vendor

        for supplier in self.fusion_suppliers_with_site(purpose="SitePurposePurchasingFlag"):
            if paired_vendor(self.ledger, supplier["SupplierId"]) is None:
                return str(supplier["SupplierId"])
        raise AssertionError("no unpaired Fusion supplier with a purchasing site")

    def purchasing_site(self, supplier_id: str, business_unit: str = BUSINESS_UNIT) -> tuple[dict, dict]:
        """Fusion supplier ``supplier_id`` and its first active purchasing site in ``business_unit``: what
        a purchase order of that supplier names."""
        supplier = self.fusion_record("suppliers", supplier_id)
        assert supplier is not None, f"the pod has no supplier {supplier_id}"
        site = next(
            s
            for s in supplier["sites"]
            if s["ProcurementBU"] == business_unit
            and s.get("SitePurposePurchasingFlag")
            and not s["InactiveDate"]
        )
        return supplier, site

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

    def purchased_order(self) -> dict[str, Any]:
        """A requisition made now and purchased (approved, then one PO per vendor): the simulator's
        purchase answer plus ``requisition`` (the requisition as the API renders it)."""
        [num] = self.activity(new_requisitions=1)["requisitions"]["created"]
        requisition = self.procurify_record("orders", num)["api"]
        return {**self.purchase(requisition["uuid"]), "requisition": requisition}

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
        from fusion_procurify_parts import paired_supplier, paired_vendor

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

    # -- pairs -----------------------------------------------------------------------------------------

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
    settings = {"fusion": fusion, "procurify": procurify}
    fields = {"fusion": fusion_fields or {}, "procurify": procurify_fields}
    with pair_world(
        INTEGRATION_WORLD, tmp_path, FusionProcurifyWorld, settings=settings, fields=fields, db=db
    ) as w:
        yield w


@pytest.fixture(scope="module", name="world")
def module_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FusionProcurifyWorld]:
    """The default world, shared by the module's tests (they share its ledger and simulators)."""
    with fusion_procurify_world(tmp_path_factory.mktemp("fusion_procurify")) as made:
        yield made


@pytest.fixture(scope="module", name="suppliers")
def module_suppliers(world: FusionProcurifyWorld) -> list[dict[str, Any]]:
    """Fusion suppliers, each used by one test only (the world's ledger is shared by the module)."""
    return world.fusion_records("suppliers", limit=40)


@pytest.fixture(scope="module", name="vendors")
def module_vendors(world: FusionProcurifyWorld) -> list[str]:
    return sorted(world.in_procurify("vendors"), key=int)
