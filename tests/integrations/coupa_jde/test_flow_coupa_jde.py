"""Coupa invoices and payments -> JD Edwards end to end: both simulators, the real webhook receiver on
loopback, the real clients, Dagster ``materialize``, and the ledger.

Invoices are created and approved through Coupa's API; call-outs go from the Coupa sandbox to the
receiver, which stores them in the inbox; the poll reads the same day through the API. What JDE holds
is read back from the JDE sandbox's stored rows (``/sandbox/rows/F0411Z1``), never from the flow.
"""

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from built_parts import built
from coupa_jde_world import CALLOUT_AUTH, CALLOUT_PASSWORD, CALLOUT_USER, CoupaApi, deliver_callouts
from dagster import AssetKey, SensorResult, SkipReason, build_sensor_context, materialize
from instances import instance_for_test
from jde_money import in_document_currency, paid, stored
from ledger_entries import audit_ids
from request_log import Logged, RequestLog

from connector_assets.flows.amounts import minor_units
from connector_assets.flows.core import Mapped, validate
from connector_assets.flows.replays import build_replays
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.integrations.coupa_jde.batch_keys import DEFAULT_BATCH_USER, BatchKey
from connector_assets.jde.assets import jde_assets
from connector_assets.runtime.staging import StagingResource
from connector_assets.saas.assets import saas_assets
from connector_resources.coupa import CoupaResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.replay import release_synced, replay_items
from connector_resources.webhooks import coupa_source, create_receiver
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.coupa import create_app as coupa_app
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais import create_app as jde_app
from connector_sandbox.serve import serve_in_thread

pytestmark = pytest.mark.timeout(600)  # Dagster runs: load 15 too

PARTS = built("coupa_jde")  # the default instance's
FLOWS, INVOICES_FLOW, [coupa_jde_inbox_sensor] = PARTS.flows, PARTS.flow("invoices").spec, PARTS.sensors
ACCOUNT_MAP_ENV = PARTS.mapping_table("account_map").variable

INVOICES = (
    "coupa_jde/invoices_mapped",
    "coupa_jde/invoices_written",
    "coupa_jde/invoices_inbox_done",
    "coupa_jde/invoices_marked_exported",
)
UNMARKED = INVOICES[:-1]
PAYMENTS = (
    "coupa_jde/payments_mapped",
    "coupa_jde/payments_written",
    "coupa_jde/payments_inbox_done",
    "coupa_jde/payments_marked_exported",
)
JDE_SUPPLIER = "1011"  # in the JDE sandbox's F0401 at every scale


@dataclass
class World:
    resources: dict[str, Any]
    ledger: Ledger
    coupa: CoupaApi
    coupa_url: str
    jde_root: str
    hooks_url: str
    supplier: int  # a Coupa supplier whose number is the JDE address number
    accounts: dict[str, int]  # "20.8150" -> Coupa account id (segments 20 / 8150)
    jde_log: RequestLog  # every request the JDE simulator received

    def jde_calls(self, orchestration: str) -> list[Logged]:
        """The calls of ``orchestration`` JDE received so far."""
        return [e for e in self.jde_log.entries_all() if e.path.endswith(f"/{orchestration}")]

    def deliver(self, resource: str, ids: list[int]) -> list[dict]:
        return deliver_callouts(self.coupa_url, resource, ids)

    def jde_rows(self, table: str, **where: str) -> list[dict]:
        return requests.get(f"{self.jde_root}/sandbox/rows/{table}", params=where, timeout=10).json()["rows"]

    def jde_payments(self) -> list[dict]:
        return requests.get(f"{self.jde_root}/sandbox/payments", timeout=10).json()["payments"]

    def voucher_rows(self, invoice_id: int) -> tuple[list[dict], list[dict]]:
        key = BatchKey.for_invoice(str(invoice_id), DEFAULT_BATCH_USER)
        where = {"EDUS": key.user, "EDBT": key.batch, "EDTN": key.transaction}
        return self.jde_rows("F0411Z1", **where), self.jde_rows("F0911Z1", **where)


