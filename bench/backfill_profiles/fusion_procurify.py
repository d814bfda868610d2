"""Profile fusion_procurify: backfill N days through every Oracle Fusion <-> Procurify flow, one flow at a
time in the order the records depend on each other, with each API's documented limits on.

Run by hand (not by pytest):

    .venv/bin/python bench/backfill.py --profile fusion_procurify --scale 1 --days 30 \
        --fusion-latency-ms 100 --procurify-latency-ms 100

Both simulators run in their own processes on free ports, freshly seeded at ``--scale``. **Neither Oracle
(Fusion reference §3.11) nor Procurify (reference §3.6) publishes a rate limit**, so neither simulator
throttles; "the API's documented limits on" means the clients run at their production defaults: Fusion with
no client-side pace (``FusionResource.rate_per_second`` None: the pod's answer time is the only limit) and
Procurify at its own pace (``ProcurifyResource.rate_per_second``, 5 req/s by default, ``max_in_flight`` 4).
That pace is the one ceiling there is, so the Procurify rate is compared with it; the Fusion rate is
reported with the share of the step's time Fusion's answers fill (``fusion_wait_share``).

0. **Setup** (not measured): the vendor fallback e-mail of ``make dev``
   (``connector_assets.integrations.fusion_procurify.sandbox.SANDBOX_FALLBACK_EMAIL``: Fusion suppliers
   carry none, Procurify requires one) and ``make dev``'s manual vendor pairs (``pair_seeded_vendors``:
   the simulators are seeded apart, so name matching pairs none). ``make dev`` offers the active vendors
   in id order; here the vendors
   named on the window's Procurify purchase orders and bills are offered first (most documents first), then
   the rest, so the window's documents can flow. No activity is invented: every document is seeded data.
1. **Lookups**: the mapping tables (sandbox files), Fusion's account combinations, the manual matches file.
2. **Flows**, one measured run each, in dependency order: ``account_codes`` (read whole), then over the
   N-day partition range ``suppliers``, ``vendors``, ``purchase_orders``, ``invoices``, ``payment_status``
   (each with the staged sources it reads).
3. **Catch-up**: the replay of the records released during the backfill (held on a vendor pair or a PO
   written later), through the integration's own replay handlers.
4. **Reconcile**: the integration's reconciliation (``reconcile.day.reconcile_day``, what the asset
   ``fusion_procurify/reconciliation`` runs, its CSV of differences written beside the staging) for each day
   of the window, at the simulators' latency: records compared, each side's calls per record compared (the
   report's count, checked against the simulators' own), seconds, the process's RSS before and its peak
   after, differences and expected gaps by kind.
5. **CPU**: map + validate + ledger per record, apart from any API wait (``bench/flow_cpu.py``), latency off.

Reported per flow: records written / skipped / failed / held, Fusion and Procurify calls per record (the
simulators' own counters, ``/sandbox/state``; tokens apart), 429s (goal 0), wall time, the rate reached in
the flow's steps against the ceiling, CPU, peak RSS. A markdown table for the README comes last.

**Parents pulled by another flow's step are their own flow's.** The invoices step pulls the purchase orders
its bills wait for (``flows.parent_pull``): the calls made while it does (``parent_pull.PULLING``, counted in
this process by ``PulledCalls``, by kind) and the orders it wrote (the ledger's audit events of the run) move
from the invoices figures to the purchase orders', so each flow's calls per record written are its own work.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import backfill as kit  # the bench's harness: simulators, discovery, CPU phase, tables
from backfill_profiles.jde_procurify import JdeProcurifyFound, procurify_rate_option

PACKAGE = "connector_assets.integrations.fusion_procurify"
# The simulators' own sandbox applications (their settings' defaults), never real secrets.
PROCURIFY_LOGIN = {"client_id": "ml-connector-sandbox", "client_secret": "sandbox-procurify-secret"}
FUSION_LOGIN = {
    "client_id": "ml-connector-sandbox",
    "client_secret": "sandbox-fusion-secret",
    "scope": "urn:opc:resource:consumer::all",
}
BUSINESS_UNIT = "US1 Business Unit"  # ML_FUSION_BUSINESS_UNIT's sandbox default (company 101, USD)
WRITTEN = ("create", "update", "adopt")
COUNTS = (*WRITTEN, "skip", "fail", "queued_held", "queued_failed")
SYSTEMS = ("fusion", "procurify")


def _options(parser: argparse.ArgumentParser) -> None:
    kit.latency_options(parser, fusion="Fusion", procurify="Procurify")
    procurify_rate_option(parser)
    parser.add_argument("--no-cpu", action="store_true", help="skip the flow_cpu phase")
    parser.add_argument("--no-reconcile", action="store_true", help="skip the reconcile phase")


def run(args: argparse.Namespace, sandboxes: kit.Sandboxes) -> dict[str, Any]:
    return _run(args, sandboxes.url("fusion"), sandboxes.url("procurify"))


# -- the integration's flows, as its component lists them ----------------------------------------------------


def discover() -> JdeProcurifyFound:
    """Every flow of the package and what it needs, from its component (the flows, mapping tables, Fusion's
    account combinations, the manual matches); the reconciliation is run by its own phase (``_reconcile``),
    so its ``definitions()`` are not needed. ``JdeProcurifyFound`` tells the flows read whole (account
    codes) from those run by day, the same way for this package."""
    from dagster import AssetsDefinition

    from connector_assets.deployment import integration_component

    declared = integration_component("fusion_procurify")
    flows = declared.flows
    listed = [a for flow in flows for a in flow.assets if isinstance(a, AssetsDefinition)]
    own = [*declared.tables, *listed]
    unique = list({a.key: a for a in own}.values())
    found = kit.discover_in(SimpleNamespace(assets=unique), JdeProcurifyFound, feeds_of=None)
    # In the order records depend on each other (the component's flows: master data first), not by name.
    order = {flow.spec.flow: n for n, flow in enumerate(flows)}
    found.flows = sorted(found.flows, key=lambda spec: order[spec.flow])
    found.all_flows  # noqa: B018 - fixes the full list before ``flows`` is narrowed for the CPU phase
    found.replays = list(flows)  # what the catch-up's handlers are built from (each flow's ``Replay``)
    return found


# -- setup: make dev's pairs and e-mail --------------------------------------------------------------------


def pair_vendors(ledger: Any, procurify: Any, fusion_url: str, start: date, end: date) -> dict[str, Any]:
    """``make dev``'s manual vendor pairs (``pair_seeded_vendors`` of
    ``connector_assets.integrations.fusion_procurify.sandbox``, with the Fusion suppliers that have a
    purchasing and pay site in the business unit), offering first the vendors
    named on the window's purchase orders and bills (most documents first), then every other active
    vendor in id order as ``make dev`` does. Read through the Procurify API and the pod's operator routes;
    not measured."""
    from connector_assets.integrations.fusion_procurify.bill_mappers import bill_vendor_id
    from connector_assets.integrations.fusion_procurify.sandbox import (
        active_vendor_ids,
        pair_seeded_vendors,
        suppliers_with_sites,
    )
    from connector_assets.procurify.order_fields import id_of

    since = datetime.combine(start, datetime.min.time(), UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    documents: Counter[str] = Counter()
    with procurify.session() as session:
        for po in session.iter_changed("purchase_orders", since, until):
            documents[id_of(po.get("vendor"))] += 1
        for bill in session.iter_changed("bills", since, until):
            documents[bill_vendor_id(bill)] += 1
    documents.pop("", None)
    active = active_vendor_ids(procurify)
    known = set(active)
    offered = [v for v, _n in documents.most_common() if v in known]
    first = set(offered)
    offered += [v for v in active if v not in first]
    suppliers = suppliers_with_sites(fusion_url, BUSINESS_UNIT)
    paired = pair_seeded_vendors(ledger, offered, suppliers)
    covered = sum(documents[v] for v in offered[:paired])
    return {
        "fusion_suppliers_with_sites": len(suppliers),
        "vendors_paired": paired,
        "vendors_on_window_documents": len(documents),
        "window_documents": sum(documents.values()),
        "window_documents_on_paired_vendors": covered,
    }


# -- measuring ---------------------------------------------------------------------------------------------


class Meter(kit.SandboxMeter):
    """Calls and answers by status as the two simulators count them (``/sandbox/state``)."""

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for system in SYSTEMS:
            calls = kit.SandboxMeter.grown(before, after, system)
            answers = kit.SandboxMeter.grown(before, after, system, "answers")
            api = {k: v for k, v in calls.items() if "/oauth" not in k}
            out[f"{system}_calls"] = sum(api.values())
            out[f"{system}_token_calls"] = sum(calls.values()) - sum(api.values())
            out[f"{system}_429s"] = sum(v for k, v in answers.items() if k.endswith("429"))
            out[f"{system}_errors"] = {
                k: v for k, v in answers.items() if not k.endswith((" 200", " 201", "200", "201"))
            }
            out[f"{system}_by_endpoint"] = kit.busiest(api, 8)
        return out


def _on_steps(
    windows: dict[str, tuple[float, float]], calls: list[tuple[str, float]], latency_s: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Our calls per system put on the step that ran when they started (the in-process executor runs one
    step at a time), with each system's rate in the step and its wait share: calls x latency / the step's
    time (about 1 or more: the step waits on that API, or on the client's pace; well below: on the other
    API or our own work)."""
    counted = kit.calls_on_steps(windows, calls)
    steps: dict[str, dict[str, Any]] = {}
    for key, (begin, end) in windows.items():
        seconds = max(end - begin, 1e-6)
        step: dict[str, Any] = {"seconds": round(seconds, 1)}
        for system in SYSTEMS:
            n = counted[key].get(system, 0)
            step[f"{system}_calls"] = n
            step[f"{system}_req_per_s"] = round(n / seconds, 2)
            step[f"{system}_wait_share"] = round(n * latency_s[system] / seconds, 2)
        steps[key] = step
    return steps


