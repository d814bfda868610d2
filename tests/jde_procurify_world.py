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
* ``all_assets()``: every asset a test may run: JDE tables, SaaS entities, and the default instance's own
  (``jde_procurify_parts``). ``world.materialize`` / ``world.run`` / ``world.run_whole`` materialize
  assets by name.
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
* Ledger: ``world.replay_queued(flow, FLOW)`` (a flow's open items replayed), ``world.xrefs(entity)``
  (the target system is the entity's, per the design's flow table), ``world.queue(flow)`` (open
  retry-queue items: source key -> reason), ``world.audit_counts(flow)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetsDefinition
from jde_money import payment_of_open_amount
from jde_procurify_parts import INTEGRATION, PARTS
from sandbox_hands import JdeHands, ProcurifyHands
from sandbox_logins import LOGINS, procurify_resource
from sandbox_world import Integration, PairWorld, pair_world

from connector_assets.jde.assets import jde_assets
from connector_assets.jde.supplier_addresses import supplier_addresses_asset
from connector_assets.saas.assets import saas_assets
from connector_resources.procurify import ProcurifyResource
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.procurify import ProcurifySandboxSettings

# The default instance's name, and the Procurify client as the world builds it, for a test's own.
__all__ = ["INTEGRATION", "procurify_resource"]


def all_assets() -> list[AssetsDefinition]:
    """The JDE tables, SaaS entities and F0116 as the deployment stages them (``system_sides``: no flow
    builds F0116), then the default instance's own assets (those it materializes)."""
    shared = [*jde_assets, *saas_assets, supplier_addresses_asset]
    keys = {a.key for a in shared}
    own = (a for a in PARTS.own_assets() if isinstance(a, AssetsDefinition))
    return shared + [a for a in own if a.key not in keys]


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
MASTER = ("jde/gl_accounts", "jde_procurify/account_map", "jde_procurify/department_map")
SUPPLIER_SOURCES = ("jde/suppliers", "jde/address_book")  # the suppliers flow's JDE records
ORDER_SOURCES = ("jde/po_headers", "jde/po_lines")  # the purchase orders flow's JDE documents
BATCH_USER = "MLPRCFY"  # ML_JDE_PROCURIFY_BATCH_USER's default: the EDUS of the bills flow's batches


# JDE AIS and Procurify at scale 0.05, no latency, no rate limit; runs take today (UTC), where both
# sandboxes' ``activity`` lands.
INTEGRATION_WORLD = Integration(
    name=INTEGRATION,
    simulators={
        "jde": lambda: JdeSandboxSettings(scale=0.05),
        "procurify": lambda: ProcurifySandboxSettings(scale=0.05),
    },
    assets=all_assets,
    target_of=TARGET_OF,
    master=MASTER,
)


class JdeProcurifyWorld(PairWorld, JdeHands, ProcurifyHands):
    """The JDE and Procurify simulators, the resources ``materialize`` takes (``jde``, ``procurify``,
    ``staging``, ``ledger``), the ledger, runs of a day's assets, and what a test reads back from each
    side."""

    _suppliers: list[int] | None = None  # JDE suppliers not yet paired by ``approved_bill``

    def approved_bill(self, currency: str | None = None) -> dict[str, Any]:
        """The AP clerk enters an expense bill now and approves it (in ``currency``: from a vendor Procurify
        keeps in it, ``/sandbox/bills``); its vendor is paired with a JDE supplier (the next F0401 supplier
        not paired yet) as the vendors flow records a pair, so the bill posts. The bill as the API renders
        it."""
        if currency is None:
            made = self.activity(new_bills=1)["bills"]["created"]
            self.bill_status(made[0], 2)
        else:
            made = [self._operator("bills", {"currency": currency, "status": 2})["bill_uuid"]]
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
        """JDE's own payment run pays the bills' vouchers in full (``jde_pays_vouchers``)."""
        self.jde_pays_vouchers(*(self.bill_voucher(bill_uuid) for bill_uuid in bill_uuids))

    def jde_pays_vouchers(self, *vouchers: dict[str, Any]) -> None:
        """JDE's own payment run pays the F0411 vouchers in full (ML_RecordPayment stands in for it: F0411
        AAP 0, PST P, UPMJ today)."""
        with self.resources["jde"].session() as session:
            for voucher in vouchers:
                session.orchestrate(
                    "ML_RecordPayment",
                    {
                        "Document_Company": voucher["KCO"].strip(),
                        "Document_Number": int(voucher["DOC"]),
                        "Document_Type": "PV",
                        **payment_of_open_amount(voucher),  # a foreign voucher in its own currency
                        "Payment_Date": datetime.now(UTC).date(),
                        "Payment_Reference": f"JDE-CHK-{int(voucher['DOC'])}",
                    },
                )


def jde_procurify_world(
    tmp_path: Path, *, db: str | None = None, **given: Any
) -> AbstractContextManager[JdeProcurifyWorld]:
    """Both simulators served for the block, a world on them: ``jde`` / ``procurify`` (sandbox settings)
    replace ``INTEGRATION_WORLD``'s, the other keywords tune the Procurify client (``page_size``,
    ``max_attempts`` ...); ``db`` is the ledger (a SQLite file under ``tmp_path`` unless given)."""
    settings = {key: given.pop(key) for key in ("jde", "procurify") if key in given}
    fields = {"procurify": given}
    return pair_world(INTEGRATION_WORLD, tmp_path, JdeProcurifyWorld, settings=settings, fields=fields, db=db)


def mastered_world(name: str, **given: Any) -> Any:
    """A module-scoped ``world`` fixture: the module's world in its own folder (``name``) with the master data
    flows run; ``given`` as ``jde_procurify_world``'s. Assign it to ``world`` in the test module."""

    @pytest.fixture(scope="module")
    def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JdeProcurifyWorld]:
        with jde_procurify_world(Path(tmp_path_factory.mktemp(name)), **given) as made:
            made.master()
            yield made

    return world
