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
3. **Pay**: BILL's payments of the seeded data are for BILL's own bills, never for one that came from JDE.
   So, as an AP clerk would, the bench records a payment in BILL (``POST /v3/bills/record-payment``, a
   cleared offline payment) for ``--pay-share`` of the bills the backfill created from JDE vouchers, paying
   each bill's open amount. These calls are the clerk's, not ours: they are left out of the figures (the
   rate windows are reset after them).
4. **Inbound**: the inbound flows (and their sources) for today's UTC day, when those payments were made.
5. **Reconcile**: any other asset of the integration (reconciliation), day by day, if there is one.
6. **CPU**: map + validate + ledger per record, apart from any API wait (``bench/flow_cpu.py``).

Reported: records written per flow and per second, BILL and JDE calls per record written, BILL's limit
refusals (BDC_1322 in flight, BDC_1144 hourly; goal 0), the BILL request rate achieved during the write
steps of the outbound flows against 3 / latency (goal >= 0.9), BILL logins, peak RSS, our process's CPU per
record, and what is left in the retry queue by reason. A markdown table for the README comes last.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jde_coupa_backfill import (  # noqa: E402
    _fresh_jde_database,
    _port,
    _reason_kind,
    _serve,
    _step_seconds,
    _wait,
)

BILL_LOGIN = {
    "username": "sandbox@ml-connector.invalid",
    "password": "sandbox-bill",
    "organization_id": "00801SANDBOXORG00001",
    "dev_key": "sandbox-bill-devkey",
}
LIMIT_CODES = {"BDC_1322": "in_flight_refusals", "BDC_1144": "hourly_cap_refusals"}
WRITTEN = ("create", "update", "adopt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1, help="data volume of both simulators")
    parser.add_argument("--days", type=int, default=30, help="days before today to backfill")
    parser.add_argument("--latency-ms", type=int, default=100, help="BILL's answer time per call")
    parser.add_argument(
        "--pay-share", type=float, default=0.5, help="share of JDE voucher bills paid in BILL"
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


def discover() -> dict[str, Any]:
    """Every flow asset of the jde_bill Definitions, the source assets they read (from the JDE and SaaS
    asset lists), and which flows go out to BILL and which come in to JDE."""
    from dagster import AssetsDefinition

    from connector_assets.flows.core import FLOW_SPECS
    from connector_assets.integrations.jde_bill import defs
    from connector_assets.jde.assets import jde_assets
    from connector_assets.saas_assets import saas_assets

    own = [a for a in defs.assets or [] if isinstance(a, AssetsDefinition)]
    pool = {a.key: a for a in [*jde_assets, *saas_assets] if isinstance(a, AssetsDefinition)}
    pool.update({a.key: a for a in own})
    needed: dict[Any, AssetsDefinition] = {}

    def take(asset: AssetsDefinition) -> None:
        if asset.key in needed:
            return
        needed[asset.key] = asset
        for spec in asset.specs:
            for dep in spec.deps:
                if dep.asset_key in pool:
                    take(pool[dep.asset_key])

    for asset in own:
        take(asset)
    names = {a.key.to_user_string() for a in own}
    flows = [FLOW_SPECS[n.removesuffix("_written")] for n in sorted(names) if n.endswith("_written")]
    flow_assets = {f"{s.flow}_{step}" for s in flows for step in ("mapped", "written")}
    return {
        "flows": flows,
        "outbound": [s for s in flows if s.target_system.lower() == "bill"],
        "inbound": [s for s in flows if s.target_system.lower() != "bill"],
        "lookups": [a for a in needed.values() if a.partitions_def is None],
        "others": [a for a in own if a.key.to_user_string() not in flow_assets],
        "needed": needed,
    }


def _upstream_of(found: dict[str, Any], names: set[str]) -> list[Any]:
    """The partitioned assets ``names`` need (themselves and their sources), in the discovered order."""
    needed = found["needed"]
    wanted: set[Any] = set()

    def take(key: Any) -> None:
        asset = needed.get(key)
        if asset is None or asset.partitions_def is None or key in wanted:
            return
        wanted.add(key)
        for spec in asset.specs:
            for dep in spec.deps:
                take(dep.asset_key)

    for key in needed:
        if key.to_user_string() in names:
            take(key)
    return [a for k, a in needed.items() if k in wanted]


# -- the run -----------------------------------------------------------------------------------------------


def _resources(jde_url: str, bill_url: str, folder: str) -> dict[str, Any]:
    from connector_assets.staging import StagingResource
    from connector_resources.bill import BillResource
    from connector_resources.jde import JdeAisResource
    from connector_resources.ledger import LedgerResource

    return {
        "jde": JdeAisResource(
            base_url=jde_url,
            username="INTEGR8",
            password="integr8-sandbox",
            environment="JPS920",
            role="*ALL",
            page_size=2000,
        ),
        "bill": BillResource(base_url=f"{bill_url}/connect", **BILL_LOGIN),
        "staging": StagingResource(base_dir=folder),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
    }


def _run(args: argparse.Namespace, jde_url: str, bill_url: str) -> dict[str, Any]:
    from dagster import instance_for_test, materialize

    from connector_resources.bill.auth import forget_sessions
    from connector_resources.ledger import Ledger

    found = discover()
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    report: dict[str, Any] = {
        "command": " ".join([os.path.relpath(sys.executable), *sys.argv]),
        "scale": args.scale,
        "days": args.days,
        "range": f"{start} .. {end}",
        "bill_latency_ms": args.latency_ms,
        "bill_ceiling_req_per_s": round(3 / (args.latency_ms / 1000), 1) if args.latency_ms else None,
        "flows": {
            "outbound": [s.flow for s in found["outbound"]],
            "inbound": [s.flow for s in found["inbound"]],
        },
    }
    meter = _Meter(jde_url, bill_url)
    forget_sessions()
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = _resources(jde_url, bill_url, folder)
        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        if found["lookups"]:
            looked = materialize(found["lookups"], resources=resources, instance=instance)
            assert looked.success, "staging the lookups failed"
        report["lookups"] = [a.key.to_user_string() for a in found["lookups"]]
        _reset_bill_counters(bill_url)

        # 2. The backfill of the range through every flow.
        names = {f"{s.flow}_{step}" for s in found["flows"] for step in ("mapped", "written")}
        assets = _upstream_of(found, names)
        tags = {
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
        report["backfill"] = _phase(meter, found["outbound"], instance, resources, assets, tags=tags)

        # 3. The AP clerk pays some of the bills that came from JDE vouchers (not measured).
        paid_on = datetime.now(UTC).date()
        report["pay"] = _pay_bills(resources["bill"], ledger, args.pay_share)
        _reset_bill_counters(bill_url)

        # 4. The inbound flows for the day of those payments.
        if found["inbound"]:
            inbound = _upstream_of(
                found, {f"{s.flow}_{step}" for s in found["inbound"] for step in ("mapped", "written")}
            )
            report["inbound"] = _phase(
                meter, found["outbound"], instance, resources, inbound, partition_key=paid_on.isoformat()
            )

        # 5. Reconciliation (or whatever else the integration defines), a day at a time.
        if found["others"]:
            report["reconcile"] = _reconcile(meter, found["others"], instance, resources, start, end)

        queue = ledger.open_items(limit=100_000)
        refusals = Counter(f"{i.flow} {i.status}: " + _reason_kind(i.reason) for i in queue)
        report["queued_by_reason"] = dict(refusals.most_common(10))

        # 6. Our own CPU per record, apart from any API wait.
        days = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
        report["cpu_us_per_record"] = _cpu(found, resources, ledger, folder, days, paid_on.isoformat())
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return report


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


def _reconcile(
    meter: _Meter, others: list[Any], instance: Any, resources: dict[str, Any], start: date, end: date
):
    from dagster import materialize

    before, started, failed = meter.read(), time.monotonic(), []
    day = start
    while day <= end:
        result = materialize(
            others,
            resources=resources,
            instance=instance,
            partition_key=day.isoformat(),
            raise_on_error=False,
        )
        failed += [] if result.success else [day.isoformat()]
        day += timedelta(days=1)
    return {
        "assets": [a.key.to_user_string() for a in others],
        "seconds": round(time.monotonic() - started, 1),
        "failed_days": failed,
        **meter.delta(before, meter.read()),
    }


# -- paying bills in BILL (the AP clerk, not the connector) ------------------------------------------------


def _pay_bills(bill: Any, ledger: Any, share: float) -> dict[str, Any]:
    """Record a payment of the open amount for ``share`` of the bills the backfill created from JDE vouchers
    (a voucher's own bill, or an order's bill a voucher was applied to), every 1/share-th in id order."""
    import sqlalchemy as sa

    from connector_resources.ledger import schema

    t = schema.xref
    with ledger.read_transaction() as conn:
        rows = conn.execute(
            sa.select(t.c.entity, t.c.source_key, t.c.target_id).where(
                t.c.integration == "jde_bill",
                t.c.entity.in_(("bill", "bill_voucher")),
                t.c.target_system == "bill",
                t.c.target_id.is_not(None),
            )
        ).all()
    voucher_bills = sorted({r.target_id for r in rows if r.source_key.startswith("PV:")})
    step = max(1, round(1 / share)) if share > 0 else 0
    chosen = voucher_bills[::step] if step else []
    paid, refused, amount = 0, Counter(), Decimal(0)
    today = datetime.now(UTC).date()
    with bill.session() as session:
        for bill_id in chosen:
            found = session.get("bills", bill_id)
            due = Decimal(
                str(found.get("dueAmount") if found.get("dueAmount") is not None else found["amount"])
            )
            if due <= 0:
                refused["nothing left to pay"] += 1
                continue
            try:
                session.record_payment(
                    vendor_id=found["vendorId"],
                    process_date=today,
                    payments=[{"billId": bill_id, "amount": due}],
                )
            except Exception as exc:  # the clerk's payment refused: counted, not the connector's figure
                refused[_reason_kind(str(exc))[:80]] += 1
                continue
            paid += 1
            amount += due
    return {
        "how": "POST /v3/bills/record-payment (cleared offline payment) of each chosen bill's open amount",
        "bills_from_jde_vouchers": len(voucher_bills),
        "chosen": len(chosen),
        "paid": paid,
        "amount": str(amount),
        "refused": dict(refused),
    }


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


def _cpu(
    found: dict[str, Any], resources: dict[str, Any], ledger: Any, folder: str, days: list[str], today: str
):
    """``bench/flow_cpu.py`` over every day of every flow (inbound flows: also today's)."""
    from flow_cpu import FlowCpu, api_cpu_counted, measure_day

    from connector_resources.ledger import Ledger

    scratch = Ledger(f"sqlite:///{folder}/cpu-ledger.sqlite")
    mapped = {a.key.to_user_string(): a for a in found["needed"].values()}
    result: dict[str, Any] = {}
    overall = FlowCpu()
    with api_cpu_counted():
        for spec in found["flows"]:
            flow = FlowCpu()
            partitions = mapped[f"{spec.flow}_mapped"].partitions_def
            for day in days + ([today] if spec in found["inbound"] else []):
                context = _DayContext(resources, partitions, day)
                try:
                    cpu, _ = measure_day(spec, context, day, ledger, scratch, run_id=f"bench-cpu-{spec.flow}")
                except Exception as exc:  # the run's figures above stand; say why this one is missing
                    result.setdefault("errors", []).append(f"{spec.flow} {day}: {exc!r}"[:300])
                    continue
                flow.add(cpu)
            overall.add(flow)
            result[spec.flow] = {"records": flow.records, **flow.per_record_us()}
    result["all flows"] = {"records": overall.records, **overall.per_record_us()}
    return result


class _DayContext:
    """What a flow's ``map_records`` reads of its Dagster context, for one day outside a run: the run's
    resources (initialised as Dagster would hand them over), the partition and its time window."""

    has_partition_key = True
    has_partition_key_range = False

    def __init__(self, resources: dict[str, Any], partitions_def: Any, day: str) -> None:
        import logging
        from types import SimpleNamespace

        self.resources = SimpleNamespace(**resources)
        self.partition_key = day
        self.partition_time_window = partitions_def.time_window_for_partition_key(day)
        self.log = logging.getLogger("bench.cpu")
        self.run = SimpleNamespace(run_id="bench-cpu", tags={}, parent_run_id=None, root_run_id=None)


# -- the README table --------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    phases = [p for p in ("backfill", "inbound") if p in report]
    heads = {"backfill": f"backfill, {report['days']} days", "inbound": "inbound (today's BILL payments)"}

    def row(label: str, value) -> str:
        return f"| {label} | " + " | ".join(str(value(report[p])) for p in phases) + " |"

    def flows(p: dict) -> str:
        return ", ".join(
            f"{k}: {sum(v.get(a, 0) for a in WRITTEN)}" for k, v in p["written_per_flow"].items()
        )

    ceiling = report["bill_ceiling_req_per_s"]
    cpu = report["cpu_us_per_record"]["all flows"]
    lines = [
        f"Command: `{report['command']}` (scale {report['scale']}, BILL latency "
        f"{report['bill_latency_ms']} ms, ceiling 3 in flight / latency = {ceiling} req/s)",
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
        row(
            "BILL rate in write steps",
            lambda p: (
                f"{p['bill_write_rate_per_s']} req/s = **{p['bill_rate_to_ceiling']}** of {ceiling}"
                if p["bill_write_rate_per_s"]
                else "-"
            ),
        ),
        row("BILL logins", lambda p: p["bill_logins"]),
        row("our CPU, whole process", lambda p: f"{p['cpu_ms_per_record_whole_process']} ms / record"),
        "",
        f"Map + validate + ledger, our CPU apart from API wait ({cpu['records']} records): "
        f"**{cpu['map+validate+ledger']} us / record** (map {cpu['map']}, validate {cpu['validate']}, ledger "
        f"{cpu['ledger']}; staging JSON {cpu['stage']}). Peak RSS {report['peak_rss_mb']} MB. Paid in BILL "
        f"before the inbound run: {report['pay']['paid']} of {report['pay']['bills_from_jde_vouchers']} "
        "bills from JDE vouchers (record-payment).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