class Phase:
    """One measured materialize of one flow (or the catch-up): records, calls, 429s, rates, CPU, RSS."""

    def __init__(
        self,
        meter: Meter,
        log: kit.CallLog,
        instance: Any,
        latency_s: dict[str, float],
        ceiling: float | None,
    ) -> None:
        self.meter, self.log, self.instance = meter, log, instance
        self.latency_s, self.procurify_ceiling = latency_s, ceiling
        self.pulled = PulledCalls()
        self.pulled.install()
        self.ledger: Any = None  # the run's ledger, for the records a pull wrote (``pulled_writes``)

    def measure(self, flow: str, run: Callable[[], Any]) -> dict[str, Any]:
        first_call = len(self.log.calls)
        pulled_before = self.pulled.snapshot()
        result, seconds, cpu, api = self.meter.measure(run)
        pulled = self.pulled.since(pulled_before)
        # A run over a range logs each day's own counts: the flow's figures are their sum.
        totals = kit.written_totals(result)
        spec = next((s for s in totals if s.flow == flow), None)
        counts: Counter[str] = Counter(
            {key: value for key, value in totals.get(spec, {}).items() if key in COUNTS}  # type: ignore[arg-type]
        )
        written = sum(counts[k] for k in WRITTEN)
        seen = sum(counts.values())
        steps = _on_steps(
            kit._step_windows(self.instance, result.run_id), self.log.calls[first_call:], self.latency_s
        )
        figures: dict[str, Any] = {
            "success": result.success,
            "failures": kit._failures(result),
            "seconds": round(seconds, 1),
            **{k: counts[k] for k in COUNTS},
            "records_written": written,
            "records_seen": seen,
            "records_per_second": round(written / seconds, 2) if seconds else None,
        }
        for system in SYSTEMS:
            calls = api[f"{system}_calls"]
            figures[f"{system}_calls"] = calls
            figures[f"{system}_calls_per_record_written"] = round(calls / written, 2) if written else None
            figures[f"{system}_calls_per_record_seen"] = round(calls / seen, 2) if seen else None
            figures[f"{system}_429s"] = api[f"{system}_429s"]
            figures[f"{system}_errors"] = api[f"{system}_errors"]
            figures[f"{system}_token_calls"] = api[f"{system}_token_calls"]
            figures[f"{system}_by_endpoint"] = api[f"{system}_by_endpoint"]
            calling = [s for s in steps.values() if s[f"{system}_calls"]]
            n, t = sum(s[f"{system}_calls"] for s in calling), sum(s["seconds"] for s in calling)
            figures[f"{system}_rate_in_its_steps"] = round(n / t, 2) if t else None
            # Steps whose time that API's answers (or the client's pace) mostly fill.
            bound = [s for s in calling if s[f"{system}_wait_share"] >= 0.5]
            n, t = sum(s[f"{system}_calls"] for s in bound), sum(s["seconds"] for s in bound)
            figures[f"{system}_rate_where_bound"] = round(n / t, 2) if t else None
        # The one ceiling there is: the Procurify client's own pace (no published limit on either API).
        if self.procurify_ceiling and figures["procurify_rate_in_its_steps"]:
            figures["procurify_rate_to_pace"] = round(
                figures["procurify_rate_in_its_steps"] / self.procurify_ceiling, 2
            )
        figures["cpu_seconds"] = round(cpu, 1)
        figures["cpu_ms_per_record_whole_process"] = round(cpu / seen * 1000, 2) if seen else None
        figures["peak_rss_mb_so_far"] = kit.peak_rss_mb()
        figures["steps"] = dict(sorted(steps.items(), key=lambda kv: -kv[1]["seconds"])[:6])
        if pulled:
            writes = pulled_writes(self.ledger, result.run_id, set(pulled)) if self.ledger else {}
            figures["pulled_for"] = {
                parent: {**kinds, "written": writes.get(parent, {})} for parent, kinds in pulled.items()
            }
        return figures


