"""Profile jde_bill: backfill N days through every JD Edwards <-> BILL flow, with BILL's documented limits on.

Run by hand (not by pytest):

    .venv/bin/python bench/backfill.py --profile jde_bill --scale 1 --days 30 --latency-ms 100

Both simulators run in their own processes, from fresh data (a copy of the day's seeded JDE database, a
newly seeded BILL). BILL keeps its documented limits (3 requests in flight per organization, 20,000 requests
and 200 logins per hour per developer key: ``connector_sandbox/bill/limits.py``) and answers every call
after ``--latency-ms`` (spent inside the caller's in-flight slot), so the most any client can send is
3 / latency requests per second: the ceiling the achieved rate is compared with.

The flows are found, not listed: every flow asset of the ``jde_bill`` component's definitions, with
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
6. **Reconcile**: the integration's reconciliation assets (those reading a flow's target), day by day (they
   read BILL's day from BILL themselves): records compared, API calls per record, seconds, the phase's
   peak RSS, differences and expected gaps by kind.
7. **CPU**: map + validate + ledger per record, apart from any API wait (``bench/flow_cpu.py``).

Reported: records written per flow and per second, BILL and JDE calls per record written, BILL's limit
refusals (BDC_1322 in flight, BDC_1144 hourly; goal 0), the BILL request rate achieved during the write
steps of the outbound flows against 3 / latency (goal >= 0.9), BILL logins, peak RSS, our process's CPU per
record, and what is left in the retry queue by reason. A markdown table for the README comes last.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import backfill as kit  # the bench's harness: simulators, discovery, CPU phase, tables
import requests

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


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency-ms", type=int, default=100, help="BILL's answer time per call")
    parser.add_argument(
        "--pay-share", type=float, default=0.5, help="share of the bills from JDE paid in BILL"
    )


def run(args: argparse.Namespace, sandboxes: kit.Sandboxes) -> dict[str, Any]:
    bill_root = sandboxes.url("bill")
    faults = requests.post(f"{bill_root}/sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=10)
    faults.raise_for_status()
    return _run(args, f"{sandboxes.url('jde')}/jderest", bill_root)


# -- the integration's flows, discovered -------------------------------------------------------------------


def discover() -> kit.Found:
    """Every flow of the ``jde_bill`` component's definitions and what it needs."""
    from connector_assets.deployment import integration_component

    defs = integration_component("jde_bill").definitions()

    return kit.discover_in(defs, kit.Found, feeds_of="bill")


# -- the run -----------------------------------------------------------------------------------------------


