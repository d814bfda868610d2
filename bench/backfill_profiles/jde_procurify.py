"""Profile jde_procurify: backfill N days through every JD Edwards <-> Procurify flow, against the rate the
Procurify sandbox sustains.

Run by hand (not by pytest):

    .venv/bin/python bench/backfill.py --profile jde_procurify --scale 1 --days 30 \
        --procurify-latency-ms 100 --jde-latency-ms 100

Both simulators run in their own processes, from fresh data (a copy of the day's seeded JDE database, a newly
seeded Procurify). Procurify publishes no rate limit and its simulator has none by default, so the ceiling the
flows are compared with is measured, not read from a document:

0. **Setup** (not measured): the seeded Procurify vendors' ERP keys are pointed at JDE's suppliers (the
   simulators are seeded apart; ``link_procurify_vendors_to_jde`` of
   ``connector_assets.integrations.jde_procurify.sandbox``, as ``make dev`` does), then both latencies
   are set.
1. **Calibration**: the mix of list and detail GETs the flows make (bills, bill detail, vendors, order
   items, payments, PO detail), from 1 thread and from as many threads as the client keeps in flight
   (``ProcurifyResource.max_in_flight``), for ``--calibrate-seconds`` each, at the same latency: the request
   rate the sandbox sustains.
2. **Lookups**: the unpartitioned assets the flows map with (mapping tables, F0901).
3. **Whole flows**: the flows read whole rather than by day (account codes: F0901 -> Procurify).
4. **Backfill**: one single-run backfill of the N days before today through every partitioned flow and its
   sources (found in the ``jde_procurify`` component's definitions, not listed).
5. **Catch-up**: the replay of the records the backfill released (held on a supplier or bill written later
   in the same run), through the integration's own replay handlers (``replay_due_records``' work).
6. **Reconcile**: the day reconciliation (``jde_procurify/reconciliation``) of each backfilled day, after
   the flows: records compared (orders line by line, bills against their vouchers, every vendor pair and
   account code), API calls per record (the asset's own count and the simulators'), seconds, and memory
   (the process's RSS high-water mark, and the peak of Python allocations during the phase).
7. **No-change poll**: each flow's assets for today, twice; the second run finds nothing new, and its
   Procurify and JDE calls are what a quiet poll costs.
8. **CPU**: map + validate + ledger per record, apart from any API wait (``bench/flow_cpu.py``), latency off.

Reported: records written per flow and per second, Procurify and JDE calls per record, 429s received (goal
0), peak RSS, CPU per record, the retry queue by reason, the sandbox's sustained rate and the share of it the
flows reach in the steps that call Procurify (with how much of those steps' time Procurify answered in, so a
step held back by JDE or our own work is told apart from one held back by the API or the client's pace).
A markdown table for the README comes last.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import backfill as kit  # the bench's harness: simulators, discovery, CPU phase, tables
import requests

PACKAGE = "connector_assets.integrations.jde_procurify"
# The Procurify simulator's own sandbox application (its settings' default), never a real secret.
PROCURIFY_LOGIN = {"client_id": "ml-connector-sandbox", "client_secret": "sandbox-procurify-secret"}
WRITTEN = ("create", "update", "adopt")
COUNTS = (*WRITTEN, "skip", "fail", "queued_held", "queued_failed")
# The JDE sandbox's orders are mostly stock lines (F4311 LNTY S), charged in Procurify to the setting
# ML_JDE_PROCURIFY_STOCK_ACCOUNT, ``{bu}.1410`` by default. Neither the sandbox account table nor the default
# scope (6000-8999) gives those accounts a Procurify code, so with the defaults 9 orders in 10 are refused
# ("account 20.1410 has no Procurify account code") and the purchase orders step stops on its blocking check.
# The bench puts the stock object in the scope (the account codes flow then gives every BU.1410 its code)
# unless the variable is set; the report says which scope ran.
BENCH_ACCOUNT_SCOPE = "1410,6000-8999"
# Most JDE sandbox suppliers have no e-mail in F01151, and Procurify requires one on every vendor: with the
# fallback unset, 12 of 20 suppliers a day are refused and the suppliers step stops on its blocking check
# (then the orders of those suppliers stay held). The bench sets the fallback the setting offers for this
# unless the variable is set; the report says which ran.
BENCH_FALLBACK_EMAIL = "ap-invoices@ml-sandbox.example"


def procurify_rate_option(parser: argparse.ArgumentParser) -> None:
    """``--procurify-rate``: the pace of the Procurify client the profiles writing to Procurify run with."""
    from connector_resources.procurify import ProcurifyResource

    parser.add_argument(
        "--procurify-rate",
        type=float,
        default=ProcurifyResource.model_fields["rate_per_second"].default,
        help="the Procurify client's own pace (ProcurifyResource.rate_per_second; its default unless told; "
        "0 = none)",
    )


def _options(parser: argparse.ArgumentParser) -> None:
    kit.latency_options(parser, procurify="Procurify", jde="JDE")
    procurify_rate_option(parser)
    parser.add_argument("--calibrate-seconds", type=float, default=10, help="length of each calibration")
    parser.add_argument("--no-cpu", action="store_true", help="skip the flow_cpu phase")
    parser.add_argument("--no-poll", action="store_true", help="skip the no-change poll phase")


def run(args: argparse.Namespace, sandboxes: kit.Sandboxes) -> dict[str, Any]:
    jde_root, procurify_url = sandboxes.url("jde"), sandboxes.url("procurify")
    linked = link_vendors_to_jde(procurify_url, sandboxes.db("jde"))
    kit._latency(jde_root, args.jde_latency_ms)
    kit._latency(procurify_url, args.procurify_latency_ms)
    return _run(args, f"{jde_root}/jderest", procurify_url, linked)


def link_vendors_to_jde(procurify_url: str, jde_db: Path) -> dict[str, Any]:
    """Point the seeded Procurify vendors' ERP keys (``JDE-V-<n>``, naming no supplier of the JDE sandbox:
    the simulators are seeded apart) at JDE's suppliers, through the simulator's operator route
    ``POST /sandbox/vendors/erp-links``, offering every F0401 address number as ``make dev`` does
    (``connector_assets.jde.sandbox_suppliers.all_jde_supplier_numbers``), but read from the JDE database
    file instead of through AIS. Fewer (the operator route's first 1,000, ``JDE_SUPPLIER_ROWS`` there) leave
    a few hundred vendors at scale 1 on keys that name no supplier, and their bills are refused
    ("external_id 'JDE-V-11335' is not a JDE address number")."""
    import sqlite3

    with sqlite3.connect(jde_db) as jde:
        numbers = [row[0] for row in jde.execute("SELECT AN8 FROM F0401 ORDER BY AN8")]
    answer = requests.post(
        f"{procurify_url}/sandbox/vendors/erp-links", json={"numbers": numbers, "format": "{n}"}, timeout=120
    )
    answer.raise_for_status()
    return {**answer.json(), "suppliers": len(numbers)}


# -- the integration's flows, discovered -------------------------------------------------------------------


class JdeProcurifyFound(kit.Found):
    """``Found`` for jde_procurify. Some flows are read whole, not by day (account codes: the cached F0901
    against every Procurify code); their steps are unpartitioned, so ``Found`` counts them among the
    lookups. Here they are told apart: ``whole`` are those flows, ``lookups`` only what the flows map with
    (mapping tables, F0901), and ``flows`` the partitioned ones the backfill runs by day. There is no second
    day of inbound work (``inbound`` empty: the CPU phase reads the backfill's days only)."""

    @property
    def whole_assets(self) -> list[Any]:
        """The unpartitioned flows' steps and the unpartitioned assets downstream of them (e.g. the
        account-code orphans report)."""
        keys = {a.key for a in self.lookups}
        steps = {s.key(step) for s in self.all_flows for step in ("mapped", "written")}
        taken = steps & keys
        grown = True
        while grown:
            grown = False
            for asset in self.lookups:
                if asset.key not in taken and kit._deps(asset) & taken:
                    taken.add(asset.key)
                    grown = True
        return [a for a in self.lookups if a.key in taken]

    @property
    def all_flows(self) -> list[Any]:
        return self.__dict__.setdefault("_all_flows", list(self.flows))

    @property
    def whole(self) -> list[Any]:
        return [s for s in self.all_flows if self.graph[s.key("mapped")].partitions_def is None]

    @property
    def pure_lookups(self) -> list[Any]:
        whole = {a.key for a in self.whole_assets}
        return [a for a in self.lookups if a.key not in whole]

    @property
    def partitioned(self) -> list[Any]:
        return [s for s in self.all_flows if s not in self.whole]

    saas = "procurify"
    second_inbound_day = False

    @property
    def outbound(self) -> list[Any]:
        """Every flow writing to Procurify, the whole ones too (``flows`` is narrowed for the CPU phase)."""
        return [s for s in self.all_flows if s.target_system.lower() == self.saas]


def discover() -> JdeProcurifyFound:
    """Every flow of the ``jde_procurify`` component's definitions, what it needs, and the
    reconciliation (which reads each target itself: no SaaS change feed to stage for it)."""
    from connector_assets.deployment import integration_component

    defs = integration_component("jde_procurify").definitions()

    found = kit.discover_in(defs, JdeProcurifyFound, feeds_of=None)
    found.all_flows  # noqa: B018 - fixes the full list before ``flows`` is narrowed for the CPU phase
    return found


# -- measuring ---------------------------------------------------------------------------------------------


class Meter(kit.SandboxMeter):
    """Calls, answers by status and logins as the two simulators count them (``/sandbox/state``)."""

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        jde = kit.SandboxMeter.grown(before, after, "jde")
        pfy = kit.SandboxMeter.grown(before, after, "procurify")
        answers = kit.SandboxMeter.grown(before, after, "procurify", "answers")
        api = {k: v for k, v in pfy.items() if "/oauth/" not in k}
        tokens = after["procurify"].get("tokens", {}).get("minted", 0) - before["procurify"].get(
            "tokens", {}
        ).get("minted", 0)
        return {
            "procurify_calls": sum(api.values()),
            **kit.jde_counts(jde),
            "procurify_429s": sum(v for k, v in answers.items() if k.endswith(" 429")),
            "procurify_errors": {k: v for k, v in answers.items() if not k.endswith((" 200", " 201"))},
            "procurify_token_fetches": tokens,
            "procurify_calls_by_endpoint": kit.busiest(api, 12),
            "jde_calls_by_endpoint": kit.busiest(jde, 10),
        }


def _on_steps(
    windows: dict[str, tuple[float, float]], calls: list[tuple[str, float]], latency_s: float
) -> dict[str, dict[str, Any]]:
    """Procurify and JDE calls put on the step that ran when they started (the in-process executor runs one
    step at a time), with each step's Procurify rate and ``procurify_wait_share``: the share of the step's
    time that its Procurify calls' latency fills when sent one after another (about 1: the step waits on
    Procurify; well below 1: it waits on JDE or on our own work)."""
    counted = kit.calls_on_steps(windows, calls)
    steps: dict[str, dict[str, Any]] = {}
    for key, (begin, end) in windows.items():
        seconds = end - begin
        pfy = counted[key].get("procurify", 0)
        steps[key] = {
            "seconds": round(seconds, 1),
            "procurify_calls": pfy,
            "jde_calls": sum(n for s, n in counted[key].items() if s != "procurify"),
            "procurify_req_per_s": round(pfy / seconds, 2) if seconds else None,
            "procurify_wait_share": round(pfy * latency_s / seconds, 2) if seconds else None,
        }
    return steps


# -- 1. calibration ----------------------------------------------------------------------------------------


def calibrate(procurify_url: str, seconds: float, threads: int) -> dict[str, Any]:
    """The request rate the Procurify sandbox sustains for the flows' mix of GETs (list pages of 50 as the
    client asks, detail reads), from 1 thread and from ``threads`` threads, each for ``seconds``; the
    simulator counts these calls too, and every measured phase below is a difference taken after them."""
    api = requests.Session()
    from connector_sandbox.procurify.settings import PROCURIFY_AUDIENCE

    grant = {**PROCURIFY_LOGIN, "audience": PROCURIFY_AUDIENCE, "grant_type": "client_credentials"}
    token = api.post(f"{procurify_url}/oauth/token", json=grant, timeout=30)
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "X-Procurify-Client": "api"}

    def get(session: requests.Session, path: str, **params: Any) -> dict[str, Any]:
        answer = session.get(f"{procurify_url}{path}", params=params, headers=headers, timeout=60)
        answer.raise_for_status()
        return answer.json()

    bills = [b["uuid"] for b in get(api, "/api/v3/ap/bills/", page_size=50)["data"]]
    pos = [
        p["procurify_PO"] for p in get(api, "/api/v2/purchase_orders/purchased/all/", page_size=50)["data"]
    ]
    since = (date.today() - timedelta(days=30)).isoformat()
    mix: list[tuple[str, dict[str, Any]]] = [
        ("/api/v3/ap/bills/", {"page_size": 50, "last_modified_datetime_0": f"{since}T00:00:00Z"}),
        *[(f"/api/v2/ap/bills/{uuid}/", {}) for uuid in bills[:3]],
        ("/api/v3/vendors/", {"page_size": 100}),
        ("/api/v2/global/order_items/", {"page_size": 50, "last_modified_0": since}),
        ("/api/public/v1/payments/", {"page_size": 50, "updated_at_after": f"{since}T00:00:00Z"}),
        *[(f"/api/v2/purchase_orders/{number}/", {}) for number in pos[:2]],
        ("/api/v2/global/orders/", {"page_size": 50, "modified_date_0": since}),
    ]

    def run(n: int) -> dict[str, Any]:
        done, failed, stop = Counter(), Counter(), time.monotonic() + seconds

        def worker(offset: int) -> None:
            session, i = requests.Session(), offset
            while time.monotonic() < stop:
                path, params = mix[i % len(mix)]
                i += 1
                answer = session.get(f"{procurify_url}{path}", params=params, headers=headers, timeout=60)
                (done if answer.status_code < 300 else failed)[answer.status_code] += 1

        started = time.monotonic()
        pool = [threading.Thread(target=worker, args=(k * 3,)) for k in range(n)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.monotonic() - started
        total = sum(done.values())
        return {
            "threads": n,
            "seconds": round(elapsed, 1),
            "requests": total,
            "req_per_s": round(total / elapsed, 2),
            "failed": dict(failed),
        }

    return {
        "mix": [path for path, _ in mix],
        "one_thread": run(1),
        "in_flight": run(threads),
    }


# -- the run -----------------------------------------------------------------------------------------------


def _resources(jde_url: str, procurify_url: str, folder: str, rate: float) -> dict[str, Any]:
    """The resources of a production run on the two simulators: the Procurify client with its defaults
    (page size, in-flight cap) except the pace ``rate``; JDE as every bench logs in."""
    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.ledger import LedgerResource
    from connector_resources.procurify import ProcurifyResource

    return {
        "jde": kit.jde_sandbox_resource(jde_url),
        "procurify": ProcurifyResource(base_url=procurify_url, **PROCURIFY_LOGIN, rate_per_second=rate),
        "staging": StagingResource(base_dir=f"{folder}/staging"),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
        "target_boundary": UNWRAPPED,
    }


def _run(args: argparse.Namespace, jde_url: str, procurify_url: str, linked: dict) -> dict[str, Any]:
    from dagster import instance_for_test

    from connector_resources.ledger import Ledger
    from connector_resources.procurify import ProcurifyResource, forget_shared_tokens

    os.environ.setdefault("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", BENCH_ACCOUNT_SCOPE)
    os.environ.setdefault("ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL", BENCH_FALLBACK_EMAIL)
    found = discover()
    tables = kit.sandbox_tables(PACKAGE)
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    in_flight = ProcurifyResource.model_fields["max_in_flight"].default
    report: dict[str, Any] = {
        "command": kit.command(),
        "scale": args.scale,
        "days": args.days,
        "range": f"{start} .. {end}",
        "procurify_latency_ms": args.procurify_latency_ms,
        "jde_latency_ms": args.jde_latency_ms,
        "procurify_client": {
            "rate_per_second": args.procurify_rate,
            "max_in_flight": in_flight,
            "page_size": ProcurifyResource.model_fields["page_size"].default,
        },
        "load_average_before": [round(x, 1) for x in os.getloadavg()],
        "mapping_tables": tables,
        "account_scope": os.environ["ML_JDE_PROCURIFY_ACCOUNT_SCOPE"],
        "vendor_fallback_email": os.environ["ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL"],
        "procurify_vendors_linked_to_jde_suppliers": linked,
        "flows": {
            "whole": [s.flow for s in found.whole],
            "by_day": [s.flow for s in found.partitioned],
        },
    }
    report["calibration"] = calibrate(procurify_url, args.calibrate_seconds, in_flight)
    calls = kit.CallLog()
    calls.install()
    meter = Meter(jde=jde_url, procurify=procurify_url)
    latency_s = args.procurify_latency_ms / 1000
    forget_shared_tokens()
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = _resources(jde_url, procurify_url, folder, args.procurify_rate)
        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        phase = _Phase(meter, calls, instance, resources, latency_s)

        def materialize(assets: list[Any], **run: Any) -> Any:
            from dagster import materialize as run_assets

            return run_assets(assets, resources=resources, instance=instance, raise_on_error=False, **run)

        kit.stage_lookups(materialize, found.pure_lookups, report)

        if found.whole_assets:
            report["whole"] = phase.measure("whole flows", lambda: materialize(found.whole_assets))
        tags = {
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
        assets = found.run_assets(found.partitioned)
        report["backfill"] = phase.measure("backfill", lambda: materialize(assets, tags=tags))
        report["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
        kit._guarded(report, "catch_up", lambda: _catch_up(meter, found, resources, ledger))

        queue = ledger.open_items(limit=100_000)
        report["queued_by_reason"] = dict(
            Counter(f"{i.flow} {i.status}: " + kit._kind(i.reason) for i in queue).most_common(15)
        )
        days = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
        kit._guarded(report, "reconcile", lambda: _reconcile(meter, found, materialize, days))
        if not args.no_poll:
            kit._guarded(report, "no_change_poll", lambda: _no_change_poll(meter, found, materialize))
        if not args.no_cpu:
            kit._latency(jde_url.removesuffix("/jderest"), 0)
            kit._latency(procurify_url, 0)
            quick = {
                **resources,
                "procurify": resources["procurify"].model_copy(update={"rate_per_second": 0}),
            }
            keys = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
            found.flows = found.partitioned  # the whole flows have no day to map (left out, said below)
            kit._guarded(
                report, "cpu_us_per_record", lambda: kit._cpu(found, quick, ledger, folder, keys, keys[-1])
            )
    report["peak_rss_mb"] = kit.peak_rss_mb()
    return report


@dataclass
class _Phase:
    """One measured materialize: records per flow, calls, 429s, the Procurify rate in its steps."""

    meter: Meter
    log: kit.CallLog
    instance: Any
    resources: dict[str, Any]
    latency_s: float

    def measure(self, name: str, run: Callable[[], Any]) -> dict[str, Any]:
        first_call = len(self.log.calls)
        result, seconds, cpu, sandbox = self.meter.measure(run)
        written = {spec.flow: counts for spec, counts in kit.written_totals(result).items()}
        records = sum(m.get(k, 0) for m in written.values() for k in WRITTEN)
        steps = _on_steps(
            kit._step_windows(self.instance, result.run_id), self.log.calls[first_call:], self.latency_s
        )
        per_flow = {}
        for flow, counts in written.items():
            done = sum(counts.get(k, 0) for k in WRITTEN)
            flow_seconds = sum(s["seconds"] for k, s in steps.items() if k in kit.flow_steps(flow))
            per_flow[flow] = {
                **{k: counts[k] for k in COUNTS if k in counts},
                "mapped_and_written_seconds": round(flow_seconds, 1),
                "records_per_second": round(done / flow_seconds, 2) if flow_seconds else None,
            }
        calling = {k: s for k, s in steps.items() if s["procurify_calls"]}
        pfy_calls = sum(s["procurify_calls"] for s in calling.values())
        pfy_seconds = sum(s["seconds"] for s in calling.values())
        # Steps whose time Procurify's answers mostly fill (sent one after another): there the API (or the
        # client's pace) is what a record waits for.
        bound = {k: s for k, s in calling.items() if (s["procurify_wait_share"] or 0) >= 0.5}
        bound_calls = sum(s["procurify_calls"] for s in bound.values())
        bound_seconds = sum(s["seconds"] for s in bound.values())
        return {
            "success": result.success,
            "failed_steps": sorted(
                e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE" and e.step_key
            ),
            "failures": kit._failures(result),
            "seconds": round(seconds, 1),
            "records_written": records,
            "records_per_second": round(records / seconds, 2) if seconds else None,
            "per_flow": per_flow,
            **sandbox,
            "procurify_calls_per_record": round(sandbox["procurify_calls"] / max(records, 1), 2),
            "jde_calls_per_record": round(sandbox["jde_calls"] / max(records, 1), 2),
            "procurify_rate_whole_run": round(sandbox["procurify_calls"] / seconds, 2) if seconds else None,
            "procurify_steps_rate": round(pfy_calls / pfy_seconds, 2) if pfy_seconds else None,
            "procurify_steps_seconds": round(pfy_seconds, 1),
            "procurify_bound_steps": sorted(bound),
            "procurify_bound_rate": round(bound_calls / bound_seconds, 2) if bound_seconds else None,
            "cpu_seconds": round(cpu, 1),
            "cpu_ms_per_record_whole_process": round(cpu / max(records, 1) * 1000, 2),
            "steps": dict(sorted(steps.items(), key=lambda kv: -kv[1]["seconds"])[:16]),
        }


def _catch_up(
    meter: Meter, found: JdeProcurifyFound, resources: dict[str, Any], ledger: Any
) -> dict[str, Any]:
    """The replay of the records due after the backfill (held ones released when what they waited on was
    written later in the same run; failures due again), each read from its source again and written once
    through the flows' own replay handlers, on the bench's simulators."""
    from connector_assets.components import JdeProcurify

    due, summary, seconds, calls = kit.replay_due(meter, ledger, resources, JdeProcurify().parts.flows)
    replayed = set(summary.replayed)
    by_flow = Counter(item.flow for item in due if item.id in replayed)
    return {
        "due_after_the_backfill": len(due),
        "replayed": len(summary.replayed),
        "replayed_by_flow": dict(by_flow),
        "failed_again": len(summary.failed),
        "held_again": len(summary.held),
        "no_handler": len(summary.no_handler),
        "seconds": round(seconds, 1),
        **{k: calls[k] for k in ("procurify_calls", "jde_calls", "procurify_429s")},
    }


def _reconcile(
    meter: Meter, found: JdeProcurifyFound, materialize: Callable[..., Any], days: list[str]
) -> dict[str, Any]:
    """The reconciliation asset of each backfilled day, one run a day: records compared, the API calls the
    asset counted (per record) and the simulators', differences by kind, checks, seconds, memory."""
    import tracemalloc

    before, started = meter.read(), time.monotonic()
    tracemalloc.start()
    counted: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    failed = []
    for day in days:
        result = materialize(found.reconcile, partition_key=day)
        failed += [] if result.success else [day]
        for event in result.get_asset_materialization_events():
            for name, value in event.materialization.metadata.items():
                number = getattr(value, "value", None)
                if not isinstance(number, int) or isinstance(number, bool):
                    continue
                if name in ("records_compared", "differences", "expected_gaps") or name.endswith(
                    "_api_calls"
                ):
                    counted[name] += number
                else:
                    kinds[name] += number
        for evaluation in result.get_asset_check_evaluations():
            checks["passed" if evaluation.passed else "failed (warning)"] += 1
    _current, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    seconds = time.monotonic() - started
    records = counted["records_compared"]
    calls = counted["jde_api_calls"] + counted["procurify_api_calls"]
    return {
        "days": len(days),
        "failed_days": failed,
        "seconds": round(seconds, 1),
        "records_compared": records,
        "records_per_second": round(records / seconds, 1) if seconds else None,
        "asset_counted_calls": {k: counted[k] for k in ("jde_api_calls", "procurify_api_calls")},
        "api_calls_per_record": round(calls / records, 3) if records else None,
        "differences": counted["differences"],
        "expected_gaps": counted["expected_gaps"],
        "checks": dict(checks),
        "counts_by_kind": dict(sorted(kinds.items())),
        "python_peak_mb": round(python_peak / 2**20, 1),
        "peak_rss_mb_after": kit.peak_rss_mb(),
        **meter.delta(before, meter.read()),
    }


def _today_key(partitions_def: Any) -> str:
    """Today in the partitions' own time zone (JDE-sourced flows by JDE day, Procurify's by UTC day), or
    the last partition when today is not one yet."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(getattr(partitions_def, "timezone", None) or "UTC")
    today = datetime.now(zone).date().isoformat()
    keys = partitions_def.get_partition_keys()
    return today if today in keys else keys[-1]


def _no_change_poll(
    meter: Meter, found: JdeProcurifyFound, materialize: Callable[..., Any]
) -> dict[str, Any]:
    """Each flow's assets (its steps and the sources they read) for today, twice, one flow at a time: the
    first run reads today's changes (the backfill ended yesterday), the second finds none. The second run's
    calls are a quiet poll's cost."""
    out: dict[str, Any] = {}
    for spec in found.all_flows:
        if spec in found.whole:
            assets, run = found.whole_assets, {}
        else:
            assets = found.run_assets([spec])
            key = _today_key(found.graph[spec.key("mapped")].partitions_def)
            run = {"partition_key": key}
        figures = {}
        for attempt in ("first", "second"):
            before = meter.read()
            started = time.monotonic()
            result = materialize(assets, **run)
            calls = meter.delta(before, meter.read())
            written = sum(
                e.materialization.metadata[k].value
                for e in result.get_asset_materialization_events()
                if e.asset_key == spec.key("written")
                for k in WRITTEN
                if k in e.materialization.metadata
            )
            figures[attempt] = {
                "success": result.success,
                "seconds": round(time.monotonic() - started, 1),
                "written": written,
                "procurify_calls": calls["procurify_calls"],
                "jde_calls": calls["jde_calls"],
                "jde_logins": calls["jde_logins"],
                "jde_logouts": calls["jde_logouts"],
            }
            if attempt == "second":
                figures[attempt]["procurify_by_endpoint"] = calls["procurify_calls_by_endpoint"]
                figures[attempt]["jde_by_endpoint"] = calls["jde_calls_by_endpoint"]
                figures[attempt]["failures"] = kit._failures(result)
        out[spec.flow.removeprefix("jde_procurify_")] = {
            "partition": run.get("partition_key", "whole"),
            **figures,
        }
    return out


# -- the README table --------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    """The figures as markdown tables for the README."""
    cal = report["calibration"]
    sustained = cal["in_flight"]["req_per_s"]
    client = report["procurify_client"]
    phases = [p for p in ("whole", "backfill") if "records_written" in report.get(p, {})]
    lines = [
        f"`{report['command']}`: scale {report['scale']}, {report['days']} days ({report['range']}), "
        f"Procurify latency {report['procurify_latency_ms']} ms (no rate limit: Procurify publishes none), "
        f"JDE latency {report['jde_latency_ms']} ms; the Procurify client at its defaults (pace "
        f"{client['rate_per_second']} req/s, {client['max_in_flight']} in flight, pages of "
        f"{client['page_size']}); load average {report['load_average_before'][0]} before, "
        f"{report.get('load_average_after', ['?'])[0]} after (2 cores, shared). "
        f"{report['procurify_vendors_linked_to_jde_suppliers'].get('repointed', 0)} seeded Procurify "
        "vendors' "
        "ERP keys were first pointed at JDE suppliers (the simulators are seeded apart); account scope "
        f"`{report['account_scope']}` (the stock lines' `{{bu}}.1410` needs a Procurify code), vendor "
        f"fallback e-mail `{report['vendor_fallback_email']}` (most JDE sandbox suppliers have none).",
        "",
        "Procurify sandbox sustained rate (calibration, the flows' GET mix, "
        f"{cal['one_thread']['seconds']} s "
        f"each): **{cal['one_thread']['req_per_s']} req/s** from 1 thread, **{sustained} req/s** from "
        f"{cal['in_flight']['threads']} threads.",
        "",
        "| figure | "
        + " | ".join({"whole": "whole flows (account codes)", "backfill": "backfill"}[p] for p in phases)
        + " |",
        "|---|" + "---|" * len(phases),
    ]

    def row(label: str, value: Callable[[dict], Any]) -> None:
        lines.append(f"| {label} | " + " | ".join(str(value(report[p])) for p in phases) + " |")

    row(
        "records written",
        lambda b: f"{b['records_written']} in {b['seconds']} s ({b['records_per_second']} / s)",
    )
    row(
        "Procurify calls / record",
        lambda b: f"{b['procurify_calls_per_record']} ({b['procurify_calls']} calls)",
    )
    row("JDE calls / record", lambda b: f"{b['jde_calls_per_record']} ({b['jde_calls']} calls)")
    row("Procurify 429s", lambda b: f"**{b['procurify_429s']}**")
    row("Procurify rate, whole run", lambda b: f"{b['procurify_rate_whole_run']} req/s")
    row(
        "Procurify rate in the steps calling it (share of sustained)",
        lambda b: f"{b['procurify_steps_rate']} req/s = {_share(b['procurify_steps_rate'], sustained)}",
    )
    row(
        "... in the steps Procurify's answers fill (>= half their time)",
        lambda b: (
            f"{b['procurify_bound_rate']} req/s = **{_share(b['procurify_bound_rate'], sustained)}** "
            f"({', '.join(s.removeprefix('jde_procurify_') for s in b['procurify_bound_steps']) or '-'})"
        ),
    )
    row(
        "JDE logins / logouts / Procurify token fetches",
        lambda b: f"{b['jde_logins']} / {b['jde_logouts']} / {b['procurify_token_fetches']}",
    )
    row("our CPU, whole process", lambda b: f"{b['cpu_ms_per_record_whole_process']} ms / record")
    lines.append(f"| peak RSS | {report.get('peak_rss_mb')} MB |" + " |" * (len(phases) - 1))
    lines += [
        "",
        "| flow | create | update | adopt | skip | fail | held | seconds (mapped + written) | records / s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in phases:
        for flow, f in report[p]["per_flow"].items():
            lines.append(
                f"| {flow.removeprefix('jde_procurify_')} | {f.get('create', 0)} | {f.get('update', 0)} | "
                f"{f.get('adopt', 0)} | {f.get('skip', 0)} | {f.get('fail', 0)} | "
                f"{f.get('queued_held', 0)} | "
                f"{f['mapped_and_written_seconds']} | {f['records_per_second']} |"
            )
    lines += kit.catch_up_lines(report.get("catch_up", {}), {"procurify": "Procurify", "jde": "JDE"})
    rec = report.get("reconcile", {})
    if rec and "error" not in rec:
        lines += [
            "",
            f"Reconciliation (`jde_procurify/reconciliation`), {rec['days']} days one run each: "
            f"**{rec['records_compared']} records compared** in {rec['seconds']} s "
            f"({rec['records_per_second']} / s); **{rec['api_calls_per_record']} API calls per record** "
            f"({rec['asset_counted_calls']['jde_api_calls']} JDE, "
            f"{rec['asset_counted_calls']['procurify_api_calls']} Procurify, as the asset counted them; the "
            f"simulators counted {rec['jde_calls']} JDE and {rec['procurify_calls']} Procurify); "
            f"{rec['differences']} differences, {rec['expected_gaps']} expected gaps, "
            f"checks {rec['checks']}; "
            f"Python allocations peaked at {rec['python_peak_mb']} MB during the phase, process RSS "
            f"high-water {rec['peak_rss_mb_after']} MB after it.",
        ]
    poll = report.get("no_change_poll", {})
    if poll and "error" not in poll:
        lines += [
            "",
            "| no-change poll (today, second run) | Procurify calls | JDE calls (logins / logouts) | "
            "written | first run: Procurify / JDE calls, written |",
            "|---|---|---|---|---|",
        ]
        for flow, p in poll.items():
            s, f = p["second"], p["first"]
            lines.append(
                f"| {flow} | {s['procurify_calls']} | "
                f"{s['jde_calls']} ({s['jde_logins']} / {s['jde_logouts']}) | {s['written']} | "
                f"{f['procurify_calls']} / {f['jde_calls']}, {f['written']} |"
            )
    lines += kit.cpu_table(report.get("cpu_us_per_record", {}), prefix="jde_procurify_")
    lines += kit.queue_table(report.get("queued_by_reason", {}))
    return "\n".join(lines)


def _share(rate: float | None, sustained: float) -> str:
    return f"{rate / sustained:.2f}" if rate and sustained else "-"


PROFILE = kit.Profile(
    simulators=(kit.JDE, kit.Simulator("procurify", "connector_sandbox.procurify")),
    run=run,
    options=_options,
    markdown=markdown,
)