class PulledCalls:
    """The calls this process made while a write step pulled another flow's parents
    (``parent_pull.PULLING``): parent flow -> system -> call kind (method and resource path, ids as
    ``{id}``) -> calls. Tokens apart, as the simulators' counts are read (``Meter``)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.lock = threading.Lock()

    def install(self) -> None:
        """Wrap ``HttpClient.request`` (this process, this bench only)."""
        from connector_assets.flows.parent_pull import PULLING
        from connector_resources.http.client import HttpClient

        request, counts, lock = HttpClient.request, self.counts, self.lock

        def counted(client: Any, method: str, path_or_url: str, *args: Any, **kwargs: Any) -> Any:
            flow = PULLING.get()
            if flow is not None and "/oauth" not in path_or_url and "/tokenrequest" not in path_or_url:
                with lock:
                    counts[(flow, client.system, call_kind(method, path_or_url))] += 1
            return request(client, method, path_or_url, *args, **kwargs)

        HttpClient.request = counted  # type: ignore[method-assign]

    def snapshot(self) -> Counter[tuple[str, str, str]]:
        with self.lock:
            return Counter(self.counts)

    def since(self, before: Counter[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
        """Parent flow -> ``<system>_calls`` and ``<system>_by_kind``, counted since ``before``."""
        grown = self.snapshot() - before
        out: dict[str, dict[str, Any]] = {}
        for (flow, system, kind), n in sorted(grown.items()):
            figures = out.setdefault(flow.removeprefix("fusion_procurify_"), {})
            figures[f"{system}_calls"] = figures.get(f"{system}_calls", 0) + n
            figures.setdefault(f"{system}_by_kind", {})[kind] = n
        return out


def call_kind(method: str, path_or_url: str) -> str:
    """``GET purchaseOrders``, ``POST draftPurchaseOrders/{id}/action/submit``: a call's method and resource
    path, numbers and opaque keys as ``{id}``."""
    path = re.sub(r"^https?://[^/]+", "", path_or_url.split("?")[0])
    path = re.sub(r"^.*/resources/[^/]+/", "", path)  # Fusion's context root and version
    return f"{method} " + "/".join(
        "{id}" if re.fullmatch(r"[0-9A-Fa-f-]{6,}|\d+", p) else p for p in path.split("/")
    )


def pulled_writes(ledger: Any, run_id: str, flows: set[str]) -> dict[str, dict[str, int]]:
    """Parent flow -> records its pulls wrote in run ``run_id`` by action (create / update / adopt), from the
    ledger's audit events."""
    import sqlalchemy as sa

    from connector_resources.ledger import schema

    a = schema.audit_event
    query = (
        sa.select(a.c.flow, a.c.action, sa.func.count(sa.distinct(a.c.source_id)))
        .where(a.c.integration == "fusion_procurify", a.c.run_id == run_id, a.c.action.in_(WRITTEN))
        .group_by(a.c.flow, a.c.action)
    )
    with ledger.engine.connect() as conn:
        rows = conn.execute(query).all()
    out: dict[str, dict[str, int]] = {}
    for flow, action, n in rows:
        if flow in flows:
            out.setdefault(flow, {})[action] = int(n)
    return out