def _resources(jde_url: str, bill_url: str, folder: str) -> dict[str, Any]:
    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.bill import BillResource
    from connector_resources.ledger import LedgerResource

    return {
        "jde": kit.jde_sandbox_resource(jde_url),
        "bill": BillResource(base_url=f"{bill_url}/connect", **BILL_LOGIN),
        "staging": StagingResource(base_dir=f"{folder}/staging"),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
        "target_boundary": UNWRAPPED,
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
        "command": kit.command(),
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
        kit.stage_lookups(
            lambda assets: materialize(assets, resources=resources, instance=instance), found.lookups, report
        )
        _reset_bill_counters(bill_url)

        assets = found.run_assets(found.flows)
        tags = {
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
        report["backfill"] = _phase(meter, found.outbound, instance, resources, assets, tags=tags)

        # 3. The next hour: the last day's run reads what held records wait for; the replay writes them.
        kit._guarded(report, "catch_up", lambda: _catch_up(meter, found, instance, resources, ledger, end))

        # 4. The AP clerk pays some of the bills that came from JDE, and BILL clears them (not measured).
        paid_on = datetime.now(UTC).date()
        kit._guarded(report, "pay", lambda: _pay_bills(bill_url, ledger, args.pay_share))
        _reset_bill_counters(bill_url)

        # 5. The inbound flows for the day of those payments.
        if found.inbound:
            inbound = found.run_assets(found.inbound)
            run = {"partition_key": paid_on.isoformat()}
            kit._guarded(
                report, "inbound", lambda: _phase(meter, found.outbound, instance, resources, inbound, **run)
            )

        # 6. Reconciliation, a day at a time.
        if found.reconcile:
            days = _days(start, end) + [paid_on]
            kit._guarded(report, "reconcile", lambda: _reconcile(meter, found, instance, resources, days))

        queue = ledger.open_items(limit=100_000)
        refusals = Counter(f"{i.flow} {i.status}: " + kit._kind(i.reason) for i in queue)
        report["queued_by_reason"] = dict(refusals.most_common(10))

        # 7. Our own CPU per record, apart from any API wait.
        clerk = 1 if report.get("pay", {}).get("chosen") else 0  # the clerk's own login is not ours
        whole = meter.delta(first, meter.read())
        report["bill_logins_whole_run"] = whole["bill_logins"] - clerk
        report["limit_refusals_whole_run"] = {name: whole[name] for name in LIMIT_CODES.values()}
        keys = [d.isoformat() for d in _days(start, end)]
        kit._guarded(
            report,
            "cpu_us_per_record",
            lambda: kit._cpu(found, resources, ledger, folder, keys, paid_on.isoformat()),
        )
    report["peak_rss_mb"] = kit.peak_rss_mb()
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
    cpu = kit._cpu_seconds()
    started = time.monotonic()
    result = materialize(assets, resources=resources, instance=instance, raise_on_error=False, **run)
    seconds = time.monotonic() - started
    cpu = kit._cpu_seconds() - cpu
    after = meter.read()
    steps = kit._step_seconds(instance, result.run_id)
    written = {spec.flow: counts for spec, counts in kit.written_totals(result).items()}
    by_flow = {
        flow: {k: m[k] for k in (*WRITTEN, "skip", "fail", "queued_held") if k in m}
        for flow, m in written.items()
    }
    records = sum(m.get(k, 0) for m in written.values() for k in WRITTEN)
    bill_flows = {s.flow for s in outbound}
    bill_write_calls = sum(m["api_calls"] for f, m in written.items() if f in bill_flows and "api_calls" in m)
    bill_write_seconds = sum(v for k, v in steps.items() if k in {kit.flow_steps(f)[1] for f in bill_flows})
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
    return kit.sandbox_tables("connector_assets.integrations.jde_bill")


def _catch_up(
    meter: _Meter, found: kit.Found, instance: Any, resources: dict[str, Any], ledger: Any, day: date
):
    """What the next hour does after a first backfill: every outbound flow's run for the latest day (its
    first steps read the records held ones wait for, e.g. suppliers that changed before the range, and
    writing them releases what waits), then the replay of the due records (``replay_due_records``), each
    read from its source again and written once, through the integration's own replay handlers."""
    from dagster import materialize

    from connector_assets.deployment import Deployment
    from connector_assets.flows import replay_resources
    from connector_resources.replay import replay_items

    # The production replays, building their resources from the bench's instead of the settings'
    # (which name the default sandbox ports, not these simulators).
    own = {key: value for key, value in resources.items() if key != "ledger"}
    replay_resources.settings_resources = lambda: dict(own)
    replays = Deployment.of(["jde_bill"]).replays()
    before, cpu, started = meter.read(), kit._cpu_seconds(), time.monotonic()
    run = materialize(
        found.run_assets(found.outbound),
        resources=resources,
        instance=instance,
        partition_key=day.isoformat(),
        raise_on_error=False,
    )
    synced = {
        kit.written_flow(e.asset_key).flow: sum(
            e.materialization.metadata[k].value for k in WRITTEN if k in e.materialization.metadata
        )
        for e in run.get_asset_materialization_events()
        if kit.written_flow(e.asset_key) is not None
    }
    due = ledger.due(limit=100_000)
    replayed_at = time.monotonic()
    summary = replay_items(ledger, due, replays)
    replay_seconds = time.monotonic() - replayed_at
    seconds, cpu = time.monotonic() - started, kit._cpu_seconds() - cpu
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


def _reconcile(meter: _Meter, found: kit.Found, instance: Any, resources: dict[str, Any], days: list[date]):
    """Every reconciliation asset for each of ``days`` its partitions hold (they read BILL's day from BILL
    themselves, so no BILL feed is staged first): records compared, API calls per record (the simulators'
    counts), seconds, the phase's peak RSS, differences and expected gaps by kind, checks failed."""
    from dagster import materialize

    _reset_peak_rss()
    before, started = meter.read(), time.monotonic()
    failed_days, checks, kinds, compared = [], Counter(), Counter(), Counter()
    examples: dict[str, list[list[str]]] = {}
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
            name = materialization.asset_key.to_user_string()
            for field, value in materialization.metadata.items():
                number = getattr(value, "value", None)
                if field == "records_compared":
                    compared[name] += number
                elif field == "differences_csv":
                    _examples(examples, name, str(value.value))
                elif isinstance(number, int) and field != "differences" and not field.endswith("_api_calls"):
                    kinds[f"{name}: {field}"] += number
        for evaluation in result.get_asset_check_evaluations():
            checks[
                f"{evaluation.asset_key.to_user_string()} {'passed' if evaluation.passed else 'failed'}"
            ] += 1
    seconds = time.monotonic() - started
    calls = meter.delta(before, meter.read())
    records = sum(compared.values())
    return {
        "assets": [a.key.to_user_string() for a in found.reconcile],
        "days": len(days),
        "records_compared": records,
        "records_compared_by_asset": dict(sorted(compared.items())),
        "api_calls_per_record": _per(calls["bill_calls"] + calls["jde_calls"], records),
        "bill_calls_per_record": _per(calls["bill_calls"], records),
        "jde_calls_per_record": _per(calls["jde_calls"], records),
        "seconds": round(seconds, 1),
        "ms_per_record": _per(seconds * 1000, records),
        "peak_rss_mb_phase": _peak_rss_mb(),
        "failed_days": failed_days,
        "checks": dict(sorted(checks.items())),
        "differences_by_kind": dict(sorted(kinds.items())),
        "examples_by_kind": examples,
        **calls,
    }


def _examples(examples: dict[str, list[list[str]]], asset: str, path: str, most: int = 3) -> None:
    """The first ``most`` rows of each kind of difference in a day's CSV, kept over the days (what a kind
    looks like, for the report)."""
    import csv

    with open(path, encoding="utf-8", newline="") as written:
        for row in list(csv.reader(written))[1:]:
            kept = examples.setdefault(f"{asset}: {row[0]}", [])
            if len(kept) < most:
                kept.append(row)


def _per(amount: float, records: int) -> float | None:
    return round(amount / records, 3) if records else None


def _reset_peak_rss() -> None:
    """Linux: the process's peak RSS (VmHWM) set back to its current RSS, so a phase's own peak is read."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> int | None:
    """VmHWM in MB (since ``_reset_peak_rss``); None where /proc does not say it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


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
            refused[kit._reason_kind(str(problem.get("message") or answer.status_code))[:80]] += 1
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


class _Meter(kit.SandboxMeter):
    """Calls, limit refusals and logins as the two simulators count them (``/sandbox/state``)."""

    def __init__(self, jde_url: str, bill_url: str) -> None:
        super().__init__(jde=jde_url, bill=bill_url)
        faults = requests.get(f"{bill_url}/sandbox/faults", timeout=10).json()
        latency = (faults.get("latency_ms") or 0) / 1000
        self.ceiling = 3 / latency if latency else None

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        jde_calls = kit.SandboxMeter.grown(before, after, "jde")
        bill_calls = kit.SandboxMeter.grown(before, after, "bill")
        codes = kit.SandboxMeter.grown(before, after, "bill", "error_codes")
        return {
            "bill_calls": sum(bill_calls.values()),
            **kit.jde_counts(jde_calls),
            **{name: codes.get(code, 0) for code, name in LIMIT_CODES.items()},
            "bill_logins": after["bill"].get("logins", 0) - before["bill"].get("logins", 0),
            "bill_max_in_flight": after["bill"].get("limits", {}).get("max_in_flight"),
            "bill_calls_by_endpoint": kit.busiest(bill_calls, 8),
            "jde_calls_by_endpoint": kit.busiest(jde_calls, 8),
        }


def _reset_bill_counters(bill_url: str) -> None:
    """Fresh hourly windows and in-flight high-water marks before a measured phase (as at the top of an
    hour); the call counters keep counting (phases are measured as differences)."""
    requests.post(f"{bill_url}/sandbox/rate-limits/reset", timeout=10).raise_for_status()


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
        row(
            "BILL logins / JDE logins / JDE logouts",
            lambda p: f"{p['bill_logins']} / {p['jde_logins']} / {p['jde_logouts']}",
        ),
        row("BILL in flight at most", lambda p: max((p.get("bill_max_in_flight") or {"-": 0}).values())),
        row("our CPU, whole process", lambda p: f"{p['cpu_ms_per_record_whole_process']} ms / record"),
        f"| peak RSS (whole run) | {report['peak_rss_mb']} MB |" + " |" * (len(phases) - 1),
        f"| BILL logins (whole run, ours) | {report.get('bill_logins_whole_run')} |"
        + " |" * (len(phases) - 1),
        "| BDC_1322 / BDC_1144 (whole run: reconciliation and the clerk too) | "
        + " / ".join(str(v) for v in report.get("limit_refusals_whole_run", {}).values())
        + " |"
        + " |" * (len(phases) - 1),
    ]
    lines += kit.cpu_table(report.get("cpu_us_per_record", {}), always=True)
    reconcile = report.get("reconcile", {})
    if "checks" in reconcile:
        lines += [
            "",
            f"Reconciliation ({', '.join(reconcile['assets'])}), {reconcile['days']} days: "
            f"{reconcile['records_compared']} records compared in {reconcile['seconds']} s "
            f"({reconcile['ms_per_record']} ms a record), {reconcile['bill_calls']} BILL and "
            f"{reconcile['jde_calls']} JDE calls ({reconcile['api_calls_per_record']} a record), peak RSS "
            f"{reconcile['peak_rss_mb_phase']} MB, checks {dict(reconcile['checks'])}; differences and "
            f"expected gaps by kind over the days: {reconcile.get('differences_by_kind')}.",
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


PROFILE = kit.Profile(
    simulators=(kit.JDE, kit.Simulator("bill", "connector_sandbox.bill")),
    run=run,
    options=_options,
    markdown=markdown,
)