@pytest.fixture
def ledger_url(request, tmp_path) -> str:
    """SQLite by default; ``indirect`` parametrization runs a test on PostgreSQL (a schema of its own)."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_schema_url")
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


@pytest.fixture
def world(tmp_path, ledger_url):
    jde_settings = JdeSandboxSettings(scale=0.02)
    jde_log = RequestLog(jde_app(jde_settings))
    jde_url, stop_jde = serve_in_thread(jde_log, host=jde_settings.host, port=0, path="/jderest")
    # Seeded history ends long before today, so today's partition holds only what the test creates.
    settings = CoupaSandboxSettings(
        scale=0.02, anchor_date=date.today() - timedelta(days=400), callouts={"auto_deliver": False}
    )
    coupa_url, stop_coupa = serve_in_thread(coupa_app(settings))
    requests.post(f"{coupa_url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
    db = ledger_url
    ledger = Ledger(db)
    sources = {
        "coupa_invoices": coupa_source("coupa_invoices", "invoices", **CALLOUT_AUTH),
        "coupa_payments": coupa_source("coupa_payments", "payments", **CALLOUT_AUTH),
    }
    hooks_url, stop_hooks = serve_in_thread(create_receiver(sources, ledger))
    for resource, source in (("invoices", "coupa_invoices"), ("payments", "coupa_payments")):
        requests.post(
            f"{coupa_url}/sandbox/callouts",
            json={"url": f"{hooks_url}/webhooks/{source}", "resource": resource},
            timeout=10,
        ).raise_for_status()
    jde = JdeAisResource(
        base_url=jde_url, username="INTEGR8", password="integr8-sandbox", environment="JPS920", role="*ALL"
    )
    resources = {
        "jde": jde,
        "coupa": CoupaResource(
            base_url=coupa_url,
            client_id="ml-connector-sandbox",
            client_secret="sandbox-coupa-secret",
            token_warmup_seconds=0,
            backoff_base=0.01,
        ),
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=db),
        "target_boundary": UNWRAPPED,
    }
    coupa = CoupaApi(coupa_url)
    # A payment term too: the sandbox's activity generator needs one on every supplier.
    supplier = coupa.call(
        "POST",
        "suppliers",
        {
            "name": "Flow Test Baustoffe",
            "number": JDE_SUPPLIER,
            "status": "active",
            "payment-term": {"id": 1},
        },
    )["id"]
    accounts = {f"20.{obj}": coupa.account("20", obj) for obj in ("8150", "6110", "8199", "8160")}
    assert _run(resources, "jde/gl_accounts")[0].success  # the F0901 cache the mapping checks against
    yield World(
        resources,
        ledger,
        coupa,
        coupa_url,
        jde_url.removesuffix("/jderest"),
        hooks_url,
        supplier,
        accounts,
        jde_log,
    )
    stop_hooks()
    stop_coupa()
    stop_jde()


def _run(resources, *names, partition: str | None = None, days: tuple[str, str] | None = None):
    """Materialize the named assets for one day, or for a range of days in one run (a backfill)."""
    every = [*saas_assets, *jde_assets, *PARTS.own_assets()]
    chosen = [a for a in every if a.key.to_user_string() in names]
    tags = {}
    if days is not None:
        tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[1]}
    with instance_for_test() as instance:
        result = materialize(
            chosen,
            resources=resources,
            instance=instance,
            partition_key=partition,
            tags=tags,
            raise_on_error=False,
        )
    metadata = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }
    return result, metadata


def _day(record: dict) -> str:
    return datetime.fromisoformat(record["updated-at"]).astimezone(UTC).date().isoformat()


def _queue(ledger: Ledger, flow: str, status: str | None = None) -> dict[str, Any]:
    return {i.source_key: i for i in ledger.open_items(integration="coupa_jde", flow=flow, status=status)}


def test_an_invoice_from_inbox_and_poll_becomes_one_voucher_and_reruns_write_nothing(world):
    lines = [(world.accounts["20.8150"], "100.00"), (world.accounts["20.6110"], "40.50")]
    invoice = world.coupa.invoice(world.supplier, "T-100", lines, tax="9.50")
    day = _day(invoice)
    [delivered] = world.deliver("invoices", [invoice["id"]])
    assert delivered["ok"]
    world.deliver("invoices", [invoice["id"]])  # redelivered: the same event, stored once
    assert _run(world.resources, "coupa/invoices", partition=day)[0].success  # the poll sees it too
    assert len(world.ledger.inbox_pending(source="coupa_invoices")) == 1

    # Coupa stamps whole seconds: the mark below must land in a later second than the creation to be
    # a new version (same id and updated-at is the same call-out), so the sandbox clock moves on one.
    requests.post(
        f"{world.coupa_url}/sandbox/clock", json={"advance_seconds": 1}, timeout=10
    ).raise_for_status()
    # Run as a two-day backfill in one run: every step goes day by day, the acknowledging one too.
    day_before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    result, metadata = _run(world.resources, *INVOICES, days=(day_before, day))
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    assert metadata["coupa_jde/invoices_written"]["create"] == 1
    pay_items, distribution = world.voucher_rows(invoice["id"])
    assert [(r["AN8"], r["VINV"], r["AG"], r["EDSP"]) for r in pay_items] == [(1011, "T-100", 15000, "0")]
    assert sorted((r["ANI"], r["AA"]) for r in distribution) == [
        ("20.6110", 4050),
        ("20.8150", 950),
        ("20.8150", 10000),
    ]  # the tax follows the largest line
    xref = world.ledger.get_xref("coupa_jde", "invoice", "coupa", str(invoice["id"]), "JDE")
    assert xref.target_id == f"MLCOUPA/CP{invoice['id']}/COUPA-INV-{invoice['id']}"
    assert world.ledger.inbox_pending(source="coupa_invoices") == []  # acknowledged after the write
    # Coupa hears back: the invoice is marked exported after (never before) its voucher reached JDE.
    assert metadata["coupa_jde/invoices_marked_exported"]["marked"] == 1
    assert world.coupa.call("GET", f"invoices/{invoice['id']}")["exported"] is True
    history = world.ledger.history(str(invoice["id"]))
    assert [(e.action, e.target_system) for e in history] == [("create", "JDE"), ("update", "coupa")]
    assert "marked exported in coupa" in history[1].reason

    # The mark is a new version in Coupa (exported): its call-out is consumed and writes nothing.
    world.deliver("invoices", [invoice["id"]])
    assert len(world.ledger.inbox_pending(source="coupa_invoices")) == 1
    again, metadata = _run(world.resources, *INVOICES, partition=day)
    assert again.success and metadata["coupa_jde/invoices_written"]["create"] == 0
    assert metadata["coupa_jde/invoices_written"]["update"] == 0
    assert world.ledger.inbox_pending(source="coupa_invoices") == []
    assert [len(rows) for rows in world.voucher_rows(invoice["id"])] == [1, 3]
    assert metadata["coupa_jde/invoices_marked_exported"]["marked"] == 0  # marked once, not again
    assert [e.action for e in world.ledger.history(str(invoice["id"]))] == ["create", "update"]


def test_bad_accounts_are_queued_in_finance_words_and_the_other_invoices_proceed(
    world, tmp_path, monkeypatch
):
    mapping = tmp_path / "accounts.csv"
    seeded = world.coupa.call("GET", "accounts?active=true&limit=1")[
        0
    ]  # a Coupa-only code, e.g. 00001-2000-6600
    mapping.write_text(f"coupa_account,jde_account\n{seeded['code']},20.6510\n", encoding="utf-8")
    monkeypatch.setenv(ACCOUNT_MAP_ENV, str(mapping))
    good = world.coupa.invoice(world.supplier, "T-200", [(world.accounts["20.8150"], "10.00")])
    # A Coupa supplier the JDE -> Coupa suppliers flow created from JDE supplier 1012: its Coupa number
    # means nothing to JDE, the cross-reference knows the address number.
    synced = world.coupa.call("GET", "suppliers?status=active&number[starts_with]=10&limit=1")[0]
    world.ledger.record_target("jde_coupa", "supplier", "JDE", "1012", "coupa", str(synced["id"]), "h")
    via_xref = world.coupa.invoice(synced["id"], "T-205", [(world.accounts["20.6110"], "11.00")])
    mapped = world.coupa.invoice(world.supplier, "T-201", [(seeded["id"], "20.00")])
    unknown = world.coupa.invoice(world.supplier, "T-202", [(world.accounts["20.8199"], "30.00")])
    summary = world.coupa.invoice(world.supplier, "T-203", [(world.accounts["20.8160"], "40.00")])
    too_long = world.coupa.invoice(world.supplier, "T-204-" + "X" * 24, [(world.accounts["20.8150"], "5.00")])
    day = _day(too_long)
    assert _run(world.resources, "coupa_jde/account_map")[0].success
    assert _run(world.resources, "coupa/invoices", partition=day)[0].success

    result, metadata = _run(world.resources, *INVOICES, partition=day)
    assert result.success and metadata["coupa_jde/invoices_written"]["create"] == 3
    invoices = (good, mapped, via_xref, unknown, summary, too_long)
    assert [len(world.voucher_rows(i["id"])[0]) for i in invoices] == [1, 1, 1, 0, 0, 0]
    assert world.voucher_rows(via_xref["id"])[0][0]["AN8"] == 1012
    assert [r["ANI"] for r in world.voucher_rows(mapped["id"])[1]] == ["20.6510"]
    queued = _queue(world.ledger, "invoices", "failed")
    assert set(queued) == {str(unknown["id"]), str(summary["id"]), str(too_long["id"])}
    assert (
        "account 20.8199 not found in F0901 (Coupa account 20-8199, line 1)"
        in queued[str(unknown["id"])].reason
    )
    assert "account 20.8160 is not postable (posting edit code N" in queued[str(summary["id"])].reason
    assert queued[str(too_long["id"])].reason.startswith(f"invoice {too_long['id']}: field invoice_number")

    # Finance fixes the mapping table (20-8199 is booked to 20.8150) and reruns the day: the invoice is
    # written and its retry-queue item resolved, so the queue only shows what still needs attention.
    mapping.write_text(f"coupa_account,jde_account\n{seeded['code']},20.6510\n20-8199,20.8150\n")
    assert _run(world.resources, "coupa_jde/account_map")[0].success
    result, metadata = _run(world.resources, *INVOICES, partition=day)
    assert result.success and metadata["coupa_jde/invoices_written"]["create"] == 1
    assert [r["ANI"] for r in world.voucher_rows(unknown["id"])[1]] == ["20.8150"]
    assert set(_queue(world.ledger, "invoices")) == {str(summary["id"]), str(too_long["id"])}


def test_the_invoice_jobs_stage_the_account_table_they_map_with(world, tmp_path, monkeypatch):
    """``coupa_jde_flows`` failed a first run ("names a mapping table but coupa_jde/account_map was never
    loaded"): a job that maps invoices now stages the table in the same run, before the mapping."""
    from connector_assets.definitions import defs

    mapping = tmp_path / "accounts.csv"
    mapping.write_text("coupa_account,jde_account\n20-8199,20.8150\n", encoding="utf-8")
    monkeypatch.setenv(ACCOUNT_MAP_ENV, str(mapping))
    jobs = {
        name: {key.to_user_string() for key in defs.resolve_job_def(name).asset_layer.executable_asset_keys}
        for name in ("coupa_jde_flows", "coupa_jde_invoices")
    }
    assert all("coupa_jde/account_map" in selected for selected in jobs.values()), jobs
    invoice = world.coupa.invoice(world.supplier, "T-300", [(world.accounts["20.8199"], "30.00")])
    day = _day(invoice)
    assert _run(world.resources, "coupa/invoices", partition=day)[0].success
    result, metadata = _run(world.resources, *jobs["coupa_jde_invoices"], partition=day)  # a first run
    assert result.success and metadata["coupa_jde/invoices_written"]["create"] == 1
    assert [r["ANI"] for r in world.voucher_rows(invoice["id"])[1]] == ["20.8150"]


def _correct(world: World, invoice_id: int, account: int) -> dict:
    """Disputed, corrected (another account) and approved again: a newer version with other content."""
    time.sleep(1.1)  # Coupa stamps whole seconds: the corrected version must be visibly newer
    world.coupa.call("PUT", f"invoices/{invoice_id}/dispute")
    world.coupa.call("PUT", f"invoices/{invoice_id}/withdraw_dispute")
    line = world.coupa.call("GET", f"invoices/{invoice_id}")["invoice-lines"][0]
    change = {"invoice-lines": [{"id": line["id"], "account": {"id": account}}]}
    world.coupa.call("PUT", f"invoices/{invoice_id}", change)
    world.coupa.call("PUT", f"invoices/{invoice_id}/submit")
    return world.coupa.call("PUT", f"invoices/{invoice_id}/bypass_approvals")


@pytest.mark.parametrize("ledger_url", ["sqlite", "postgresql"], indirect=True)
def test_an_older_version_arriving_after_a_newer_one_is_not_applied(world):
    first = world.coupa.invoice(world.supplier, "T-300", [(world.accounts["20.8150"], "70.00")])
    invoice_id, day = first["id"], _day(first)
    newer = _correct(world, invoice_id, world.accounts["20.6110"])
    assert newer["updated-at"] > first["updated-at"] and _day(newer) == day
    world.deliver("invoices", [invoice_id])
    assert _run(world.resources, *INVOICES, partition=day)[0].success
    assert [r["ANI"] for r in world.voucher_rows(invoice_id)[1]] == ["20.6110"]

    # The first approval's call-out, delayed in transit, arrives now: a genuine (Basic), older version.
    body = json.dumps(first).encode()
    headers = {"Content-Type": "application/json"}
    late = requests.post(
        f"{world.hooks_url}/webhooks/coupa_invoices",
        data=body,
        headers=headers,
        auth=(CALLOUT_USER, CALLOUT_PASSWORD),
        timeout=10,
    )
    assert late.json()["stored"] is True
    result, metadata = _run(world.resources, *INVOICES, partition=day)
    assert result.success and metadata["coupa_jde/invoices_inbox_done"] == {"processed": 1, "stale": 1}
    assert [r["ANI"] for r in world.voucher_rows(invoice_id)[1]] == ["20.6110"]  # still the newer one
    assert _queue(world.ledger, "invoices") == {}
    skipped = [e for e in world.ledger.history(str(invoice_id)) if e.action == "skip"]
    assert skipped and "older version" in skipped[-1].reason and "not applied" in skipped[-1].reason

    # Corrected again after JDE has the voucher: never rewritten or doubled, queued for a person instead.
    _correct(world, invoice_id, world.accounts["20.8150"])
    world.deliver("invoices", [invoice_id])
    assert _run(world.resources, *INVOICES, partition=day)[0].success
    assert [r["ANI"] for r in world.voucher_rows(invoice_id)[1]] == ["20.6110"]
    reason = _queue(world.ledger, "invoices", "failed")[str(invoice_id)].reason
    assert reason.startswith(
        f"invoice {invoice_id}: changed in Coupa after it was written to JDE as MLCOUPA/"
    )


def test_a_voucher_written_before_a_crash_is_adopted_not_written_twice(world):
    # Coupa is marked only after the ledger holds the voucher, so a crash that lost the ledger's record
    # also lost the mark: the runs here stop before marking, as that crashed run did.
    invoice = world.coupa.invoice(world.supplier, "T-400", [(world.accounts["20.8150"], "12.34")])
    day = _day(invoice)
    world.deliver("invoices", [invoice["id"]])
    assert _run(world.resources, *UNMARKED, partition=day)[0].success
    key = str(invoice["id"])

    # JDE accepted the batch, the process died before the ledger recorded it: the intent is pending.
    with world.ledger.engine.begin() as conn:
        conn.execute(
            sa.text(
                "update mlc_xref set target_id = null, content_hash = null, state = 'pending' "
                "where source_key = :k and integration = 'coupa_jde'"
            ),
            {"k": key},
        )
    result, metadata = _run(world.resources, "coupa/invoices", *UNMARKED, partition=day)
    assert result.success and metadata["coupa_jde/invoices_written"]["adopt"] == 1
    assert [len(rows) for rows in world.voucher_rows(invoice["id"])] == [1, 1]

    # The ledger lost even the intent (restored from an older backup): JDE answers 59A4, which is adopted.
    with world.ledger.engine.begin() as conn:
        conn.execute(
            sa.text("delete from mlc_xref where source_key = :k and integration = 'coupa_jde'"), {"k": key}
        )
    result, _ = _run(world.resources, "coupa/invoices", *UNMARKED, partition=day)
    assert result.success and _queue(world.ledger, "invoices") == {}
    assert [len(rows) for rows in world.voucher_rows(invoice["id"])] == [1, 1]
    adoptions = [e.reason for e in world.ledger.history(key) if e.action == "adopt"]
    assert len(adoptions) == 2 and "59A4" in adoptions[-1]
    # One event per write: the 59A4 adoption is recorded as an adoption, not also as a create.
    assert [e.action for e in world.ledger.history(key) if e.action in ("create", "adopt")][-1] == "adopt"
    assert [e.action for e in world.ledger.history(key)].count("create") <= 1
    xref = world.ledger.get_xref("coupa_jde", "invoice", "coupa", key, "JDE")
    assert xref.target_id == BatchKey.for_invoice(key, DEFAULT_BATCH_USER).target_id


def test_a_payment_pulls_its_invoice_then_is_recorded_once_in_the_invoices_currency(world):
    """A euro invoice's Coupa Pay payment arriving before its invoice pulls it (its voucher batch written
    once, by the invoices flow's own writer), waits for R04110ZA, and is recorded once, in euros. The
    invoices' run carries a yen invoice and one billing a JDE order too: R04110ZA converts the euro and yen
    vouchers at JDE's F0015 rates (both currencies to the cent / yen in F0411 and F0911), the order is on
    the voucher, and JDE's request log shows nothing sent twice."""
    invoice = world.coupa.invoice(
        world.supplier, "T-500", [(world.accounts["20.8150"], "250.00")], currency="EUR"
    )
    # Coupa Pay settles every unpaid approved invoice of the instance, ours among them.
    requests.post(f"{world.coupa_url}/sandbox/activity", json={"new_payments": 1000}, timeout=30)
    # Approved after that payment run (so Coupa Pay leaves them to the ERP): a yen invoice and a dollar
    # invoice billing a JDE order JDE -> Coupa sent (its po-number KCOO-DOCO-DCTO, cross-referenced).
    yen = world.coupa.invoice(
        world.supplier,
        "T-501",
        [(world.accounts["20.8150"], "120000"), (world.accounts["20.6110"], "34567")],
        currency="JPY",
    )
    [order] = [o for o in world.jde_rows("F4301") if o["AN8"] == int(JDE_SUPPLIER)][:1]
    po_number = f"{order['KCOO']}-{order['DOCO']}-{order['DCTO']}"
    world.ledger.record_target("jde_coupa", "purchase order", "JDE", po_number, "coupa", "9101", "sent")
    ordered = world.coupa.invoice(
        world.supplier, "T-502", [(world.accounts["20.8150"], "75.00")], po_number=po_number
    )
    payments = requests.get(f"{world.coupa_url}/sandbox/records/payments?limit=5000", timeout=10).json()[
        "records"
    ]
    [payment] = [p for p in payments if p["payment-details"][0]["source-transaction-id"] == invoice["id"]]
    world.deliver("payments", [payment["id"]])
    day = _day(payment)
    key = f"{payment['id']}:{invoice['id']}"

    # Its invoice never synced (its call-out has not arrived): the payments' write step pulls it through the
    # invoices flow, its voucher batch written once, and then sends the payment, which JDE cannot record
    # until R04110ZA has made that batch a voucher: held on the batch, saying so, never counted failed.
    result, metadata = _run(world.resources, *PAYMENTS, partition=day)
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    written = metadata["coupa_jde/payments_written"]
    pulled = (written["parents_pulled"], written["parents_missing"], written["parents_left"])
    assert pulled == (1, 0, 0) and written["written_after_pull"] == 1, written
    assert (written["fail"], written["held"], written["queued_failed"]) == (0, 1, 0), written
    assert audit_ids(world.ledger, "coupa_jde", "invoices", "create") == [str(invoice["id"])]
    assert len(world.voucher_rows(invoice["id"])[0]) == 1
    waiting = _queue(world.ledger, "payments", "held")[key]
    batch = BatchKey.for_invoice(str(invoice["id"]), DEFAULT_BATCH_USER).target_id
    assert waiting.depends_on == f"JDE:voucher_batch:F0411Z1:{batch}"
    assert f"Batch Voucher Processor (R04110ZA) turns voucher batch {batch}" in waiting.reason
    assert key not in _queue(world.ledger, "payments", "failed")

    # The invoices' call-outs arrive and they sync: the pulled one is in JDE already (skipped), the others
    # are written.
    world.deliver("invoices", [invoice["id"], yen["id"], ordered["id"]])
    invoice_day = _day(world.coupa.call("GET", f"invoices/{invoice['id']}"))
    assert _day(yen) == _day(ordered) == invoice_day
    result, metadata = _run(world.resources, *INVOICES, partition=invoice_day)
    written = metadata["coupa_jde/invoices_written"]
    assert result.success and (written["create"], written["skip"]) == (2, 1), written
    # Each in its own currency, in Currency_Mode F (company 00001 keeps USD), no rate stated; the ordered
    # one domestic, naming its order.
    [euro_item], euro_lines = world.voucher_rows(invoice["id"])
    [yen_item], yen_lines = world.voucher_rows(yen["id"])
    assert [(r["CRCD"], r["CRRM"], r["CRR"], r["AG"]) for r in (euro_item, yen_item)] == [
        ("EUR", "F", 0, 0),
        ("JPY", "F", 0, 0),
    ]
    assert (in_document_currency(euro_item), in_document_currency(yen_item)) == (Decimal("250.00"), 154567)
    assert sorted(in_document_currency(r, "AA") for r in yen_lines) == [34567, 120000]
    [order_item], _ = world.voucher_rows(ordered["id"])
    assert (order_item["CRCD"], order_item["CRRM"], order_item["AG"]) == ("USD", "D", 7500)
    order_key = (order["KCOO"], str(order["DOCO"]), order["DCTO"])  # PO is text in JDE (VLPO A 8)
    assert (order_item["PKCO"], order_item["PO"], order_item["PDCT"]) == order_key
    # A rerun of the day with the poll, which brings the day's other Coupa Pay payments: their invoices
    # never synced, but Coupa shows them exported by another process, so the pull leaves them (never
    # written here) and their payments are skipped with them, not left waiting. Ours stays held on its
    # batch (the day's check passes).
    result, metadata = _run(world.resources, "coupa/payments", *PAYMENTS, partition=day)
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    written = metadata["coupa_jde/payments_written"]
    others = written["parents_never_written"]
    assert others > 0 and (written["parents_pulled"], written["parents_missing"]) == (0, 0), written
    day_queue = (written["fail"], written["held"], written["queued_failed"], written["queued_held"])
    assert day_queue == (0, 1, 0, 1), written
    assert set(_queue(world.ledger, "payments")) == {key}
    assert _queue(world.ledger, "payments", "held")[key].depends_on == waiting.depends_on
    skipped = set(audit_ids(world.ledger, "coupa_jde", "payments", "skip"))
    assert len(skipped) >= others and key not in skipped, skipped
    for other in skipped:
        [event] = [e for e in world.ledger.history(other) if e.action == "skip"]
        assert "which another process took (exported by another process" in event.reason, event.reason
    assert audit_ids(world.ledger, "coupa_jde", "invoices", "create") == [
        str(i["id"]) for i in (invoice, yen, ordered)
    ]  # nothing pulled twice, nothing exported elsewhere written

    # A replay while the batch is still unprocessed leaves it held: nothing sent, nothing failed.
    replays = build_replays(FLOWS, lambda: {"jde": world.resources["jde"]})
    assert key not in {i.source_key for i in release_synced(world.ledger, replays)}
    assert _queue(world.ledger, "payments", "held")[key].attempts == waiting.attempts
    requests.post(f"{world.jde_root}/sandbox/process-vouchers", timeout=10).raise_for_status()

    # R04110ZA has run: the next replay's sweep releases it (saying why) and the replay records it.
    [released] = [i for i in release_synced(world.ledger, replays) if i.source_key == key]
    assert released.status == "failed" and "made voucher batch" in released.reason
    summary = replay_items(world.ledger, [released], replays)
    assert summary.replayed and not summary.failed
    assert [e.action for e in world.ledger.history(key)].count("fail") == 0
    reference = f"COUPAPAY-{payment['id']}"
    ours = [p for p in world.jde_payments() if p["reference"] == reference]
    assert len(ours) == 1 and (ours[0]["currency"], paid(ours[0])) == ("EUR", Decimal("250.00"))
    [voucher] = world.jde_rows("F0411", DOC=str(world.voucher_rows(invoice["id"])[0][0]["DOC"]))
    assert voucher["AAP"] == 0 and voucher["FAP"] == 0 and voucher["PST"] == "P"
    # R04110ZA made each foreign voucher's domestic side at F0015's rate for its G/L date: F0411 holds the
    # invoice in its currency (ACR) and in dollars (AG), F0911 the lines in dollars (ledger AA) and in the
    # invoice's currency (ledger CA), each ledger adding up to its gross.
    rates = {r["CRCD"]: Decimal(r["CRR"]).scaleb(-7) for r in world.jde_rows("F0015", CRDC="USD")}
    assert (rates["EUR"], rates["JPY"]) == (Decimal("1.0834"), Decimal("0.00667"))
    for coupa_invoice, currency, gross, dollars in (
        (invoice, "EUR", Decimal("250.00"), Decimal("270.85")),  # 250.00 x 1.0834
        (yen, "JPY", Decimal(154567), Decimal("1030.96")),  # 154,567 x 0.00667 = 1,030.96189
    ):
        [item], _ = world.voucher_rows(coupa_invoice["id"])
        [voucher] = world.jde_rows("F0411", DOC=str(item["DOC"]))
        assert (voucher["CRCD"], voucher["CRRM"], Decimal(voucher["CRR"]).scaleb(-7)) == (
            currency,
            "F",
            rates[currency],
        )
        assert (stored(voucher, "ACR"), stored(voucher, "AG")) == (gross, dollars), voucher
        ledger = world.jde_rows("F0911", DOC=str(item["DOC"]), DCT="PV")
        domestic = [r for r in ledger if r["LT"] == "AA"]
        in_currency = [r for r in ledger if r["LT"] == "CA"]
        assert len(domestic) == len(in_currency) == len(world.voucher_rows(coupa_invoice["id"])[1])
        assert sum(stored(r, "AA") for r in domestic) == dollars
        assert sum(Decimal(r["AA"]).scaleb(-minor_units(currency)) for r in in_currency) == gross
        assert {r["CRCD"] for r in ledger} == {currency}
    [order_item], _ = world.voucher_rows(ordered["id"])
    [voucher] = world.jde_rows("F0411", DOC=str(order_item["DOC"]))
    assert (voucher["PKCO"], voucher["PO"], voucher["PDCT"], voucher["AG"]) == (*order_key, 7500)

    assert world.coupa.call("GET", f"coupa_pay/payments/{payment['id']}")["exported"] is False
    again, metadata = _run(world.resources, "coupa/payments", *PAYMENTS, partition=day)
    assert again.success and metadata["coupa_jde/payments_written"]["skip"] == 1
    assert len([p for p in world.jde_payments() if p["reference"] == reference]) == 1
    # The replay wrote it, the next run marks it: the ledger, not the run, says what is unmarked.
    assert metadata["coupa_jde/payments_marked_exported"]["marked"] == 1
    assert world.coupa.call("GET", f"coupa_pay/payments/{payment['id']}")["exported"] is True
    # JDE's own request log: each voucher batch sent once, the payment recorded once.
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == 3
    assert len(world.jde_calls("ML_RecordPayment")) == 1


def test_a_systemic_share_of_refusals_writes_the_fine_one_queues_the_rest_and_fails_the_day(world):
    # Ten invoices on an account JDE does not have (a broken mapping) and one fine one: systemic.
    broken = [
        world.coupa.invoice(world.supplier, f"T-6{n:02d}", [(world.accounts["20.8199"], "1.00")])
        for n in range(10)
    ]
    fine = world.coupa.invoice(world.supplier, "T-699", [(world.accounts["20.8150"], "1.00")])
    world.deliver("invoices", [i["id"] for i in [*broken, fine]])
    day = _day(fine)
    result, metadata = _run(world.resources, *INVOICES, "coupa_jde/invoices_verdict", partition=day)
    # The day marked: both checks red, and the run failed by the day's verdict alone ...
    assert not result.success
    assert [c.passed for c in result.get_asset_check_evaluations()] == [False, False]
    [failure] = result.get_step_failure_events()
    assert failure.step_key == "coupa_jde__invoices_verdict", failure.step_key
    said = failure.step_failure_data.user_failure_data.description
    assert "10 of 11 invoice records" in said and "looks systemic" in said and "20.8199" in said, said
    assert "coupa_jde/invoices_verdict" not in metadata, metadata
    # ... after posting the fine one and queueing the ten, each with its reason ...
    pay_items, lines = world.voucher_rows(fine["id"])
    assert len(pay_items) == 1 and lines, (pay_items, lines)
    queued = _queue(world.ledger, "invoices")
    assert set(queued) == {str(i["id"]) for i in broken}, queued
    assert all("20.8199" in item.reason for item in queued.values()), queued
    # ... and the steps after the write ran in the same run: the fine one marked exported in Coupa, the
    # inbox rows acknowledged (each invoice written or queued with its reason).
    assert metadata["coupa_jde/invoices_marked_exported"]["marked"] == 1, metadata
    assert world.coupa.call("GET", f"invoices/{fine['id']}")["exported"] is True
    assert all(world.coupa.call("GET", f"invoices/{i['id']}")["exported"] is False for i in broken)
    assert world.ledger.inbox_pending(source="coupa_invoices") == []

    # The F0901 cache gone is systemic too: the mapped step (the day read again by the poll) stops before
    # anything is written.
    world.resources["staging"].path(AssetKey(["jde", "gl_accounts"]), None).unlink()
    result, metadata = _run(world.resources, "coupa/invoices", *INVOICES, partition=day)
    assert not result.success and set(metadata) == {"coupa/invoices"}, metadata


def test_invalid_voucher_records_name_the_record_and_the_field():
    fields = {
        "invoice_number": "INV-1",
        "supplier_number": "1011",
        "company": "00001",
        "gross_amount": "10.00",
        "invoice_date": "2026-01-02",
        "currency": "USD",
        "distribution_lines": 1,
        "batch_number": "CP7",
        "transaction_number": "COUPA-INV-7",
        "coupa_updated_at": "2026-01-02T03:04:05Z",
    }
    records = [Mapped("7", {}, fields), Mapped("8", {}, {**fields, "supplier_number": "V-1011"})]
    checked = validate(INVOICES_FLOW, records)
    assert [r.source_key for r in checked.valid] == ["7"]
    assert checked.rejected[0].reason.startswith("invoice 8: field supplier_number has the wrong format")


def _inbox_body(record_id: int, updated: str) -> bytes:
    return json.dumps({"id": record_id, "status": "approved", "updated-at": updated}).encode()


def test_the_sensor_requests_one_run_per_day_of_pending_inbox_rows(db_url):
    db = db_url
    ledger = Ledger(db)
    put = ledger.inbox_put
    put(
        source="coupa_invoices",
        event_id="invoices:1:a",
        body=_inbox_body(1, "2026-03-01T23:30:00-08:00"),
        headers={},
    )
    put(
        source="coupa_payments",
        event_id="payments:2:a",
        body=_inbox_body(2, "2026-03-02T09:00:00Z"),
        headers={},
    )
    put(
        source="coupa_invoices",
        event_id="invoices:3:a",
        body=_inbox_body(3, "2026-03-03T10:00:00Z"),
        headers={},
    )
    put(source="bill", event_id="bill-1", body=b'{"metadata": {}}', headers={})  # another sensor's
    put(source="coupa_invoices", event_id="broken", body=b"not json", headers={})
    last = ledger.inbox_pending(limit=100)[-1].id  # the broken row
    resources = {"ledger": LedgerResource(db_url=db)}
    with (
        instance_for_test() as instance,
        build_sensor_context(instance=instance, resources=resources) as context,
    ):
        result = coupa_jde_inbox_sensor(context)
    assert isinstance(result, SensorResult)
    # 2026-03-01 23:30 in Los Angeles is 2 March in UTC: partitions are UTC days.
    requested = [(r.partition_key, r.run_key) for r in result.run_requests]
    assert requested == [(d, f"coupa-inbox-{d}-{last}") for d in ("2026-03-02", "2026-03-03")]
    assert result.cursor == str(last)
    still_pending = {e.event_id for e in ledger.inbox_pending(limit=100)}  # the broken row is marked failed
    assert still_pending == {"invoices:1:a", "payments:2:a", "invoices:3:a", "bill-1"}
    with (
        instance_for_test() as instance,
        build_sensor_context(instance=instance, resources=resources, cursor=result.cursor) as context,
    ):
        assert isinstance(coupa_jde_inbox_sensor(context), SkipReason)


def test_a_mark_coupa_refuses_fails_the_step_after_the_write_and_a_rerun_marks_it_once(world):
    invoice = world.coupa.invoice(world.supplier, "T-600", [(world.accounts["20.8150"], "60.00")])
    day = _day(invoice)
    world.deliver("invoices", [invoice["id"]])
    # Coupa fails every call for a while: the voucher still reaches JDE, the mark step fails, loudly.
    faults = f"{world.coupa_url}/sandbox/faults"
    requests.post(faults, json={"fail_next": 1000, "fail_next_status": 503}, timeout=10).raise_for_status()
    result, metadata = _run(world.resources, *INVOICES, partition=day)
    assert not result.success
    assert metadata["coupa_jde/invoices_written"]["create"] == 1
    assert "coupa_jde/invoices_marked_exported" not in metadata
    requests.post(faults, json={"fail_next": 0}, timeout=10).raise_for_status()
    assert world.coupa.call("GET", f"invoices/{invoice['id']}")["exported"] is False

    # The rerun of the failed step alone marks it; the voucher is not written again.
    result, metadata = _run(world.resources, "coupa_jde/invoices_marked_exported", partition=day)
    assert result.success and metadata["coupa_jde/invoices_marked_exported"]["marked"] == 1
    assert world.coupa.call("GET", f"invoices/{invoice['id']}")["exported"] is True
    assert [len(rows) for rows in world.voucher_rows(invoice["id"])] == [1, 1]
    assert [e.action for e in world.ledger.history(str(invoice["id"]))] == ["create", "update"]


def test_an_invoice_refused_for_an_account_is_replayed_from_coupa_with_the_fixed_table(
    world, tmp_path, monkeypatch
):
    invoice = world.coupa.invoice(world.supplier, "T-700", [(world.accounts["20.8199"], "70.00")])
    day = _day(invoice)
    world.deliver("invoices", [invoice["id"]])
    assert _run(world.resources, *INVOICES, partition=day)[0].success
    [item] = _queue(world.ledger, "invoices", "failed").values()
    assert "account 20.8199 not found in F0901" in item.reason

    # Finance maps 20-8199 to 20.8150 and loads the table; the replay reads the invoice from Coupa again
    # and maps it with that table: written once.
    mapping = tmp_path / "accounts.csv"
    mapping.write_text("coupa_account,jde_account\n20-8199,20.8150\n", encoding="utf-8")
    monkeypatch.setenv(ACCOUNT_MAP_ENV, str(mapping))
    assert _run(world.resources, "coupa_jde/account_map")[0].success
    replays = build_replays(FLOWS, lambda: {k: world.resources[k] for k in ("jde", "coupa", "staging")})
    summary = replay_items(world.ledger, [item], replays)
    assert summary.replayed == [item.id] and not summary.failed
    assert [r["ANI"] for r in world.voucher_rows(invoice["id"])[1]] == ["20.8150"]
    assert replay_items(world.ledger, [item], replays).already == [item.id]  # already in JDE: nothing sent
    assert [len(rows) for rows in world.voucher_rows(invoice["id"])] == [1, 1]
    assert [e.action for e in world.ledger.history(str(invoice["id"])) if e.action == "create"] == ["create"]


def test_a_negative_coupa_pay_amount_is_refused_with_a_business_reason_not_a_format_error():
    """A refund or a credit applied in a Coupa Pay run (-3421.06) cannot be a JDE payment (ML_RecordPayment
    takes amounts greater than zero): the record is refused into the retry queue saying what to do, and the
    other invoices the payment settles are still recorded."""
    from datetime import UTC, datetime

    from connector_assets.components import CoupaJde
    from connector_assets.flows.core import Mapped, Rejected, validate
    from connector_assets.integrations.coupa_jde.own import Own
    from connector_assets.integrations.coupa_jde.payments import map_payment

    payment = {
        "id": 812,
        "created-at": "2026-03-02T10:00:00Z",
        "payment-details": [
            {
                "source-transaction-id": 4471,
                "source-transaction-reference": "CN-77",
                "payment-total": "-3421.06",
            },
            {
                "source-transaction-id": 4472,
                "source-transaction-reference": "INV-78",
                "payment-total": "5000.00",
            },
        ],
    }
    refund, paid = map_payment(payment, datetime(2026, 3, 2, 10, tzinfo=UTC), Own.of(CoupaJde()))
    assert isinstance(refund, Rejected) and refund.source_key == "812:4471"
    assert refund.reason.startswith(
        "Coupa payment 812 for invoice 4471 (CN-77) is -3421.06, a refund or a credit applied: JDE payments "
        "cannot be negative"
    )
    assert "debit memo voucher" in refund.reason and "pattern" not in refund.reason
    assert isinstance(paid, Mapped) and paid.body["Payment_Amount"] == "5000.00"
    assert validate(PARTS.flow("payments").spec, [paid]).rejected == []


def test_an_invoice_whose_supplier_jde_lacks_is_sent_once_held_then_written_once_the_supplier_exists(world):
    """JDE refuses it (59A1): held on the supplier, not failed, and never sent again while nothing changed,
    by a run or a replay (the simulator's own request log); once the supplier is set up in JDE a replay
    sweep releases it and the replay writes it, once."""
    suppliers = {r["AN8"] for r in world.jde_rows("F0401")}
    an8 = next(r["AN8"] for r in world.jde_rows("F0101") if r["AN8"] not in suppliers)  # no supplier (yet)
    supplier = world.coupa.call(
        "POST",
        "suppliers",
        {"name": "Nicht Angelegt GmbH", "number": str(an8), "status": "active", "payment-term": {"id": 1}},
    )["id"]
    invoice = world.coupa.invoice(supplier, "T-800", [(world.accounts["20.8150"], "80.00")])
    key, day = str(invoice["id"]), _day(invoice)
    world.deliver("invoices", [invoice["id"]])
    result, metadata = _run(world.resources, *INVOICES, partition=day)
    assert metadata["coupa_jde/invoices_written"]["held"] == 1, metadata
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == 1
    [held] = _queue(world.ledger, "invoices", "held").values()
    assert held.depends_on == f"JDE:supplier:F0401:{an8}" and held.attempts == 0
    assert f"Held until supplier {an8} exists in JDE's supplier master (F0401)" in held.reason
    assert "(JDE 59A1 " in held.reason and _queue(world.ledger, "invoices", "failed") == {}

    # Another run of the day and a replay while nothing changed: nothing sent again.
    assert (
        _run(world.resources, "coupa/invoices", *INVOICES, partition=day)[1]["coupa_jde/invoices_written"][
            "held"
        ]
        == 1
    )
    replays = build_replays(FLOWS, lambda: {k: world.resources[k] for k in ("jde", "coupa", "staging")})
    assert key not in {i.source_key for i in release_synced(world.ledger, replays)}
    summary = replay_items(world.ledger, world.ledger.due(), replays)
    assert not summary.replayed and not summary.failed
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == 1
    assert _queue(world.ledger, "invoices", "held")[key].attempts == 0
    assert world.voucher_rows(invoice["id"]) == ([], [])

    # A/P sets the supplier up in JDE (P04012 on the address book entry): the next sweep releases it, saying
    # why, and the replay writes it once; later runs skip it.
    with world.resources["jde"].session() as session:
        session.orchestrate("ML_AddUpdateSupplier", {"Address_Number": an8, "Company": "00001"})
    [released] = [i for i in release_synced(world.ledger, replays) if i.source_key == key]
    assert f"supplier {an8} is in JDE's supplier master (F0401) now" in released.reason
    assert replay_items(world.ledger, [released], replays).replayed == [released.id]
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == 2
    assert [r["AN8"] for r in world.voucher_rows(invoice["id"])[0]] == [an8]
    again, metadata = _run(world.resources, "coupa/invoices", *INVOICES, partition=day)
    assert metadata["coupa_jde/invoices_written"]["skip"] == 1
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == 2 and _queue(world.ledger, "invoices") == {}


def test_an_invoice_whose_coupa_supplier_has_no_jde_number_is_held_never_sent_then_written_once(world):
    """Found missing by the mapping, before anything is sent: held on the supplier's pair (not refused, not
    counted), no call to JDE by a run, a rerun or a replay while nothing changed; once JDE -> Coupa's
    number reaches the Coupa supplier, the replay sweep releases it (reading Coupa) and the replay writes it,
    once."""
    supplier = world.coupa.call(
        "POST", "suppliers", {"name": "Ohne Nummer AG", "status": "active", "payment-term": {"id": 1}}
    )["id"]
    invoice = world.coupa.invoice(supplier, "T-900", [(world.accounts["20.8150"], "90.00")])
    key, day = str(invoice["id"]), _day(invoice)
    world.deliver("invoices", [invoice["id"]])
    calls = len(world.jde_calls("ML_CreateVoucherBatch"))
    result, metadata = _run(world.resources, *INVOICES, partition=day)
    assert result.success and metadata["coupa_jde/invoices_mapped"]["held"] == 1, metadata
    [held] = _queue(world.ledger, "invoices", "held").values()
    assert held.depends_on == f"coupa_jde:supplier:coupa:{supplier}" and held.attempts == 0
    assert "has no JDE supplier number" in held.reason and "Held until" in held.reason

    replays = build_replays(FLOWS, lambda: {k: world.resources[k] for k in ("jde", "coupa", "staging")})
    _run(world.resources, "coupa/invoices", *INVOICES, partition=day)
    # Coupa shows no number yet.
    assert key not in {i.source_key for i in release_synced(world.ledger, replays)}
    assert not replay_items(world.ledger, world.ledger.due(), replays).replayed
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == calls  # not one call for it
    assert _queue(world.ledger, "invoices", "held")[key].attempts == 0

    an8 = next(iter({r["AN8"] for r in world.jde_rows("F0401")}))
    world.coupa.call("PUT", f"suppliers/{supplier}", {"number": str(an8)})  # what JDE -> Coupa writes
    [released] = [i for i in release_synced(world.ledger, replays) if i.source_key == key]
    assert f"Coupa supplier {supplier} carries JDE address number {an8} now" in released.reason
    assert replay_items(world.ledger, [released], replays).replayed == [released.id]
    assert len(world.jde_calls("ML_CreateVoucherBatch")) == calls + 1
    assert [r["AN8"] for r in world.voucher_rows(invoice["id"])[0]] == [an8]
    _run(world.resources, "coupa/invoices", *INVOICES, partition=day)
    assert (
        len(world.jde_calls("ML_CreateVoucherBatch")) == calls + 1 and _queue(world.ledger, "invoices") == {}
    )


@pytest.mark.parametrize("purge", ["on_processing", "r0411z1p"])
def test_a_payment_is_recorded_once_on_its_voucher_after_jde_purged_the_batch_rows(world, purge):
    """JDE's A/P guide documents two ways processed batch rows leave F0411Z1/F0911Z1: R04110ZA's processing
    option "purge processed transactions", or the purge program R0411Z1P run later. Either way the Coupa Pay
    payment finds its voucher in F0411 by what the voucher carries (invoice number, remark) and is recorded
    once; a rerun records nothing more."""
    invoice = world.coupa.invoice(world.supplier, f"T-PURGE-{purge}", [(world.accounts["20.8150"], "80.00")])
    world.deliver("invoices", [invoice["id"]])
    result, metadata = _run(world.resources, *INVOICES, partition=_day(invoice))
    assert result.success and metadata["coupa_jde/invoices_written"]["create"] == 1
    jde = world.jde_root
    requests.post(
        f"{jde}/sandbox/faults", json={"purge_processed_batches": purge == "on_processing"}, timeout=10
    )
    [made] = requests.post(f"{jde}/sandbox/process-vouchers", timeout=10).json()["processed"]
    if purge == "r0411z1p":
        purged = requests.post(f"{jde}/sandbox/purge-batches", timeout=10).json()["purged"]
        assert made["EDTN"] in {p["EDTN"] for p in purged}  # with every processed batch before it
    assert world.voucher_rows(invoice["id"]) == ([], [])  # the batch rows are gone
    [voucher] = world.jde_rows("F0411", DOC=str(made["DOC"]))
    assert (voucher["VINV"], voucher["RMK"].strip()) == (
        invoice["invoice-number"],
        f"Coupa invoice {invoice['id']}",
    )

    requests.post(f"{world.coupa_url}/sandbox/activity", json={"new_payments": 1000}, timeout=30)
    payments = requests.get(f"{world.coupa_url}/sandbox/records/payments?limit=5000", timeout=10).json()
    [payment] = [
        p for p in payments["records"] if p["payment-details"][0]["source-transaction-id"] == invoice["id"]
    ]
    world.deliver("payments", [payment["id"]])
    result, metadata = _run(world.resources, *PAYMENTS, partition=_day(payment))
    written = metadata["coupa_jde/payments_written"]
    assert result.success and (written["create"], written["fail"], written["held"]) == (1, 0, 0), written
    reference = f"COUPAPAY-{payment['id']}"
    [recorded] = [p for p in world.jde_payments() if p["reference"] == reference]
    assert paid(recorded) == Decimal("80.00")
    [voucher] = world.jde_rows("F0411", DOC=str(made["DOC"]))
    assert (voucher["AAP"], voucher["PST"]) == (0, "P")  # on the voucher R04110ZA made

    again, metadata = _run(world.resources, *PAYMENTS, partition=_day(payment))
    assert again.success and metadata["coupa_jde/payments_written"]["create"] == 0
    assert len([p for p in world.jde_payments() if p["reference"] == reference]) == 1
    assert len(world.jde_calls("ML_RecordPayment")) == 1
