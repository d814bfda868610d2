"""Profile procore_jde: backfill N days through every Procore -> JD Edwards flow, with Procore's rate limits
on.

Run by hand (not by pytest):

    .venv/bin/python bench/backfill.py --profile procore_jde --scale 1 --days 30 \
        --procore-latency-ms 100 --jde-latency-ms 100

Both simulators run in their own processes, from fresh data (a copy of the day's seeded JDE database, a newly
seeded Procore). Procore keeps the limits its simulator sets by default (per app: 25 calls per 10-second spike
window, 3,600 per hour; ``connector_sandbox/procore/settings.py``, ``RateLimitSettings``) and answers every
call after ``--procore-latency-ms``; JDE answers after ``--jde-latency-ms``. The client paces by Procore's
``X-Rate-Limit-*`` headers (``respect_rate_limit_headers``, on by default).

The flows are found, not listed: every flow of the ``procore_jde`` component's definitions (vendors,
suppliers, purchase orders, vouchers, change orders), with the staged sources and mapping tables they read
(``bench/backfill.py``'s ``Found``).

1. **Lookups**: the unpartitioned assets the flows map with (mapping tables, F0901).
2. **Backfill**: one single-run backfill of the N days before today through every flow and its sources.
3. **Reconcile**: the reconciliation (``procore_jde/reconciliation``) of every backfilled day, one run per
   day, with Procore's limits off (its calls are counted; the latencies stay): records compared (the
   requisitions, commitments and vendor pairs compared), Procore and JDE calls per record compared,
   seconds, the peak resident memory sampled during the phase, and the differences and expected gaps found
   by kind (after a clean backfill: what the seeded data holds, e.g. approved change orders of the seed's
   history never sent).
4. **CPU**: map + validate + ledger per record, apart from any API wait (``bench/flow_cpu.py``). The mappers
   read Procore again here, so Procore's limits and both latencies are switched off for this phase only
   (its API waits are not counted anyway); the backfill's figures are taken before.

``--procore-unlimited`` switches Procore's limits off for the whole run (a backfill big enough for a
10,000-record reconciliation does not fit in Procore's hour); ``--no-reconcile`` skips phase 3.

Reported: records written per flow and per second of its steps, Procore and JDE calls per record written,
the calls and rows of the inactive-vendor list (the one Procore list that documents no filter, so each read
may bring every inactive vendor), the 429s Procore sent (goal 0), the Procore request rate achieved in the
steps where the pacer had to wait (the API is the bottleneck there) against the binding window (spike 25/10 s
= 2.5 req/s while a run needs fewer calls than the hour holds, else hourly 3,600/h = 1 req/s), which window
the pacer waited for, JDE logins and logouts (apart from the JDE calls) and Procore token fetches, peak RSS,
our process's CPU per record, and what is left in the retry queue by reason. A markdown table for the README
comes last.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import backfill as kit  # the bench's harness: simulators, discovery, CPU phase, tables
import requests

PACKAGE = "connector_assets.integrations.procore_jde"
PROCORE_LOGIN = {
    "company_id": "4264807",
    "client_id": "ml-connector-sandbox",
    "client_secret": "sandbox-procore-secret",
}
WRITTEN = ("create", "update", "adopt")
TOKEN_CALL = "POST /oauth/token"


def _options(parser: argparse.ArgumentParser) -> None:
    kit.latency_options(parser, procore="Procore", jde="JDE")
    parser.add_argument("--no-cpu", action="store_true", help="skip the flow_cpu phase")
    parser.add_argument("--no-reconcile", action="store_true", help="skip the reconciliation phase")
    parser.add_argument(
        "--procore-unlimited", action="store_true", help="Procore's rate limits off for the whole run"
    )


def run(args: argparse.Namespace, sandboxes: kit.Sandboxes) -> dict[str, Any]:
    jde_root, procore_url = sandboxes.url("jde"), sandboxes.url("procore")
    linked = link_vendors_to_jde(sandboxes.db("procore"), sandboxes.db("jde"))
    kit._latency(jde_root, args.jde_latency_ms)
    kit._latency(procore_url, args.procore_latency_ms)
    if args.procore_unlimited:
        _procore_limits(procore_url, False)
    return _run(args, f"{jde_root}/jderest", procore_url, linked)


def _procore_limits(procore_url: str, enabled: bool) -> None:
    settings = {"rate_limits": {"enabled": enabled}}
    requests.post(f"{procore_url}/sandbox/settings", json=settings, timeout=10).raise_for_status()


def link_vendors_to_jde(procore_db: Path, jde_db: Path) -> int:
    """Point the Procore vendors that carry a JDE link (``origin_id`` ``JDE-V-<AN8>``) at real JDE suppliers.

    The two simulators are seeded independently: Procore's links name AN8s 10000, 10003, ... that JDE's
    address book does not have at scale 1 (its suppliers are numbered from about 1191), so every linked
    vendor would be refused ("JDE's address book (F0101) has no supplier ...") and the vendors step would
    stop on its blocking check. In a real company those links were written by an earlier sync and name real
    suppliers. So before anything is measured the links are renumbered, in vendor id order, to JDE's
    suppliers in AN8 order, straight in the Procore simulator's SQLite file: through the API the PATCH would
    restamp every vendor ``updated_at`` today and take them out of the backfilled range. Nothing else is
    changed (the over-long ``origin_id`` of the seed stays as it is). Returns how many were renumbered."""
    import sqlite3

    with sqlite3.connect(jde_db) as jde:
        an8s = [row[0] for row in jde.execute("SELECT AN8 FROM F0401 ORDER BY AN8")]
    with sqlite3.connect(procore_db, timeout=30) as procore:
        linked = [
            row[0]
            for row in procore.execute(
                "SELECT id FROM vendors WHERE origin_id GLOB 'JDE-V-[0-9]*' "
                "AND length(origin_id) < 20 ORDER BY id"
            )
        ]
        pairs = list(zip(linked, an8s, strict=False))
        procore.executemany(
            "UPDATE vendors SET origin_id = ?, origin_code = ? WHERE id = ?",
            [(f"JDE-V-{an8}", str(an8), vendor) for vendor, an8 in pairs],
        )
    return len(pairs)


# -- the integration's flows, discovered -------------------------------------------------------------------


class ProcoreJdeFound(kit.Found):
    """``Found`` for procore_jde: ``outbound`` are the flows writing to Procore (suppliers), and there is
    no second day of inbound work (``inbound`` is empty: nothing happens between the backfill and the CPU
    measurement, unlike BILL's payments)."""

    saas = "procore"
    second_inbound_day = False


def discover() -> ProcoreJdeFound:
    """Every flow of the ``procore_jde`` component's definitions and what it needs (no BILL feeds)."""
    from connector_assets.deployment import integration_component

    defs = integration_component("procore_jde").definitions()

    return kit.discover_in(defs, ProcoreJdeFound, feeds_of=None)


# -- measuring ---------------------------------------------------------------------------------------------


INACTIVE_VENDORS = "/vendors/inactive"  # the inactive-vendor list, the one Procore list read with no filter


@dataclass
class PacedCallLog(kit.CallLog):
    """Our HTTP calls (``CallLog``), every wait of the Procore pacer (time, seconds, the limit of the
    window it waited for), so calls and waits can be put on the run's steps, and the rows each call of the
    inactive-vendor list brought (``inactive_rows``: what a read with no filter costs besides its calls)."""

    waits: list[tuple[float, float, int | None]] = field(default_factory=list)
    inactive_rows: list[int] = field(default_factory=list)

    def install(self) -> None:
        """Also wrap ``RateLimitPacer.before_call`` and count the inactive list's rows (this process, this
        bench only)."""
        from connector_resources.http.client import HttpClient
        from connector_resources.procore.ratelimit import RateLimitPacer

        super().install()
        before_call = RateLimitPacer.before_call
        request = HttpClient.request
        log = self

        def counted_rows(client: Any, method: str, path_or_url: str, *args: Any, **kwargs: Any) -> Any:
            response = request(client, method, path_or_url, *args, **kwargs)
            if client.system == "procore" and str(path_or_url).endswith(INACTIVE_VENDORS):
                rows = response.json() if response.content else []
                with log.lock:
                    log.inactive_rows.append(len(rows) if isinstance(rows, list) else 0)
            return response

        HttpClient.request = counted_rows  # type: ignore[method-assign]

        def counted_wait(pacer: Any) -> float:
            budget = pacer.budget
            limit = budget.limit if budget is not None else None
            started = time.time()
            slept = before_call(pacer)
            if slept:
                with log.lock:
                    log.waits.append((started, slept, limit))
            return slept

        RateLimitPacer.before_call = counted_wait  # type: ignore[method-assign]


class ProcoreMeter(kit.SandboxMeter):
    """Calls, statuses and logins as the two simulators count them (``/sandbox/state``)."""

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        jde = kit.SandboxMeter.grown(before, after, "jde")
        procore = kit.SandboxMeter.grown(before, after, "procore")
        statuses = kit.SandboxMeter.grown(before, after, "procore", "statuses")
        api = {k: v for k, v in procore.items() if " /oauth/" not in k}
        return {
            "procore_calls": sum(api.values()),
            **kit.jde_counts(jde),
            "procore_429s": statuses.get("429", 0),
            "procore_token_fetches": procore.get(TOKEN_CALL, 0),
            "procore_calls_by_endpoint": kit.busiest(api, 20),
            "jde_calls_by_endpoint": kit.busiest(jde, 8),
        }


def procore_ceiling(limits: dict[str, Any], calls: int, seconds: float) -> dict[str, Any]:
    """The window that binds a run of ``calls`` Procore calls over ``seconds``: the hourly one once the run
    needs more calls than the hour holds (or would at the spike rate run an hour), else the spike one."""
    spike = limits["spike_limit"] / limits["spike_window_seconds"]
    hourly = limits["hourly_limit"] / limits["hourly_window_seconds"]
    if calls >= limits["hourly_limit"] or seconds >= limits["hourly_window_seconds"]:
        name, rate = f"hourly {limits['hourly_limit']}/{limits['hourly_window_seconds']:g} s", hourly
    else:
        name, rate = f"spike {limits['spike_limit']}/{limits['spike_window_seconds']:g} s", spike
    return {"binding": name, "ceiling_req_per_s": round(rate, 3)}


# -- the run -----------------------------------------------------------------------------------------------


def _resources(jde_url: str, procore_url: str, folder: str) -> dict[str, Any]:
    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.ledger import LedgerResource
    from connector_resources.procore import ProcoreResource

    return {
        "jde": kit.jde_sandbox_resource(jde_url),
        "procore": ProcoreResource(base_url=procore_url, auth_url=procore_url, **PROCORE_LOGIN),
        "staging": StagingResource(base_dir=f"{folder}/staging"),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
        "target_boundary": UNWRAPPED,
    }


def _run(args: argparse.Namespace, jde_url: str, procore_url: str, linked: int) -> dict[str, Any]:
    from dagster import instance_for_test, materialize

    from connector_resources.ledger import Ledger

    found = discover()
    tables = kit.sandbox_tables(PACKAGE)
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    limits = requests.get(f"{procore_url}/sandbox/settings", timeout=10).json()["rate_limits"]
    report: dict[str, Any] = {
        "command": kit.command(),
        "scale": args.scale,
        "days": args.days,
        "range": f"{start} .. {end}",
        "procore_latency_ms": args.procore_latency_ms,
        "jde_latency_ms": args.jde_latency_ms,
        "procore_limits": limits,
        "procore_unlimited": args.procore_unlimited,
        "load_average_before": [round(x, 1) for x in os.getloadavg()],
        "mapping_tables": tables,
        "procore_vendors_linked_to_jde_suppliers": linked,
        "flows": [s.flow for s in found.flows],
    }
    calls = PacedCallLog()
    calls.install()
    meter = ProcoreMeter(jde=jde_url, procore=procore_url)
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = _resources(jde_url, procore_url, folder)
        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        kit.stage_lookups(
            lambda assets: materialize(assets, resources=resources, instance=instance), found.lookups, report
        )
        requests.post(f"{procore_url}/sandbox/rate-limits/reset", timeout=10).raise_for_status()

        tags = {
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
        assets = found.run_assets(found.flows)
        report["backfill"] = _backfill(meter, calls, limits, instance, resources, assets, tags)
        report["load_average_after"] = [round(x, 1) for x in os.getloadavg()]

        queue = ledger.open_items(limit=100_000)
        report["queued_by_reason"] = dict(
            Counter(f"{i.flow} {i.status}: " + kit._kind(i.reason) for i in queue).most_common(12)
        )
        if not args.no_reconcile and found.reconcile:
            _procore_limits(procore_url, False)
            _forget_procore_budget(resources["procore"])
            days = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
            kit._guarded(report, "reconcile", lambda: _reconcile(meter, found, instance, resources, days))
        if not args.no_cpu:
            # The mappers read Procore again: no limits and no latency here (API waits are not counted).
            settings = {"rate_limits": {"enabled": False}, "faults": {"latency_ms": 0}}
            requests.post(f"{procore_url}/sandbox/settings", json=settings, timeout=10).raise_for_status()
            kit._latency(jde_url.removesuffix("/jderest"), 0)
            _forget_procore_budget(resources["procore"])
            keys = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
            kit._guarded(
                report,
                "cpu_us_per_record",
                lambda: kit._cpu(found, resources, ledger, folder, keys, keys[-1]),
            )
    report["peak_rss_mb"] = kit.peak_rss_mb()
    return report


def _reconcile(
    meter: kit.SandboxMeter, found: kit.Found, instance: Any, resources: dict[str, Any], days: list[str]
) -> dict[str, Any]:
    """The reconciliation of each of ``days`` (one run per day, as the schedule closes each day), measured:
    records compared, the calls both simulators answered (Procore's tokens included, JDE's logins and logouts
    apart) per record compared,
    seconds, the peak resident memory sampled during the phase, differences and expected gaps by kind."""
    from dagster import materialize

    before, started = meter.read(), time.monotonic()
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    failed: list[str] = []
    sample: dict[str, list[str]] = {}
    skip = {"differences", "records_compared", "expected_gaps", "api_calls_per_record"}
    with RssSampler() as rss:
        for day in days:
            result = materialize(
                found.reconcile,
                resources=resources,
                instance=instance,
                partition_key=day,
                raise_on_error=False,
            )
            failed += [] if result.success else [day]
            for event in result.get_asset_materialization_events():
                metadata = event.step_materialization_data.materialization.metadata
                values = {name: getattr(v, "value", v) for name, v in metadata.items()}
                for name in ("records_compared", "differences", "expected_gaps"):
                    totals[name] += int(values.get(name) or 0)
                for name in ("requisitions_vouchered", "commitments_on_order", "procore_vendors_in_jde"):
                    totals[name] += int(values.get(name) or 0)
                for name, value in values.items():
                    if isinstance(value, int) and name not in skip and not name.endswith("_api_calls"):
                        kinds[name] += value
                if values.get("differences_csv"):
                    _sample(Path(values["differences_csv"]), sample)
    seconds = time.monotonic() - started
    sandbox = meter.delta(before, meter.read())
    compared = max(totals["records_compared"], 1)
    calls = sandbox["procore_calls"] + sandbox["procore_token_fetches"] + sandbox["jde_calls"]
    return {
        "days": len(days),
        "failed_days": failed,
        "seconds": round(seconds, 1),
        "records_compared": totals["records_compared"],
        "compared": {
            "requisitions with a live voucher": totals["requisitions_vouchered"],
            "commitments on an order": totals["commitments_on_order"],
            "vendor pairs": totals["procore_vendors_in_jde"],
        },
        "records_compared_per_second": round(totals["records_compared"] / seconds, 1) if seconds else None,
        "procore_calls": sandbox["procore_calls"],
        "procore_token_fetches": sandbox["procore_token_fetches"],
        "jde_calls": sandbox["jde_calls"],
        "jde_logins": sandbox["jde_logins"],
        "jde_logouts": sandbox["jde_logouts"],
        "api_calls_per_record": round(calls / compared, 3),
        "procore_calls_per_record": round(sandbox["procore_calls"] / compared, 3),
        "jde_calls_per_record": round(sandbox["jde_calls"] / compared, 3),
        "peak_rss_mb_during_phase": rss.peak_mb,
        "differences": totals["differences"],
        "expected_gaps": totals["expected_gaps"],
        "counts_by_kind": dict(sorted(kinds.items())),
        "first_rows_by_kind": sample,
        "jde_calls_by_endpoint": sandbox["jde_calls_by_endpoint"],
        "procore_calls_by_endpoint": sandbox["procore_calls_by_endpoint"],
    }


def _sample(path: Path, sample: dict[str, list[str]], per_kind: int = 3) -> None:
    """The first ``per_kind`` rows of each kind of a day's differences CSV, in words, into ``sample``."""
    import csv

    with path.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            found = sample.setdefault(row["kind"], [])
            if len(found) < per_kind:
                found.append(row["words"][:300])


class RssSampler:
    """This process's resident memory read every 0.2 s while the block runs (``/proc/self/status``): the
    peak of the phase itself, which the process's lifetime peak (``ru_maxrss``) hides once an earlier phase
    went higher."""

    def __init__(self) -> None:
        self.peak_mb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, _rss_mb())
            if self._stop.wait(0.2):
                return


def _rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def _forget_procore_budget(procore: Any) -> None:
    """The process-wide pacer forgets the budget the backfill left (a spent hourly window would refuse
    every call of the CPU phase locally); with the simulator's limits off no answer reports a new one."""
    from connector_resources.procore.ratelimit import shared_pacer

    key = procore._limit_key()
    shared_pacer(
        key, max_wait=procore.rate_limit_max_wait, enabled=procore.respect_rate_limit_headers
    ).reset()


def _backfill(
    meter: kit.SandboxMeter,
    log: PacedCallLog,
    limits: dict[str, Any],
    instance: Any,
    resources: dict[str, Any],
    assets: list[Any],
    tags: dict[str, str],
) -> dict[str, Any]:
    """One materialize of every flow over the range, measured."""
    from dagster import materialize

    first_call, first_wait, first_inactive = len(log.calls), len(log.waits), len(log.inactive_rows)
    result, seconds, cpu, sandbox = meter.measure(
        lambda: materialize(assets, resources=resources, instance=instance, raise_on_error=False, tags=tags)
    )
    failures = [kit._failure_text(e) for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    written = {spec.flow: counts for spec, counts in kit.written_totals(result).items()}
    records = sum(m.get(k, 0) for m in written.values() for k in WRITTEN)
    steps = _on_steps(
        kit._step_windows(instance, result.run_id), log.calls[first_call:], log.waits[first_wait:]
    )
    per_flow = {}
    for flow, counts in written.items():
        done = sum(counts.get(k, 0) for k in WRITTEN)
        flow_seconds = sum(s["seconds"] for k, s in steps.items() if k in kit.flow_steps(flow))
        per_flow[flow] = {
            **{
                k: counts[k]
                for k in (*WRITTEN, "skip", "fail", "queued_held", "queued_failed")
                if k in counts
            },
            "mapped_and_written_seconds": round(flow_seconds, 1),
            "records_per_second": round(done / flow_seconds, 2) if flow_seconds else None,
        }
    # The steps where the pacer waited are the ones Procore's limits held back: the rate achieved there
    # is what the API allowed us.
    paced = {k: s for k, s in steps.items() if s["pacer_waits"]}
    paced_calls = sum(s["procore_calls"] for s in paced.values())
    paced_seconds = sum(s["seconds"] for s in paced.values())
    procore_calls = sandbox["procore_calls"]
    ceiling = procore_ceiling(limits, procore_calls, seconds)
    paced_rate = paced_calls / paced_seconds if paced_seconds else None
    by_window = Counter(_window_name(limit, limits) for _, _, limit in log.waits[first_wait:])
    waited = Counter()
    for _, slept, limit in log.waits[first_wait:]:
        waited[_window_name(limit, limits)] += slept
    return {
        "success": result.success,
        "failed_steps": sorted(
            e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE" and e.step_key
        ),
        "failures": failures[:5],
        # The pacer refuses to park a run for the rest of the hour (rate_limit_max_wait): the steps after
        # the hourly budget ran out failed saying until when, for a rerun after the reset.
        "procore_hourly_budget_spent": any("spent until" in f for f in failures),
        "seconds": round(seconds, 1),
        "records_written": records,
        "records_per_second": round(records / seconds, 2) if seconds else None,
        "per_flow": per_flow,
        **sandbox,
        "procore_calls_per_record": round(procore_calls / max(records, 1), 2),
        "jde_calls_per_record": round(sandbox["jde_calls"] / max(records, 1), 2),
        "procore_inactive_vendor_reads": {
            "calls": len(log.inactive_rows[first_inactive:]),
            "rows": sum(log.inactive_rows[first_inactive:]),
        },
        "procore_rate_whole_run": round(procore_calls / seconds, 2) if seconds else None,
        **ceiling,
        "paced_steps": sorted(paced),
        "procore_rate_in_paced_steps": round(paced_rate, 2) if paced_rate else None,
        "procore_rate_to_ceiling": round(paced_rate / ceiling["ceiling_req_per_s"], 2)
        if paced_rate
        else None,
        "pacer_waits_by_window": dict(by_window),
        "pacer_seconds_by_window": {k: round(v, 1) for k, v in waited.items()},
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_record_whole_process": round(cpu / max(records, 1) * 1000, 2),
        "steps": dict(sorted(steps.items(), key=lambda kv: -kv[1]["seconds"])),
    }


def _window_name(limit: int | None, limits: dict[str, Any]) -> str:
    if limit == limits["spike_limit"]:
        return "spike"
    if limit == limits["hourly_limit"]:
        return "hourly"
    return f"limit {limit}"


def _on_steps(
    windows: dict[str, tuple[float, float]],
    calls: list[tuple[str, float]],
    waits: list[tuple[float, float, int | None]],
) -> dict[str, dict[str, Any]]:
    """Calls by system and pacer waits, put on the step that ran when they happened (the in-process
    executor runs one step at a time)."""
    steps: dict[str, dict[str, Any]] = {}
    for key, (begin, end) in windows.items():
        steps[key] = {"seconds": round(end - begin, 1), "procore_calls": 0, "jde_calls": 0, "pacer_waits": 0}
    for key, systems in kit.calls_on_steps(windows, calls).items():
        steps[key]["procore_calls"] = systems.get("procore", 0)
        steps[key]["jde_calls"] = sum(n for s, n in systems.items() if s != "procore")
    for key, waited in kit.calls_on_steps(windows, [("pacer", moment) for moment, _, _ in waits]).items():
        steps[key]["pacer_waits"] += waited["pacer"]
    for step in steps.values():
        step["procore_req_per_s"] = (
            round(step["procore_calls"] / step["seconds"], 2) if step["seconds"] else None
        )
    return steps


# -- the README table --------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    """The figures as markdown tables (the run; records per flow; our CPU per record) for the README."""
    b = report["backfill"]
    limits = report["procore_limits"]
    pace = (
        "its limits off (--procore-unlimited)"
        if report.get("procore_unlimited")
        else f"its default limits (spike {limits['spike_limit']}/{limits['spike_window_seconds']:g} s, "
        f"hourly {limits['hourly_limit']}/h)"
    )
    lines = [
        f"`{report['command']}`: scale {report['scale']}, {report['days']} days ({report['range']}), "
        f"Procore latency {report['procore_latency_ms']} ms with {pace}, "
        f"JDE latency {report['jde_latency_ms']} ms; load average {report['load_average_before'][0]} before, "
        f"{report.get('load_average_after', ['?'])[0]} after (2 cores, other helpers' work included). "
        f"{report['procore_vendors_linked_to_jde_suppliers']} Procore vendors' JDE links were first "
        "pointed at real JDE suppliers (the simulators are seeded apart).",
        "",
        "| figure | backfill |",
        "|---|---|",
        f"| records written | {b['records_written']} in {b['seconds']} s ({b['records_per_second']} / s) |",
        f"| Procore calls / record | {b['procore_calls_per_record']} ({b['procore_calls']} calls) |",
        f"| JDE calls / record | {b['jde_calls_per_record']} ({b['jde_calls']} calls) |",
        f"| Procore inactive-vendor list (no filter documented) | "
        f"{b['procore_inactive_vendor_reads']['calls']} call(s), "
        f"{b['procore_inactive_vendor_reads']['rows']} rows |",
        f"| Procore 429s | **{b['procore_429s']}** |",
        f"| Procore rate, whole run | {b['procore_rate_whole_run']} req/s |",
        f"| Procore rate in the paced steps ({', '.join(b['paced_steps']) or '-'}) | "
        f"{b['procore_rate_in_paced_steps']} req/s = **{b['procore_rate_to_ceiling']}** of "
        f"{b['binding']} = {b['ceiling_req_per_s']} req/s |",
        f"| pacer waits by window | {b['pacer_waits_by_window']} ({b['pacer_seconds_by_window']} s) |",
        f"| Procore's hourly budget spent (steps after it failed for a rerun after the reset) | "
        f"{'**yes**: ' + '; '.join(b['failed_steps']) if b.get('procore_hourly_budget_spent') else 'no'} |",
        f"| JDE logins / logouts / Procore token fetches | {b['jde_logins']} / {b['jde_logouts']} / "
        f"{b['procore_token_fetches']} |",
        f"| our CPU, whole process | {b['cpu_ms_per_record_whole_process']} ms / record |",
        f"| peak RSS | {report['peak_rss_mb']} MB |",
        "",
        "| flow | create | update | adopt | skip | fail | held | seconds (mapped + written) | records / s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for flow, f in b["per_flow"].items():
        lines.append(
            f"| {flow} | {f.get('create', 0)} | {f.get('update', 0)} | {f.get('adopt', 0)} | "
            f"{f.get('skip', 0)} | {f.get('fail', 0)} | {f.get('queued_held', 0)} | "
            f"{f['mapped_and_written_seconds']} | {f['records_per_second']} |"
        )
    lines += _reconcile_table(report.get("reconcile", {}))
    lines += kit.cpu_table(report.get("cpu_us_per_record", {}))
    return "\n".join(lines)


def _reconcile_table(r: dict[str, Any]) -> list[str]:
    """The reconciliation phase as a table (nothing when it did not run)."""
    if "records_compared" not in r:
        return [f"\nreconcile: {r['error']}"] if "error" in r else []
    compared = ", ".join(f"{n} {what}" for what, n in r["compared"].items())
    return [
        "",
        "| reconciliation | figure |",
        "|---|---|",
        f"| days reconciled (one run each) | {r['days']} ({len(r['failed_days'])} failed) |",
        f"| records compared | {r['records_compared']} ({compared}) |",
        f"| seconds / records per second | {r['seconds']} / {r['records_compared_per_second']} |",
        f"| API calls per record compared | {r['api_calls_per_record']} (Procore "
        f"{r['procore_calls_per_record']}, JDE {r['jde_calls_per_record']}; {r['procore_calls']} + "
        f"{r['procore_token_fetches']} tokens / {r['jde_calls']} calls, {r['jde_logins']} logins and "
        f"{r['jde_logouts']} logouts apart) |",
        f"| peak resident memory during the phase | {r['peak_rss_mb_during_phase']} MB |",
        f"| differences / expected gaps | {r['differences']} / {r['expected_gaps']} |",
    ]


PROFILE = kit.Profile(
    simulators=(kit.JDE, kit.Simulator("procore", "connector_sandbox.procore", db="file")),
    run=run,
    options=_options,
    markdown=markdown,
)
