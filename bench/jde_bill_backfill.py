"""Benchmark: backfill N days through every JD Edwards <-> BILL flow, with BILL's documented limits on.

Run by hand (not by pytest):

    .venv/bin/python bench/jde_bill_backfill.py --scale 1 --days 30 --latency-ms 100

Both simulators run in their own processes, from fresh data (a copy of the day's seeded JDE database, a
newly seeded BILL). BILL keeps its documented limits (3 requests in flight per organization, 20,000 requests
and 200 logins per hour per developer key: ``connector_sandbox/bill/limits.py``) and answers every call
after ``--latency-ms`` (spent inside the caller's in-flight slot), so the most any client can send is
3 / latency requests per second: the ceiling the achieved rate is compared with.

The flows are found, not listed: every flow asset of ``connector_assets.integrations.jde_bill.defs``, with
the source assets they read; flows whose target is BILL are "outbound", those whose target is JDE "inbound".

1. **Lookups**: the unpartitioned assets (mapping tables, master-data snapshots) the flows map with.
2. **Backfill**: one single-run backfill of the N days before today through every flow and its sources.
3. **Catch-up** (the next hour): every outbound flow for the last day, whose first steps read the records
   held ones wait for (suppliers that changed before the range), then the replay of the due records through
   the integration's own replay handlers (what ``replay_due_records`` does).
4. **Pay**: BILL's payments of the seeded data are for BILL's own bills, never for one that came from JDE.
   So an AP clerk (an MFA-trusted session of its own) schedules a payment of the open amount for
   ``--pay-share`` of the bills from JDE (``POST /v3/payments``), and the simulator's operator route
   ``POST /sandbox/activity`` clears every scheduled payment (BILL's own seeded ones too). These calls are
   the clerk's: they are left out of the phases' figures (the rate windows are reset after them).
5. **Inbound**: the inbound flows (and their sources) for today's UTC day, when those payments cleared.
6. **Reconcile**: the integration's reconciliation assets (those reading a flow's target), day by day,
   after staging BILL's change feeds over the range, if there are any.
7. **CPU**: map + validate + ledger per record, apart from any API wait (``bench/flow_cpu.py``).

Reported: records written per flow and per second, BILL and JDE calls per record written, BILL's limit
refusals (BDC_1322 in flight, BDC_1144 hourly; goal 0), the BILL request rate achieved during the write
steps of the outbound flows against 3 / latency (goal >= 0.9), BILL logins, peak RSS, our process's CPU per
record, and what is left in the retry queue by reason. A markdown table for the README comes last.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from dagster import AssetKey

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jde_coupa_backfill import (  # noqa: E402
    _fresh_jde_database,
    _port,
    _reason_kind,
    _serve,
    _step_seconds,
    _wait,
    jde_sandbox_resource,
)

BILL_LOGIN = {
    "username": "sandbox@ml-connector.invalid",
    "password": "sandbox-bill",
    "organization_id": "00801SANDBOXORG00001",
    "dev_key": "sandbox-bill-devkey",
}
ACTIVITY_MOST = 10_000  # the most one POST /sandbox/activity changes of a kind
CLERK_MFA_CODE = "123456"  # the BILL sandbox's SMS code (its ``mfa_code`` setting)
LIMIT_CODES = {"BDC_1322": "in_flight_refusals", "BDC_1144": "hourly_cap_refusals"}
WRITTEN = ("create", "update", "adopt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1, help="data volume of both simulators")
    parser.add_argument("--days", type=int, default=30, help="days before today to backfill")
    parser.add_argument("--latency-ms", type=int, default=100, help="BILL's answer time per call")
    parser.add_argument(
        "--pay-share", type=float, default=0.5, help="share of the bills from JDE paid in BILL"
    )
    args = parser.parse_args()
    data = Path(__file__).parent / ".data"
    data.mkdir(exist_ok=True)
    workdir = tempfile.TemporaryDirectory()
    jde_port, bill_port = _port(), _port()
    jde_db = _fresh_jde_database(data, args.scale, Path(workdir.name))
    jde = _serve("connector_sandbox.jde_ais", jde_port, args.scale, ["--db-path", str(jde_db)])
    bill = _serve("connector_sandbox.bill", bill_port, args.scale, [])
    try:
        _wait(f"http://127.0.0.1:{jde_port}/jderest/defaultconfig", jde)
        _wait(f"http://127.0.0.1:{bill_port}/sandbox/state", bill)
        bill_root = f"http://127.0.0.1:{bill_port}"
        faults = requests.post(
            f"{bill_root}/sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=10
        )
        faults.raise_for_status()
        report = _run(args, f"http://127.0.0.1:{jde_port}/jderest", bill_root)
        print(json.dumps(report, indent=2, default=str))
        print()
        print(markdown(report))
    finally:
        for proc in (jde, bill):
            proc.terminate()
            proc.wait(timeout=30)
        workdir.cleanup()


# -- the integration's flows, discovered -------------------------------------------------------------------


@dataclass
class Found:
    """The jde_bill Definitions as the bench runs them: its flows by direction, the unpartitioned lookups
    they map with, its reconciliation assets (those reading a flow's target asset) and every asset they
    stand on (the integration's own, JDE's tables, the SaaS feeds)."""

    flows: list[Any]
    lookups: list[Any]
    reconcile: list[Any]
    bill_feeds: list[Any]  # BILL's change feeds, which reconciliation reads staged
    graph: dict[Any, Any]  # asset key -> AssetsDefinition
    own: list[Any]

    @property
    def outbound(self) -> list[Any]:
        return [s for s in self.flows if s.target_system.lower() == "bill"]

    @property
    def inbound(self) -> list[Any]:
        return [s for s in self.flows if s.target_system.lower() != "bill"]

    def run_assets(self, specs: list[Any]) -> list[Any]:
        """The partitioned assets that run ``specs``: their steps, what those read, and the integration's
        steps after them (e.g. acknowledging webhook deliveries), reconciliation apart."""
        wanted: set[Any] = set()

        def take(key: Any) -> None:
            asset = self.graph.get(key)
            if asset is None or asset.partitions_def is None or key in wanted:
                return
            wanted.add(key)
            for dep in _deps(asset):
                take(dep)

        for spec in specs:
            for step in ("mapped", "written"):
                take(AssetKey(f"{spec.flow}_{step}"))
        after = [a for a in self.own if a not in self.reconcile and a.partitions_def is not None]
        grown = True
        while grown:
            grown = False
            for asset in after:
                if asset.key not in wanted and _deps(asset) & wanted:
                    wanted.add(asset.key)
                    grown = True
        return [a for k, a in self.graph.items() if k in wanted]


def _deps(asset: Any) -> set[Any]:
    return {dep.asset_key for spec in asset.specs for dep in spec.deps}


def discover() -> Found:
    """Every flow of ``connector_assets.integrations.jde_bill.defs`` and what it needs."""
    from connector_assets.integrations.jde_bill import defs

    return discover_in(defs, Found, feeds_of="bill")


def discover_in(defs: Any, found: type[Found], feeds_of: str | None) -> Any:
    """``found`` for the integration whose Definitions are ``defs``: its flows, the unpartitioned lookups,
    its reconciliation assets (those reading a flow's target asset) and the graph of every asset they stand
    on (its own, JDE's tables, the SaaS feeds); ``feeds_of``: the SaaS system whose change feeds the
    reconciliation reads staged (None: none)."""
    from dagster import AssetsDefinition

    from connector_assets.flows.core import FLOW_SPECS
    from connector_assets.jde.assets import jde_assets
    from connector_assets.saas_assets import SAAS_ENTITIES, saas_assets

    own = [a for a in defs.assets or [] if isinstance(a, AssetsDefinition)]
    targets = {a.key for a in defs.assets or [] if not isinstance(a, AssetsDefinition)}
    pool = {a.key: a for a in [*jde_assets, *saas_assets, *own] if isinstance(a, AssetsDefinition)}
    graph: dict[Any, Any] = {}

    def take(key: Any) -> None:
        if key in graph or key not in pool:
            return
        graph[key] = pool[key]
        for dep in _deps(pool[key]):
            take(dep)

    for asset in own:
        take(asset.key)
    names = sorted(a.key.to_user_string() for a in own)
    feeds = {AssetKey(e.asset) for e in SAAS_ENTITIES if e.system == feeds_of and not e.whole}
    return found(
        flows=[FLOW_SPECS[n.removesuffix("_written")] for n in names if n.endswith("_written")],
        lookups=[a for a in graph.values() if a.partitions_def is None],
        reconcile=[a for a in own if _deps(a) & targets],
        bill_feeds=[a for k, a in pool.items() if k in feeds],
        graph=graph,
        own=own,
    )


# -- the run -----------------------------------------------------------------------------------------------


def _resources(jde_url: str, bill_url: str, folder: str) -> dict[str, Any]:
    from connector_assets.staging import StagingResource
    from connector_resources.bill import BillResource
    from connector_resources.ledger import LedgerResource

    return {
        "jde": jde_sandbox_resource(jde_url),
        "bill": BillResource(base_url=f"{bill_url}/connect", **BILL_LOGIN),
        "staging": StagingResource(base_dir=f"{folder}/staging"),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
    }


def _run(args: argparse.Namespace, jde_url: str, bill_url: str) -> dict[str, Any]:
    from dagster import instance_for_test, materialize

    from connector_resources.bill.auth import forget_sessions
    from connector_resources.ledger import Ledger

    found = discover()
    report_tables = _sandbox_tables()
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    report: dict[str, Any] = {
        "command": " ".join([os.path.relpath(sys.executable), *sys.argv]),
        "scale": args.scale,
        "days": args.days,
        "range": f"{start} .. {end}",
        "bill_latency_ms": args.latency_ms,
        "bill_ceiling_req_per_s": round(3 / (args.latency_ms / 1000), 1) if args.latency_ms else None,
        "mapping_tables": report_tables,
        "flows": {"outbound": [s.flow for s in found.outbound], "inbound": [s.flow for s in found.inbound]},
    }
    meter = _Meter(jde_url, bill_url)
    first = meter.read()
    forget_sessions()
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = _resources(jde_url, bill_url, folder)
        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        # 1. The lookups, then 2. the backfill of the range through every flow.
        if found.lookups:
            looked = materialize(found.lookups, resources=resources, instance=instance)
            assert looked.success, "staging the lookups failed"
        report["lookups"] = [a.key.to_user_string() for a in found.lookups]
        _reset_bill_counters(bill_url)

        assets = found.run_assets(found.flows)
        tags = {
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
        report["backfill"] = _phase(meter, found.outbound, instance, resources, assets, tags=tags)

        # 3. The next hour: the last day's run reads what held records wait for; the replay writes them.
        _guarded(report, "catch_up", lambda: _catch_up(meter, found, instance, resources, ledger, end))

        # 4. The AP clerk pays some of the bills that came from JDE, and BILL clears them (not measured).
        paid_on = datetime.now(UTC).date()
        _guarded(report, "pay", lambda: _pay_bills(bill_url, ledger, args.pay_share))
        _reset_bill_counters(bill_url)

        # 5. The inbound flows for the day of those payments.
        if found.inbound:
            inbound = found.run_assets(found.inbound)
            run = {"partition_key": paid_on.isoformat()}
            _guarded(
                report, "inbound", lambda: _phase(meter, found.outbound, instance, resources, inbound, **run)
            )

        # 6. Reconciliation, a day at a time, after staging BILL's change feeds it compares with.
        if found.reconcile:
            days = _days(start, end) + [paid_on]
            _guarded(report, "reconcile", lambda: _reconcile(meter, found, instance, resources, days))

        queue = ledger.open_items(limit=100_000)
        refusals = Counter(f"{i.flow} {i.status}: " + _kind(i.reason) for i in queue)
        report["queued_by_reason"] = dict(refusals.most_common(10))

        # 7. Our own CPU per record, apart from any API wait.
        clerk = 1 if report.get("pay", {}).get("chosen") else 0  # the clerk's own login is not ours
        whole = meter.delta(first, meter.read())
        report["bill_logins_whole_run"] = whole["bill_logins"] - clerk
        report["limit_refusals_whole_run"] = {name: whole[name] for name in LIMIT_CODES.values()}
        keys = [d.isoformat() for d in _days(start, end)]
        _guarded(
            report,
            "cpu_us_per_record",
            lambda: _cpu(found, resources, ledger, folder, keys, paid_on.isoformat()),
        )
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return report


def _kind(reason: str) -> str:
    """A queued reason without the record's own ids and numbers, so refusals of one kind count together."""
    return _reason_kind(re.sub(r"\b(?=\w*\d)\w{12,}\b", "<id>", reason))


def _guarded(report: dict[str, Any], name: str, phase: Any) -> None:
    """``report[name] = phase()``; a failing phase says why there, and the figures before it stand."""
    try:
        report[name] = phase()
    except Exception as exc:
        report[name] = {"error": _reason_kind(repr(exc))[:300]}


def _phase(
    meter: _Meter,
    outbound: list[Any],
    instance: Any,
    resources: dict[str, Any],
    assets: list[Any],
    **run: Any,
) -> dict[str, Any]:
    """One materialize of ``assets``, measured: records, calls, refusals, logins, rate, CPU."""
    from dagster import materialize

    before = meter.read()
    cpu = _cpu_seconds()
    started = time.monotonic()
    result = materialize(assets, resources=resources, instance=instance, raise_on_error=False, **run)
    seconds = time.monotonic() - started
    cpu = _cpu_seconds() - cpu
    after = meter.read()
    steps = _step_seconds(instance, result.run_id)
    written = {
        e.asset_key.to_user_string().removesuffix("_written"): e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string().endswith("_written")
    }
    by_flow = {
        flow: {k: m[k].value for k in (*WRITTEN, "skip", "fail", "queued_held") if k in m}
        for flow, m in written.items()
    }
    records = sum(m[k].value for m in written.values() for k in WRITTEN)
    bill_flows = {s.flow for s in outbound}
    bill_write_calls = sum(
        m["api_calls"].value for f, m in written.items() if f in bill_flows and "api_calls" in m
    )
    bill_write_seconds = sum(v for k, v in steps.items() if k.removesuffix("_written") in bill_flows)
    calls = meter.delta(before, after)
    rate = bill_write_calls / bill_write_seconds if bill_write_seconds else None
    figures = {
        "success": result.success,
        "failed_steps": sorted(
            e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE" and e.step_key
        ),
        "seconds": round(seconds, 1),
        "records_written": records,
        "written_per_flow": by_flow,
        "records_per_second": round(records / seconds, 2) if seconds else None,
        **calls,
        "bill_calls_per_record": round(calls["bill_calls"] / max(records, 1), 2),
        "jde_calls_per_record": round(calls["jde_calls"] / max(records, 1), 2),
        "bill_write_step_calls": bill_write_calls,
        "bill_write_step_seconds": round(bill_write_seconds, 1),
        "bill_write_rate_per_s": round(rate, 1) if rate else None,
        "bill_rate_to_ceiling": round(rate / meter.ceiling, 2) if rate and meter.ceiling else None,
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_record_whole_process": round(cpu / max(records, 1) * 1000, 2),
        "step_seconds": {k: round(v, 1) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:12]},
    }
    return figures


def _sandbox_tables() -> dict[str, str]:
    return sandbox_tables("connector_assets.integrations.jde_bill")


def sandbox_tables(package: str) -> dict[str, str]:
    """Point every mapping table of the integration (``package``) at its sandbox file unless its variable
    says otherwise (the simulators are the sandboxes the files were made for), and say which files were
    used."""
    from connector_assets.flows.mapping_tables import ROOT, MappingTable

    tables = {
        value.variable: value
        for name, module in list(sys.modules.items())
        if name.startswith(package)
        for value in vars(module).values()
        if isinstance(value, MappingTable) and value.sandbox_file
    }
    for variable, table in tables.items():
        os.environ.setdefault(variable, str(ROOT / "mappings" / "sandbox" / table.sandbox_file))
    return {variable: os.path.relpath(os.environ[variable]) for variable in sorted(tables)}


def _catch_up(meter: _Meter, found: Found, instance: Any, resources: dict[str, Any], ledger: Any, day: date):
    """What the next hour does after a first backfill: every outbound flow's run for the latest day (its
    first steps read the records held ones wait for, e.g. suppliers that changed before the range, and
    writing them releases what waits), then the replay of the due records (``replay_due_records``), each
    read from its source again and written once, through the integration's own replay handlers."""
    from dagster import materialize

    from connector_assets.flows import replay_resources
    from connector_assets.integrations import jde_bill
    from connector_resources.replay import replay_items

    # The production registrations, building their resources from the bench's instead of the settings'
    # (which name the default sandbox ports, not these simulators).
    own = {key: value for key, value in resources.items() if key != "ledger"}
    replay_resources.settings_resources = lambda: dict(own)
    jde_bill.register_replay_handlers()
    before, cpu, started = meter.read(), _cpu_seconds(), time.monotonic()
    run = materialize(
        found.run_assets(found.outbound),
        resources=resources,
        instance=instance,
        partition_key=day.isoformat(),
        raise_on_error=False,
    )
    synced = {
        e.asset_key.to_user_string().removesuffix("_written"): sum(
            e.materialization.metadata[k].value for k in WRITTEN if k in e.materialization.metadata
        )
        for e in run.get_asset_materialization_events()
        if e.asset_key.to_user_string().endswith("_written")
    }
    due = ledger.due(limit=100_000)
    replayed_at = time.monotonic()
    summary = replay_items(ledger, due)
    replay_seconds = time.monotonic() - replayed_at
    seconds, cpu = time.monotonic() - started, _cpu_seconds() - cpu
    calls = meter.delta(before, meter.read())
    written = sum(synced.values()) + len(summary.replayed)
    replayed = set(summary.replayed)
    by_flow = Counter(f"{item.integration}_{item.flow} replayed" for item in due if item.id in replayed)
    return {
        "success": run.success,
        "seconds": round(seconds, 1),
        "written_per_flow": {**{f"{k} run": v for k, v in synced.items()}, **by_flow},
        "due_after_the_run": len(due),
        "replayed": len(summary.replayed),
        "failed_again": len(summary.failed),
        "no_handler": len(summary.no_handler),
        "held_again": len(summary.held),
        "records_written": written,
        "records_per_second": round(written / seconds, 2) if seconds else None,
        **calls,
        "bill_calls_per_record": round(calls["bill_calls"] / max(written, 1), 2),
        "jde_calls_per_record": round(calls["jde_calls"] / max(written, 1), 2),
        "replay_seconds": round(replay_seconds, 1),
        "cpu_ms_per_record_whole_process": round(cpu / max(written, 1) * 1000, 2),
    }


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _reconcile(meter: _Meter, found: Found, instance: Any, resources: dict[str, Any], days: list[date]):
    """Stage BILL's change feeds over ``days`` (as the 15-minute polls would have), then run every
    reconciliation asset for each of ``days`` its partitions hold: differences found, checks failed."""
    from dagster import materialize

    before, started = meter.read(), time.monotonic()
    if found.bill_feeds:
        tags = {
            "dagster/asset_partition_range_start": days[0].isoformat(),
            "dagster/asset_partition_range_end": days[-1].isoformat(),
        }
        staged = materialize(found.bill_feeds, resources=resources, instance=instance, tags=tags)
        assert staged.success, "staging BILL's change feeds failed"
    failed_days, checks, kinds = [], Counter(), Counter()
    for day in days:
        key = day.isoformat()
        assets = [a for a in found.reconcile if key in a.partitions_def.get_partition_keys()]
        if not assets:
            continue
        result = materialize(
            assets, resources=resources, instance=instance, partition_key=key, raise_on_error=False
        )
        failed_days += [] if result.success else [key]
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            for name, value in materialization.metadata.items():
                number = getattr(value, "value", None)
                if isinstance(number, int) and name != "differences" and not name.endswith("_api_calls"):
                    kinds[f"{materialization.asset_key.to_user_string()}: {name}"] += number
        for evaluation in result.get_asset_check_evaluations():
            checks[
                f"{evaluation.asset_key.to_user_string()} {'passed' if evaluation.passed else 'failed'}"
            ] += 1
    return {
        "assets": [a.key.to_user_string() for a in found.reconcile],
        "seconds": round(time.monotonic() - started, 1),
        "failed_days": failed_days,
        "checks": dict(sorted(checks.items())),
        "differences_by_kind": dict(sorted(kinds.items())),
        **meter.delta(before, meter.read()),
    }


# -- paying bills in BILL (the AP clerk, not the connector) ------------------------------------------------


def _pay_bills(bill_url: str, ledger: Any, share: float) -> dict[str, Any]:
    """Pay ``share`` of the bills the backfill created from JDE (every 1/share-th in id order) as an AP
    clerk does in BILL, and let the payments clear.

    The clerk's own MFA-trusted BILL session (payments need one) schedules a payment of each chosen bill's
    open amount from the organization's bank account (``POST /v3/payments``); the simulator's operator route
    ``POST /sandbox/activity`` (``cleared_payments``) then clears them, as BILL's bank does days later. That
    route clears every scheduled payment of the organization (it picks at random), so BILL's own scheduled
    payments of the seeded data clear too: the inbound flow sees those as payments of bills that did not come
    from JDE. A payment recorded into BILL (record-payment) would not do: BILL moved no money, and the
    payments flow rightly leaves those out.
    """
    import sqlalchemy as sa

    from connector_resources.ledger import schema

    t = schema.xref
    with ledger.read_transaction() as conn:
        rows = conn.execute(
            sa.select(t.c.source_key, t.c.target_id).where(
                t.c.integration == "jde_bill",
                t.c.entity == "bill",
                t.c.target_system == "bill",
                t.c.target_id.is_not(None),
            )
        ).all()
    bills = sorted({r.target_id for r in rows})
    step = max(1, round(1 / share)) if share > 0 else 0
    chosen = bills[::step] if step else []
    summary: dict[str, Any] = {
        "how": "POST /v3/payments (MFA-trusted clerk session, bank account, open amount), then POST "
        "/sandbox/activity cleared_payments: every scheduled payment of the organization clears",
        "bills_from_jde": len(bills),
        "from_vouchers": sum(1 for r in rows if r.source_key.startswith("PV:")),
        "chosen": len(chosen),
    }
    if not chosen:
        return {**summary, "scheduled": 0}
    api, headers = _clerk_session(bill_url)
    state = requests.get(f"{bill_url}/sandbox/state", timeout=30).json()
    banks = [
        a for a in state["funding_accounts"][BILL_LOGIN["organization_id"]] if a["type"] == "BANK_ACCOUNT"
    ]
    scheduled, refused, amount = 0, Counter(), Decimal(0)
    for bill_id in chosen:
        found = api.get(f"{bill_url}/connect/v3/bills/{bill_id}", headers=headers, timeout=30).json()
        due = Decimal(str(found.get("dueAmount", found.get("amount")) or 0))
        if due <= 0:
            refused["nothing left to pay"] += 1
            continue
        body = {
            "billId": bill_id,
            "amount": str(due),
            "fundingAccount": {"type": "BANK_ACCOUNT", "id": banks[0]["id"]},
        }
        answer = api.post(f"{bill_url}/connect/v3/payments", json=body, headers=headers, timeout=30)
        if answer.status_code >= 400:
            problem = (
                answer.json()[0]
                if answer.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            refused[_reason_kind(str(problem.get("message") or answer.status_code))[:80]] += 1
            continue
        scheduled += 1
        amount += due
    cleared = 0
    while True:  # the route clears at most ACTIVITY_MOST a call
        answer = requests.post(
            f"{bill_url}/sandbox/activity", json={"cleared_payments": ACTIVITY_MOST}, timeout=300
        )
        answer.raise_for_status()
        now = len(answer.json().get("changed", {}).get("payments.updated", []))
        cleared += now
        if now < ACTIVITY_MOST:
            break
    return {
        **summary,
        "scheduled": scheduled,
        "amount": str(amount),
        "refused": dict(refused),
        "cleared_by_activity": cleared,
    }


def _clerk_session(bill_url: str) -> tuple[requests.Session, dict[str, str]]:
    """A BILL session of the AP clerk, trusted by MFA (the sandbox's SMS code), for scheduling payments."""
    api = requests.Session()
    login = api.post(
        f"{bill_url}/connect/v3/login",
        json={
            "devKey": BILL_LOGIN["dev_key"],
            "username": BILL_LOGIN["username"],
            "password": BILL_LOGIN["password"],
            "organizationId": BILL_LOGIN["organization_id"],
        },
        timeout=30,
    )
    login.raise_for_status()
    headers = {"devKey": BILL_LOGIN["dev_key"], "sessionId": login.json()["sessionId"]}
    challenge = api.post(f"{bill_url}/connect/v3/mfa/challenge", json={}, headers=headers, timeout=30)
    challenge.raise_for_status()
    trusted = api.post(
        f"{bill_url}/connect/v3/mfa/challenge/validate",
        json={"challengeId": challenge.json()["challengeId"], "token": CLERK_MFA_CODE},
        headers=headers,
        timeout=30,
    )
    trusted.raise_for_status()
    return api, headers


# -- measuring ---------------------------------------------------------------------------------------------


class _Meter:
    """Calls, limit refusals and logins as the two simulators count them (``/sandbox/state``)."""

    def __init__(self, jde_url: str, bill_url: str) -> None:
        self.jde_state = f"{jde_url.removesuffix('/jderest')}/sandbox/state"
        self.bill_state = f"{bill_url}/sandbox/state"
        faults = requests.get(f"{bill_url}/sandbox/faults", timeout=10).json()
        latency = (faults.get("latency_ms") or 0) / 1000
        self.ceiling = 3 / latency if latency else None

    def read(self) -> dict[str, Any]:
        return {
            "jde": requests.get(self.jde_state, timeout=60).json(),
            "bill": requests.get(self.bill_state, timeout=60).json(),
        }

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        def diff(a: dict, b: dict) -> dict[str, int]:
            return {k: v - a.get(k, 0) for k, v in b.items() if v - a.get(k, 0)}

        jde_calls = diff(before["jde"].get("calls") or {}, after["jde"].get("calls") or {})
        bill_calls = diff(before["bill"].get("calls") or {}, after["bill"].get("calls") or {})
        codes = diff(before["bill"].get("error_codes") or {}, after["bill"].get("error_codes") or {})
        return {
            "bill_calls": sum(bill_calls.values()),
            "jde_calls": sum(jde_calls.values()),
            **{name: codes.get(code, 0) for code, name in LIMIT_CODES.items()},
            "bill_logins": after["bill"].get("logins", 0) - before["bill"].get("logins", 0),
            "jde_logins": sum(v for k, v in jde_calls.items() if k.endswith("tokenrequest")),
            "bill_max_in_flight": after["bill"].get("limits", {}).get("max_in_flight"),
            "bill_calls_by_endpoint": dict(sorted(bill_calls.items(), key=lambda kv: -kv[1])[:8]),
            "jde_calls_by_endpoint": dict(sorted(jde_calls.items(), key=lambda kv: -kv[1])[:8]),
        }


def _reset_bill_counters(bill_url: str) -> None:
    """Fresh hourly windows and in-flight high-water marks before a measured phase (as at the top of an
    hour); the call counters keep counting (phases are measured as differences)."""
    requests.post(f"{bill_url}/sandbox/rate-limits/reset", timeout=10).raise_for_status()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu(found: Found, resources: dict[str, Any], ledger: Any, folder: str, days: list[str], today: str):
    """``bench/flow_cpu.py`` over every day of every flow, each flow's days as one run over the range (so
    the records held ones wait for are read on its last day only, as in the backfill); inbound flows also
    over the day of the payments."""
    from flow_cpu import FlowCpu, api_cpu_counted, measure_day

    from connector_resources.ledger import Ledger

    scratch = Ledger(f"sqlite:///{folder}/cpu-ledger.sqlite")
    result: dict[str, Any] = {}
    overall = FlowCpu()
    with api_cpu_counted():
        for spec in found.flows:
            flow = FlowCpu()
            partitions = found.graph[AssetKey(f"{spec.flow}_mapped")].partitions_def
            runs = [days] + ([[today]] if spec in found.inbound else [])
            for run in runs:
                context = _RunContext(resources, partitions, run)
                for day in run:
                    try:
                        cpu, _ = measure_day(
                            spec, context, day, ledger, scratch, run_id=f"bench-cpu-{spec.flow}"
                        )
                    except Exception as exc:  # the run's figures above stand; say why this one is missing
                        result.setdefault("errors", []).append(f"{spec.flow} {day}: {exc!r}"[:300])
                        continue
                    flow.add(cpu)
            overall.add(flow)
            result[spec.flow] = {"records": flow.records, **flow.per_record_us()}
    result["all flows"] = {"records": overall.records, **overall.per_record_us()}
    return result


class _RunContext:
    """What a flow's ``map_records`` reads of its Dagster context, for a run over ``days`` outside Dagster:
    the run's resources (as Dagster hands them over), the partition or range, and its time window."""

    def __init__(self, resources: dict[str, Any], partitions_def: Any, days: list[str]) -> None:
        import logging
        from types import SimpleNamespace

        from dagster import TimeWindow

        self.resources = SimpleNamespace(**resources)
        self.has_partition_key = len(days) == 1
        self.has_partition_key_range = len(days) > 1
        self.partition_key = days[0]
        first, last = (partitions_def.time_window_for_partition_key(d) for d in (days[0], days[-1]))
        self.partition_time_window = TimeWindow(first.start, last.end)
        self.log = logging.getLogger("bench.cpu")
        self.run = SimpleNamespace(run_id="bench-cpu", tags={}, parent_run_id=None, root_run_id=None)


# -- the README table --------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    """The figures as two markdown tables (the runs; our CPU per record by flow) for the README."""
    phases = [p for p in ("backfill", "catch_up", "inbound") if "records_written" in report.get(p, {})]
    heads = {
        "backfill": f"backfill, {report['days']} days",
        "catch_up": "catch-up (next hour: last day's run + replay)",
        "inbound": "inbound, the day of the payments",
    }
    ceiling, pay = report["bill_ceiling_req_per_s"], report.get("pay", {})

    def row(label: str, value: Any) -> str:
        return f"| {label} | " + " | ".join(str(value(report[p])) for p in phases) + " |"

    def flows(p: dict) -> str:
        written = {
            k: v if isinstance(v, int) else sum(v.get(a, 0) for a in WRITTEN)
            for k, v in p["written_per_flow"].items()
        }
        return ", ".join(f"{k.removeprefix('jde_bill_')} {n}" for k, n in written.items() if n)

    def rate(p: dict) -> str:
        if not p.get("bill_write_rate_per_s"):
            return "-"
        return f"{p['bill_write_rate_per_s']} req/s = **{p['bill_rate_to_ceiling']}** of {ceiling}"

    lines = [
        f"`{report['command']}`: scale {report['scale']}, BILL latency {report['bill_latency_ms']} ms, "
        f"so its ceiling is 3 in flight / latency = {ceiling} req/s. Before the inbound run a clerk paid "
        f"{pay.get('scheduled', 0)} of the {pay.get('bills_from_jde', 0)} bills from JDE in BILL, and the "
        f"simulator cleared them with every other scheduled payment ({pay.get('cleared_by_activity', 0)} in "
        "all).",
        "",
        "| figure | " + " | ".join(heads[p] for p in phases) + " |",
        "|---|" + "---|" * len(phases),
        row("records written", lambda p: f"{p['records_written']} in {p['seconds']} s ({flows(p)})"),
        row("records / s", lambda p: p["records_per_second"]),
        row("BILL calls / record", lambda p: f"{p['bill_calls_per_record']} ({p['bill_calls']} calls)"),
        row("JDE calls / record", lambda p: f"{p['jde_calls_per_record']} ({p['jde_calls']} calls)"),
        row(
            "BDC_1322 / BDC_1144 refusals",
            lambda p: f"**{p['in_flight_refusals']} / {p['hourly_cap_refusals']}**",
        ),
        row("BILL rate in the write steps to BILL", rate),
        row("BILL / JDE logins", lambda p: f"{p['bill_logins']} / {p['jde_logins']}"),
        row("BILL in flight at most", lambda p: max((p.get("bill_max_in_flight") or {"-": 0}).values())),
        row("our CPU, whole process", lambda p: f"{p['cpu_ms_per_record_whole_process']} ms / record"),
        f"| peak RSS (whole run) | {report['peak_rss_mb']} MB |" + " |" * (len(phases) - 1),
        f"| BILL logins (whole run, ours) | {report.get('bill_logins_whole_run')} |"
        + " |" * (len(phases) - 1),
        "| BDC_1322 / BDC_1144 (whole run: reconciliation and the clerk too) | "
        + " / ".join(str(v) for v in report.get("limit_refusals_whole_run", {}).values())
        + " |"
        + " |" * (len(phases) - 1),
        "",
        "| our CPU per record, apart from API wait (us) | records | map | validate | ledger | "
        "**map + validate + ledger** | staging JSON |",
        "|---|---|---|---|---|---|---|",
    ]
    for flow, cpu in report.get("cpu_us_per_record", {}).items():
        if isinstance(cpu, dict) and "records" in cpu:
            lines.append(
                f"| {flow} | {cpu['records']} | {cpu['map']} | {cpu['validate']} | {cpu['ledger']} | "
                f"**{cpu['map+validate+ledger']}** | {cpu['stage']} |"
            )
    reconcile = report.get("reconcile", {})
    if "checks" in reconcile:
        lines += [
            "",
            f"Reconciliation ({', '.join(reconcile['assets'])}), day by day after staging BILL's feeds: "
            f"{reconcile['seconds']} s, {reconcile['bill_calls']} BILL and {reconcile['jde_calls']} JDE "
            f"calls, checks {dict(reconcile['checks'])}; differences by kind over the days: "
            f"{reconcile.get('differences_by_kind')}.",
        ]
    every = report.get("cpu_us_per_record", {}).get("all flows")
    if every and "validate_ms_per_call" in every:
        lines += [
            "",
            f"Where it goes: the schema check costs {every['validate_ms_per_call']} ms per call (two calls "
            f"per flow and day) plus {every['validate_us_per_record_beyond']} us per record; the ledger "
            f"sends {every['ledger_sql_per_record']} SQL statements and {every['ledger_commits_per_record']} "
            "commits per record written (SQLite ledger, CPU only: no disk wait is counted).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