def attribute_pulls(per_flow: dict[str, dict[str, Any]]) -> None:
    """Move what each flow's step did for a parent flow (``pulled_for``) to that flow's figures: its calls
    (by kind) and the records it wrote, so calls per record written are each flow's own. The figures as the
    steps counted them are kept as ``*_in_its_own_runs``."""
    moves = [
        (name, parent, did) for name, f in per_flow.items() for parent, did in f.get("pulled_for", {}).items()
    ]
    for name, parent, did in moves:
        if parent not in per_flow:
            continue
        for f, sign in ((per_flow[name], -1), (per_flow[parent], 1)):
            for system in SYSTEMS:
                f.setdefault(f"{system}_calls_in_its_own_runs", f[f"{system}_calls"])
                f[f"{system}_calls"] += sign * did.get(f"{system}_calls", 0)
                kinds = f.setdefault(f"{system}_by_kind_pulled", {})
                for kind, n in did.get(f"{system}_by_kind", {}).items():
                    kinds[kind] = kinds.get(kind, 0) + sign * n
            f.setdefault("records_written_in_its_own_runs", f["records_written"])
        written = did["written"]
        for action in WRITTEN:
            per_flow[parent][action] += written.get(action, 0)
        per_flow[parent]["records_written"] += sum(written.get(action, 0) for action in WRITTEN)
    for f in per_flow.values():
        written = f["records_written"]
        for system in SYSTEMS:
            calls = f[f"{system}_calls"]
            f[f"{system}_calls_per_record_written"] = round(calls / written, 2) if written else None


# -- the run -----------------------------------------------------------------------------------------------


def _resources(fusion_url: str, procurify_url: str, folder: str, rate: float) -> dict[str, Any]:
    """The resources of a production run on the two simulators: both clients at their defaults (Fusion:
    no pace, pages of 500; Procurify: its pace ``rate``, 4 in flight, pages of 50)."""
    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.fusion import FusionResource
    from connector_resources.ledger import LedgerResource
    from connector_resources.procurify import ProcurifyResource

    return {
        "fusion": FusionResource(
            base_url=fusion_url,
            token_url=f"{fusion_url}/oauth2/v1/token",
            auth="oauth",
            business_unit=BUSINESS_UNIT,
            **FUSION_LOGIN,
        ),
        "procurify": ProcurifyResource(base_url=procurify_url, **PROCURIFY_LOGIN, rate_per_second=rate),
        "staging": StagingResource(base_dir=f"{folder}/staging"),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
        "target_boundary": UNWRAPPED,
    }


def _run(args: argparse.Namespace, fusion_url: str, procurify_url: str) -> dict[str, Any]:
    from dagster import instance_for_test
    from dagster import materialize as run_assets

    from connector_assets.integrations.fusion_procurify.sandbox import SANDBOX_DEFAULTS
    from connector_resources.fusion import FusionResource
    from connector_resources.ledger import Ledger
    from connector_resources.procurify import ProcurifyResource, forget_shared_tokens

    for variable, value in SANDBOX_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    found = discover()
    tables = kit.sandbox_tables(PACKAGE)
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    procurify_fields, fusion_fields = ProcurifyResource.model_fields, FusionResource.model_fields
    report: dict[str, Any] = {
        "command": kit.command(),
        "scale": args.scale,
        "days": args.days,
        "range": f"{start} .. {end}",
        "fusion_latency_ms": args.fusion_latency_ms,
        "procurify_latency_ms": args.procurify_latency_ms,
        "rate_limits": "none published by Oracle (Fusion reference §3.11) or Procurify (§3.6); "
        "neither simulator throttles; the Procurify client's own pace is the only ceiling",
        "procurify_client": {
            "rate_per_second": args.procurify_rate,
            "max_in_flight": procurify_fields["max_in_flight"].default,
            "page_size": procurify_fields["page_size"].default,
        },
        "fusion_client": {
            "rate_per_second": fusion_fields["rate_per_second"].default,
            "max_in_flight": fusion_fields["max_in_flight"].default,
            "page_size": fusion_fields["page_size"].default,
        },
        "load_average_before": [round(x, 1) for x in os.getloadavg()],
        "mapping_tables": tables,
        "vendor_fallback_email": os.environ["ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL"],
        "flows": {"whole": [s.flow for s in found.whole], "by_day": [s.flow for s in found.partitioned]},
    }
    calls = kit.CallLog()
    calls.install()
    meter = Meter(fusion=fusion_url, procurify=procurify_url)
    latency_s = {"fusion": args.fusion_latency_ms / 1000, "procurify": args.procurify_latency_ms / 1000}
    forget_shared_tokens()
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = _resources(fusion_url, procurify_url, folder, args.procurify_rate)
        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        phase = Phase(meter, calls, instance, latency_s, args.procurify_rate or None)
        phase.ledger = ledger

        def materialize(assets: list[Any], **run: Any) -> Any:
            return run_assets(assets, resources=resources, instance=instance, raise_on_error=False, **run)

        report["pairs"] = pair_vendors(ledger, resources["procurify"], fusion_url, start, end)
        kit._latency(fusion_url, args.fusion_latency_ms)
        kit._latency(procurify_url, args.procurify_latency_ms)
        # The whole flow's own source reads (Procurify's account codes and departments) are measured with
        # it; the master data every flow maps with (tables, combinations, manual matches) is staged first.
        whole_sources = [
            a
            for a in found.pure_lookups
            if a.key.path[0] != "fusion_procurify" and any(a.key in _deps_of(found, s) for s in found.whole)
        ]
        lookups = [a for a in found.pure_lookups if a not in whole_sources]
        kit.stage_lookups(materialize, lookups, report)

        tags = {
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        }
        report["per_flow"] = {}
        started = time.monotonic()
        for spec in found.all_flows:
            if spec in found.whole:
                whole = [*whole_sources, *found.whole_assets]
                figures = phase.measure(spec.flow, lambda w=whole: materialize(w))
            else:
                assets = found.run_assets([spec])
                figures = phase.measure(spec.flow, lambda a=assets: materialize(a, tags=tags))
            report["per_flow"][spec.flow.removeprefix("fusion_procurify_")] = figures
            print(
                f"{spec.flow}: {figures['records_written']} written in {figures['seconds']} s",
                file=sys.stderr,
            )
        attribute_pulls(report["per_flow"])
        report["backfill_seconds"] = round(time.monotonic() - started, 1)
        report["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
        kit._guarded(report, "catch_up", lambda: _catch_up(phase, found, resources, ledger))
        queue = ledger.open_items(limit=100_000)
        report["queued_by_reason"] = dict(
            Counter(f"{i.flow} {i.status}: " + kit._kind(i.reason) for i in queue).most_common(15)
        )
        if not args.no_reconcile:
            days = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
            kit._guarded(report, "reconcile", lambda: _reconcile(meter, resources, ledger, days))
        if not args.no_cpu:
            kit._latency(fusion_url, 0)
            kit._latency(procurify_url, 0)
            quick = {
                **resources,
                "procurify": resources["procurify"].model_copy(update={"rate_per_second": 0}),
            }
            keys = [(start + timedelta(days=n)).isoformat() for n in range(args.days)]
            found.flows = found.partitioned  # the whole flow has no day to map (left out, said below)
            cpu_started = time.monotonic()
            kit._guarded(
                report, "cpu_us_per_record", lambda: kit._cpu(found, quick, ledger, folder, keys, keys[-1])
            )
            report["cpu_phase_seconds"] = round(time.monotonic() - cpu_started, 1)
    report["peak_rss_mb"] = kit.peak_rss_mb()
    return report


def _deps_of(found: Any, spec: Any) -> set[Any]:
    """What a flow's mapped step reads."""
    return set(found.graph[spec.key("mapped")].dependency_keys)


def _catch_up(phase: Phase, found: Any, resources: dict[str, Any], ledger: Any) -> dict[str, Any]:
    """The replay of the records due after the backfill (held ones released when their vendor pair or PO
    was written later in the run; failures due again), each read from its source again and written once
    through the flows' own replay handlers, on the bench's simulators."""
    due, summary, seconds, api = kit.replay_due(phase.meter, ledger, resources, found.replays)
    replayed = set(summary.replayed)
    return {
        "due_after_the_backfill": len(due),
        "replayed": len(summary.replayed),
        "replayed_by_flow": dict(Counter(item.flow for item in due if item.id in replayed)),
        "failed_again": len(summary.failed),
        "held_again": len(summary.held),
        "no_handler": len(summary.no_handler),
        "seconds": round(seconds, 1),
        **{f"{s}_{k}": api[f"{s}_{k}"] for s in SYSTEMS for k in ("calls", "429s")},
    }


def _rss_mb(field: str) -> float:
    """This process's ``VmRSS`` (now) or ``VmHWM`` (its peak) in MB, from /proc."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _reconcile(meter: Meter, resources: dict[str, Any], ledger: Any, days: list[str]) -> dict[str, Any]:
    """The reconciliation of each of ``days`` (``reconcile_day``, the asset's comparison, and its CSV
    written by the kit's ``write_differences``), on the backfilled simulators at their latency."""
    from dagster import AssetKey

    from connector_assets.components import FusionProcurify
    from connector_assets.flows.reconciliation import write_differences
    from connector_assets.integrations.fusion_procurify.own import Own
    from connector_assets.integrations.fusion_procurify.reconcile.day import reconcile_day

    own = Own.of(FusionProcurify())  # the default instance's
    name = AssetKey([own.name, "reconciliation"])
    rss_before = _rss_mb("VmRSS")
    before, cpu, started = meter.read(), kit._cpu_seconds(), time.monotonic()
    compared, differences, expected = 0, Counter(), Counter()
    calls: Counter[str] = Counter()
    slowest = (0.0, "")
    for day in days:
        begun = time.monotonic()
        report = reconcile_day(
            own, resources["staging"], resources["procurify"], resources["fusion"], ledger, day
        )
        write_differences(resources["staging"], name, day, report)
        slowest = max(slowest, (round(time.monotonic() - begun, 1), day))
        compared += report.compared
        calls.update(report.calls)
        differences.update(d.kind for d in report.differences)
        expected.update(e.kind for e in report.expected)
    seconds = time.monotonic() - started
    api = meter.delta(before, meter.read())
    return {
        "days": len(days),
        "records_compared": compared,
        "seconds": round(seconds, 1),
        "records_per_second": round(compared / seconds, 1) if seconds else None,
        "slowest_day": {"seconds": slowest[0], "day": slowest[1]},
        **{f"{system}_calls": calls[system] for system in SYSTEMS},
        **{
            f"{system}_calls_per_record": round(calls[system] / compared, 3) if compared else None
            for system in SYSTEMS
        },
        "api_calls_per_record": round(sum(calls.values()) / compared, 3) if compared else None,
        # The simulators' own counts (tokens apart) over the phase, against the report's.
        **{f"{system}_calls_counted_by_the_simulator": api[f"{system}_calls"] for system in SYSTEMS},
        **{f"{system}_429s": api[f"{system}_429s"] for system in SYSTEMS},
        "fusion_by_endpoint": api["fusion_by_endpoint"],
        "procurify_by_endpoint": api["procurify_by_endpoint"],
        "cpu_seconds": round(kit._cpu_seconds() - cpu, 1),
        "rss_mb_before": rss_before,
        "peak_rss_mb_after": _rss_mb("VmHWM"),
        "differences": sum(differences.values()),
        "differences_by_kind": dict(differences.most_common()),
        "expected_gaps_by_kind": dict(expected.most_common()),
    }


# -- the README table --------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    """The figures as markdown tables for the README."""
    pfy, fus, pairs = report["procurify_client"], report["fusion_client"], report["pairs"]
    flows = report["per_flow"]
    total_written = sum(f["records_written"] for f in flows.values())
    total_seen = sum(f["records_seen"] for f in flows.values())
    total_seconds = sum(f["seconds"] for f in flows.values())
    lines = [
        f"`{report['command']}`: scale {report['scale']}, {report['days']} days ({report['range']}), "
        f"Fusion latency {report['fusion_latency_ms']} ms, "
        f"Procurify latency {report['procurify_latency_ms']} ms. "
        "**No rate limit**: neither Oracle (Fusion reference §3.11) nor Procurify (§3.6) publishes one "
        "and neither simulator throttles; the clients at their defaults (Fusion: no pace, pages of "
        f"{fus['page_size']}; Procurify: its own pace {pfy['rate_per_second']} req/s = the ceiling the "
        f"Procurify rate is compared with, {pfy['max_in_flight']} in flight, pages of {pfy['page_size']}). "
        f"Load average {report['load_average_before'][0]} before, "
        f"{report.get('load_average_after', ['?'])[0]} after (2 cores, shared). "
        "Setup as `make dev`: vendor fallback e-mail "
        f"`{report['vendor_fallback_email']}`, {pairs['vendors_paired']} Procurify vendors paired by hand "
        f"with the {pairs['fusion_suppliers_with_sites']} Fusion suppliers that have purchasing and pay "
        "sites in the business unit, the vendors of the window's documents offered first "
        f"({pairs['window_documents_on_paired_vendors']} of {pairs['window_documents']} POs + bills in the "
        f"window are on a paired vendor; {pairs['vendors_on_window_documents']} vendors name them).",
        "",
        f"All flows: {total_written} records written of {total_seen} seen in {round(total_seconds, 1)} s; "
        f"peak RSS {report.get('peak_rss_mb')} MB.",
        "",
        "| flow | written (c/u/a) | skip | queued failed (at write) | held | s | written / s | "
        "Fusion calls / rec (seen) | "
        "Procurify calls / rec (seen) | 429s F/P | Fusion req/s (wait share) | Procurify req/s in its steps "
        "(/ pace) | our CPU ms / rec (process) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in flows.items():
        steps = [s for s in f["steps"].values() if s["fusion_calls"]]
        share = max((s["fusion_wait_share"] for s in steps), default=None)
        lines.append(
            f"| {name} | {f['records_written']} ({f['create']}/{f['update']}/{f['adopt']}) | {f['skip']} | "
            f"{f['queued_failed']} ({f['fail']}) | {f['queued_held']} | {f['seconds']} | "
            f"{f['records_per_second']} | {f['fusion_calls_per_record_seen']} ({f['fusion_calls']}) | "
            f"{f['procurify_calls_per_record_seen']} ({f['procurify_calls']}) | "
            f"**{f['fusion_429s']} / {f['procurify_429s']}** | {f['fusion_rate_in_its_steps']} ({share}) | "
            f"{f['procurify_rate_in_its_steps']} ({f.get('procurify_rate_to_pace', '-')}) | "
            f"{f['cpu_ms_per_record_whole_process']} |"
        )
    catch = report.get("catch_up", {})
    also = f", 429s {catch.get('fusion_429s')} / {catch.get('procurify_429s')}"
    lines += kit.catch_up_lines(catch, {"fusion": "Fusion", "procurify": "Procurify"}, also)
    lines += _reconcile_lines(report.get("reconcile", {}))
    lines += kit.cpu_table(report.get("cpu_us_per_record", {}), prefix="fusion_procurify_")
    lines += kit.queue_table(report.get("queued_by_reason", {}))
    return "\n".join(lines)


def _reconcile_lines(figures: dict[str, Any]) -> list[str]:
    """The reconcile phase as a table row, with its differences by kind."""
    if "records_compared" not in figures:
        return []
    kinds = ", ".join(f"{kind} {n}" for kind, n in figures["differences_by_kind"].items()) or "none"
    gaps = ", ".join(f"{kind} {n}" for kind, n in figures["expected_gaps_by_kind"].items()) or "none"
    return [
        "",
        "| reconcile | days | records compared | s | records / s | Fusion calls / rec | "
        "Procurify calls / rec | RSS before / peak after (MB) |",
        "|---|---|---|---|---|---|---|---|",
        f"| reconciliation | {figures['days']} | {figures['records_compared']} | {figures['seconds']} | "
        f"{figures['records_per_second']} | {figures['fusion_calls_per_record']} "
        f"({figures['fusion_calls']}) | {figures['procurify_calls_per_record']} "
        f"({figures['procurify_calls']}) | "
        f"{figures['rss_mb_before']} / {figures['peak_rss_mb_after']} |",
        "",
        f"Differences: {figures['differences']} ({kinds}). Expected gaps: {gaps}.",
    ]


PROFILE = kit.Profile(
    simulators=(
        kit.Simulator("fusion", "connector_sandbox.fusion"),
        kit.Simulator("procurify", "connector_sandbox.procurify"),
    ),
    run=run,
    options=_options,
    markdown=markdown,
)
