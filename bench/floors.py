"""Each flow's API calls per record written, beside the floor its vendors' documented APIs allow.

Run by hand (not by pytest), every integration or the ones named:

    .venv/bin/python bench/floors.py
    .venv/bin/python bench/floors.py --integration procore_jde --integration fusion_procurify

Each integration's backfill profile (``bench/backfill_profiles/``) runs at one standard setting
(``STANDARD``: scale 0.5, 10 days, 20 ms latencies, rate limits and the clients' own pacing off and the
phases that write nothing skipped where the profile has a switch for it), each in a process of its own.

Calls are put on the flow whose step made them. Every HTTP call of the process sent with the API's
credentials (logins, token requests and logouts apart, as every profile counts) is put on the Dagster step
that ran when it started (``backfill.calls_on_steps``), and the step on a flow: a flow's own steps are its,
and so is a step that serves that flow alone in its run (a source read only it needs, a mark after its
write). Steps several flows share (a source table two flows read) are the integration's "shared" row.
Records written are the write steps' counts summed over every run of the profile (create, update and adopt,
as the profiles count them, and the parents a step pulled for its held records); replays outside a run
(the catch-ups) and runs without a flow (staging the lookups, reconciliation) are left out of the table,
their calls counted in the JSON.

A record the target refused is not a record written, and what it cost is counted apart: the calls made
while a write step wrote a record whose write then raised an error that is not an outage's (its search, its
refused create: the one call a refusal costs at the least) are the "refused" column's, per refused record;
the flow's other calls are per record written. A record held (another run writing it, or waiting for
something) is neither: its calls stay with the flow's.

The floors (``FLOORS``, the one place they are kept) are the vendors' documented APIs: per flow, the calls a
record needs in its target and in its source at the least, each with its reason and the section of
``docs/reference/<system>.md`` that documents it. Where one call carries many records the floor is one call
per batch (``Floor.batch``), so it depends on how many records the run wrote; a bulk endpoint that is all
or nothing (BILL's) is named but not counted, as one refused record would fail its whole batch.

The raw figures, with each profile's own report, go to ``bench/.data/floors-<date>-<commit>.json`` (not
committed); ``--from`` prints the table of such a file again, with the floors as they are now.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import backfill as kit  # noqa: E402 - the backfill harness: profiles, simulators, step windows

# The one setting every integration's call counts are compared at: scale 0.5 over 10 days, 20 ms answers,
# the APIs' rate limits and the clients' own pacing off (call counts do not depend on them; BILL's limits
# have no switch) and the phases that write nothing (CPU, reconcile, no-change poll) skipped, where the
# profile has a switch for it.
SCALE, DAYS = 0.5, 10
STANDARD: dict[str, tuple[str, ...]] = {
    "jde_bill": ("--latency-ms", "20"),
    "jde_coupa": ("--latency-ms", "20", "--sync-unlimited"),
    "procore_jde": (
        *("--procore-latency-ms", "20", "--jde-latency-ms", "20"),
        *("--procore-unlimited", "--no-cpu", "--no-reconcile"),
    ),
    "jde_procurify": (
        *("--procurify-latency-ms", "20", "--jde-latency-ms", "20", "--procurify-rate", "0"),
        *("--calibrate-seconds", "2", "--no-cpu", "--no-poll"),
    ),
    "fusion_procurify": (
        *("--fusion-latency-ms", "20", "--procurify-latency-ms", "20", "--procurify-rate", "0"),
        *("--no-cpu", "--no-reconcile"),
    ),
}

# The flows' write counts that are records written (as the profiles count them) and the parents a write
# step wrote for its held records (``flows.parent_pull``).
WRITTEN = ("create", "update", "adopt")
PULLED = "parents_pulled"

# Our HTTP clients' system names (``HttpClient.system``) by the flows' system names (``FlowSpec``), and
# the systems' names in the table.
CLIENTS = {"jde": "jde_ais"}
NAMES = {"jde": "JDE", "coupa": "Coupa", "bill": "BILL", "procore": "Procore", "procurify": "Procurify"}


@dataclass(frozen=True)
class Floor:
    """The fewest calls a flow's records need in one system: ``per_record`` calls each, and one call per
    ``batch`` records on top (a list page, a batch upsert); ``why`` says which documented calls."""

    per_record: float | None
    why: str
    batch: int | None = None

    def of(self, records: int) -> float | None:
        """The floor per record for a run that wrote ``records`` (None: no records, or no floor known)."""
        if not records or self.per_record is None:
            return None
        return self.per_record + (math.ceil(records / self.batch) / records if self.batch else 0.0)


# A flow not in ``FLOORS`` yet (a new one): its figures are shown without a floor, saying so.
UNKNOWN = Floor(None, "no floor yet: give the flow one in bench/floors.py's FLOORS")

# Each reason names the system and the section of its ``docs/reference/<system>.md`` that documents the calls.
JDE_PAGES = Floor(0, "JDE: data-service browse pages, 2,000 rows a page (AIS §2.5)", batch=2000)


def _jde(orchestration: str) -> Floor:
    return Floor(
        1,
        f"JDE: one {orchestration} a document (each of our orchestrations takes one document, AIS §2.6)",
    )


COUPA_MARKED = Floor(
    1, "Coupa: list pages of 50 (§2.2), then PUT exported=true, a request of its own, each (§2.8)", batch=50
)
PROCURIFY_PAGES = Floor(0, "Procurify: list pages, 100 rows a page (§2.2, size unconfirmed)", batch=100)
FUSION_PAGES = Floor(0, "Fusion: list pages, 500 rows a page (§2.2)", batch=500)

# flow -> (target floor, source floor); a flow whose source is its target has one floor (source None).
FLOORS: dict[str, tuple[Floor, Floor | None]] = {
    "jde_coupa_suppliers": (
        Floor(1, "Coupa: one POST /api/suppliers (or PUT) a supplier; no bulk endpoint (§2.3)"),
        JDE_PAGES,
    ),
    "jde_coupa_purchase_orders": (
        Floor(1, "Coupa: one POST /api/purchase_orders (external PO) or PUT an order (§2.4)"),
        JDE_PAGES,
    ),
    "jde_coupa_invoices": (Floor(1, "Coupa: one POST /api/invoices an invoice (§2.5)"), JDE_PAGES),
    "coupa_jde_invoices": (_jde("ML_CreateVoucherBatch"), COUPA_MARKED),
    "coupa_jde_payments": (_jde("ML_RecordPayment"), COUPA_MARKED),
    "jde_bill_vendors": (
        Floor(
            1,
            "BILL: one POST /v3/vendors (or PATCH) a vendor (§2.6: /v3/vendors/bulk takes 20, all or "
            "nothing, 0.05 a vendor while none is refused); one login a session (§2.1)",
        ),
        JDE_PAGES,
    ),
    "jde_bill_bills": (
        Floor(
            1,
            "BILL: one POST /v3/bills a bill (§2.7; /bulk is all-or-nothing, BDC_1246); one login a "
            "session (§2.1)",
        ),
        JDE_PAGES,
    ),
    "jde_bill_payments": (
        _jde("ML_RecordPayment (or ML_CreateJournalBatch)"),
        Floor(0, "BILL: /v3/payments list pages, 100 rows a page (§2.5)", batch=100),
    ),
    "jde_procurify_account_codes": (
        Floor(1, "Procurify: one POST /api/v3/account-codes/ (or PUT) a code; no bulk (§2.8)"),
        JDE_PAGES,
    ),
    "jde_procurify_suppliers": (
        Floor(1, "Procurify: one POST /api/v3/vendors/ (or PATCH) a vendor (§2.3)"),
        JDE_PAGES,
    ),
    "jde_procurify_purchase_orders": (
        Floor(1, "Procurify: one POST /api/v3/requisitions/ an order (§2.4)"),
        JDE_PAGES,
    ),
    "jde_procurify_po_links": (
        Floor(
            2,
            "Procurify: the PO's order_items (its requisition number) come with GET "
            "/api/v2/purchase_orders/{id}/ only, then one PUT /api/v3/purchase-orders/{id}/ (§2.5)",
        ),
        None,
    ),
    "jde_procurify_vendors": (
        _jde("ML_AddUpdateSupplier"),
        Floor(
            1,
            "Procurify: vendor list pages (§2.3), and one PATCH writing JDE's number back on a vendor "
            "made in JDE (§2.3)",
            batch=100,
        ),
    ),
    "jde_procurify_bills": (
        _jde("ML_CreateVoucherBatch"),
        Floor(
            1,
            "Procurify: the list's bill is slim (item ids): one GET /api/v2/ap/bills/{id}/ a bill, and "
            "list pages (§2.6)",
            batch=100,
        ),
    ),
    "jde_procurify_payments": (
        _jde("ML_RecordPayment (or ML_CreateJournalBatch)"),
        Floor(0, "Procurify: payments list pages (§2.7), their bills listed by vendor[] (§2.6)", batch=100),
    ),
    "jde_procurify_paid_marks": (
        Floor(
            0,
            "Procurify: POST /api/v3/ap/bills/mark-as-paid/ takes a list of bill_uuids: one call a "
            "payment date, whatever its bills (§2.6)",
        ),
        JDE_PAGES,
    ),
    "fusion_procurify_account_codes": (
        Floor(1, "Procurify: one POST /api/v3/account-codes/ (or PUT) a code; no bulk (§2.8)"),
        Floor(0, "Fusion: accountCombinationsLOV pages, 500 rows a page (§2.2, §2.9)", batch=500),
    ),
    "fusion_procurify_suppliers": (
        Floor(1, "Procurify: one POST /api/v3/vendors/ (or PATCH) a vendor (§2.3)"),
        Floor(0, "Fusion: suppliers pages with expand=sites, 500 rows a page (§2.2, §2.7)", batch=500),
    ),
    "fusion_procurify_vendors": (
        Floor(0, "Fusion: a pairing, nothing written; suppliers pages, 500 rows a page (§2.7)", batch=500),
        PROCURIFY_PAGES,
    ),
    "fusion_procurify_purchase_orders": (
        Floor(
            2,
            "Fusion: POST draftPurchaseOrders, then its submit action (§2.4: purchaseOrders is read and "
            "actions only)",
        ),
        Floor(
            1,
            "Procurify: a PO's lines come with GET /api/v2/purchase_orders/{id}/ only, one an order, and "
            "list pages (§2.5)",
            batch=100,
        ),
    ),
    "fusion_procurify_invoices": (
        Floor(2, "Fusion: POST invoices, then the validateInvoice action (§2.6)"),
        Floor(
            1,
            "Procurify: the list's bill is slim: one GET /api/v2/ap/bills/{id}/ a bill, and list pages "
            "(§2.6)",
            batch=100,
        ),
    ),
    "fusion_procurify_payment_status": (
        Floor(
            0,
            "Procurify: POST /api/v3/ap/bills/mark-as-paid/ takes a list of bill_uuids: one call a "
            "payment date (§2.6)",
        ),
        FUSION_PAGES,
    ),
    "procore_jde_vendors": (
        _jde("ML_AddUpdateSupplier"),
        Floor(
            0,
            "Procore: vendor list pages, and marks by PATCH /vendors/sync, 1,000 rows a call with "
            "per-row errors (§2.2, §2.9)",
            batch=1000,
        ),
    ),
    "procore_jde_suppliers": (
        Floor(
            0,
            "Procore: PATCH /rest/v1.0/vendors/sync upserts 1,000 vendors a call by origin_id, errors per "
            "row (§2.9); one POST or PATCH each is 1",
            batch=1000,
        ),
        JDE_PAGES,
    ),
    "procore_jde_purchase_orders": (
        _jde("ML_CreatePurchaseOrder (or ML_UpdatePurchaseOrder)"),
        Floor(
            1,
            "Procore: a commitment's line items, one commitment a call (§2.4); the lists are per project",
        ),
    ),
    "procore_jde_change_orders": (
        _jde("ML_UpdatePurchaseOrder"),
        Floor(1, "Procore: a change order's lines, one change order a call (§2.6); lists per project"),
    ),
    "procore_jde_vouchers": (
        _jde("ML_CreateVoucherBatch"),
        Floor(1, "Procore: a requisition's contract items, one requisition a call (§2.5); lists per project"),
    ),
}


# -- measuring a profile's runs ----------------------------------------------------------------------------


class FlowCalls(kit.CallLog):
    """Our calls (``CallLog``) without logins, token requests and logouts (sent without the API's
    credentials), and each Dagster run's calls put on its flows as the run ends (``measured``); apart, the
    calls a write step spent on records the target refused (``refused``)."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[dict[str, Any]] = []
        # The calls made while a write step wrote a record the target then refused (the record's write
        # raised an error that is not transient), and one (REFUSED_RECORD, time) per such record.
        self.refused: list[tuple[str, float]] = []
        self.writing = threading.local()  # the calls of the record this thread is writing

    def install(self) -> None:
        """Wrap ``HttpClient.request``, the write steps' ``write_record`` and ``dagster.materialize`` (this
        process, this bench only): the profiles import ``materialize`` where they call it, so each of their
        runs is measured."""
        import dagster

        from connector_assets.flows import writer
        from connector_assets.runtime.step_retry import is_transient
        from connector_resources.http.client import HttpClient

        request, materialize, write_record, log = (
            HttpClient.request,
            dagster.materialize,
            writer.write_record,
            self,
        )

        def counted(client: Any, method: str, path_or_url: str, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("authenticate", True):
                call = (client.system, time.time())
                with log.lock:
                    log.calls.append(call)
                record_calls = getattr(log.writing, "calls", None)
                if record_calls is not None:
                    record_calls.append(call)
            return request(client, method, path_or_url, *args, **kwargs)

        def written_once(*args: Any, **kwargs: Any) -> Any:
            outer, mine, refused = getattr(log.writing, "calls", None), [], False
            log.writing.calls = mine
            try:
                return write_record(*args, **kwargs)
            except (writer.BeingWritten, writer.WaitsFor):  # held, not refused
                raise
            except Exception as exc:
                refused = not is_transient(exc)  # an outage's calls stay with the flow's
                if refused:
                    with log.lock:
                        log.refused.extend([*mine, (REFUSED_RECORD, time.time())])
                raise
            finally:  # a write inside another's (a parent pulled) is the outer record's cost unless refused
                log.writing.calls = outer
                if outer is not None and not refused:
                    outer.extend(mine)

        def measured(assets: Any, *args: Any, **kwargs: Any) -> Any:
            first, refused = len(log.calls), len(log.refused)
            result = materialize(assets, *args, **kwargs)
            instance = kwargs.get("instance")
            if instance is not None:
                log.runs.append(_on_flows(assets, result, instance, log.calls[first:], log.refused[refused:]))
            return result

        HttpClient.request = counted  # type: ignore[method-assign]
        writer.write_record = written_once
        dagster.materialize = measured


# The pseudo system a refused record is counted under in ``FlowCalls.refused`` (beside its calls).
REFUSED_RECORD = "(refused records)"


def _on_flows(
    assets: list[Any],
    result: Any,
    instance: Any,
    calls: list[tuple[str, float]],
    refused: list[tuple[str, float]],
) -> dict[str, Any]:
    """One run's calls by step put on flows (see the module docstring), and its flows' write counts; the
    records the target refused and the calls spent on them, put on flows the same way."""
    from dagster import AssetsDefinition

    specs = kit.flow_specs().values()
    own = {spec.key(step): spec.flow for spec in specs for step in ("mapped", "written")}
    executable = [a for a in assets if isinstance(a, AssetsDefinition)]
    keys = {key for a in executable for key in a.keys}
    flows_of = _flows_of(executable, keys, own)
    steps: dict[str, str] = {}
    for asset in executable:
        flows = set().union(*(flows_of[key] for key in asset.keys))
        steps[asset.node_def.name] = flows.pop() if len(flows) == 1 else "shared"
    windows = kit._step_windows(instance, result.run_id)
    on_steps = kit.calls_on_steps(windows, calls)
    by_flow: dict[str, Counter] = defaultdict(Counter)
    for step, systems in on_steps.items():
        by_flow[steps.get(step.split(".")[0], "shared")].update(systems)
    refused_by_flow: dict[str, Counter] = defaultdict(Counter)
    for step, systems in kit.calls_on_steps(windows, refused).items():
        refused_by_flow[steps.get(step.split(".")[0], "shared")].update(systems)
    written = {spec.flow: counts for spec, counts in kit.written_totals(result).items()}
    return {
        "run_id": result.run_id,
        "kind": "flows" if any(key in own for key in keys) else "no flow (lookups, reconciliation)",
        "calls_by_flow": {flow: dict(c) for flow, c in by_flow.items()},
        "refused_by_flow": {flow: dict(c) for flow, c in refused_by_flow.items()},
        "calls_outside_steps": len(calls) - sum(sum(c.values()) for c in on_steps.values()),
        "written": {
            flow: {k: counts.get(k, 0) for k in (*WRITTEN, PULLED, "api_calls")}
            for flow, counts in written.items()
        },
    }


def _flows_of(assets: list[Any], keys: set[Any], own: dict[Any, str]) -> dict[Any, set[str]]:
    """Each asset key of the run -> the flows it serves: a flow's own step serves it; another asset the
    flows downstream of it in the run, or, with none (a mark after a write), those upstream."""
    deps = {key: kit._deps(a) & keys for a in assets for key in a.keys}
    users: dict[Any, set[Any]] = defaultdict(set)
    for key, upstream in deps.items():
        for dep in upstream:
            users[dep].add(key)

    def reach(key: Any, edges: dict[Any, set[Any]], seen: set[Any]) -> set[str]:
        found: set[str] = set()
        for near in edges.get(key, ()):
            if near in seen:
                continue
            seen.add(near)
            found |= {own[near]} if near in own else reach(near, edges, seen)
        return found

    flows: dict[Any, set[str]] = {}
    for key in keys:
        if key in own:
            flows[key] = {own[key]}
        else:
            flows[key] = reach(key, users, set()) or reach(key, deps, set())
    return flows


def measure(integration: str) -> dict[str, Any]:
    """``integration``'s profile at the standard setting, in this process: its report and its runs'
    calls by flow (``FlowCalls``)."""
    profile = kit.load(integration)
    argv = ["--profile", integration, "--scale", f"{SCALE:g}", "--days", str(DAYS), *STANDARD[integration]]
    log = FlowCalls()
    log.install()
    sys.argv = [os.path.relpath(BENCH / "backfill.py"), *argv]  # the command the profile's report quotes
    started = time.monotonic()
    report = kit.run_profile(profile, kit.arguments(profile).parse_args(argv))
    seconds = time.monotonic() - started
    return {
        "integration": integration,
        "command": "bench/backfill.py " + " ".join(argv),
        "seconds": round(seconds, 1),
        "calls_in_no_run": len(log.calls) - sum(_calls(run) for run in log.runs),
        "runs": log.runs,
        "flows": _by_flow(log.runs),
        "profile_report": report,
    }


def _calls(run: dict[str, Any]) -> int:
    return sum(sum(c.values()) for c in run["calls_by_flow"].values()) + run["calls_outside_steps"]


def _by_flow(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every run's calls and write counts summed by flow (the runs with a flow only)."""
    calls: dict[str, Counter] = defaultdict(Counter)
    refused: dict[str, Counter] = defaultdict(Counter)
    counts: dict[str, Counter] = defaultdict(Counter)
    for run in runs:
        if run["kind"] != "flows":
            continue
        for flow, systems in run["calls_by_flow"].items():
            calls[flow].update(systems)
        for flow, systems in run.get("refused_by_flow", {}).items():
            refused[flow].update(systems)
        for flow, written in run["written"].items():
            counts[flow].update(written)
    return {
        flow: {
            "calls": dict(calls.get(flow, {})),
            "refused": dict(refused.get(flow, {})),
            "counts": dict(counts.get(flow, {})),
        }
        for flow in sorted(set(calls) | set(counts))
    }


# -- the table ---------------------------------------------------------------------------------------------


def rows(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per flow of one integration's run (and its shared steps): records written, calls per
    record in the target and the source, their floors and the difference."""
    specs = kit.flow_specs()
    out: list[dict[str, Any]] = []
    total_records = 0
    for flow, figures in measured["flows"].items():
        if flow == "shared":
            continue
        spec, counts = specs[flow], Counter(figures["counts"])
        # The calls on records the target refused are theirs, apart (``FlowCalls.refused``).
        refused = Counter(figures.get("refused", {}))
        calls = Counter(figures["calls"])
        calls.subtract(refused)
        records = sum(counts[k] for k in WRITTEN)
        pulled = counts[PULLED]
        written = records + pulled
        total_records += written
        target, source = FLOORS.get(flow, (UNKNOWN, UNKNOWN))
        to_target = calls[_client(spec.target_system)]
        from_source = calls[_client(spec.source_system)] if source is not None else None
        row: dict[str, Any] = {
            "integration": spec.integration,
            "flow": spec.name,
            "records": records,
            "parents_pulled": pulled,
            "refused": refused[REFUSED_RECORD],
            "refused_target_calls": refused[_client(spec.target_system)],
            "refused_per_record": _per(refused[_client(spec.target_system)], refused[REFUSED_RECORD]),
            "target": _name(spec.target_system),
            "target_calls": to_target,
            "target_per_record": _per(to_target, written),
            "target_floor": target.of(written),
            "target_why": target.why,
            "source": _name(spec.source_system) if source is not None else None,
            "source_calls": from_source,
            "source_per_record": _per(from_source, written) if from_source is not None else None,
            "source_floor": source.of(written) if source is not None else None,
            "source_why": source.why if source is not None else None,
        }
        row["target_over"] = _over(row["target_per_record"], row["target_floor"])
        row["source_over"] = _over(row["source_per_record"], row["source_floor"])
        out.append(row)
    shared = measured["flows"].get("shared", {}).get("calls", {})
    if shared:
        out.append(
            {
                "integration": measured["integration"],
                "flow": "(steps shared by its flows)",
                "records": total_records,
                "shared_calls": shared,
            }
        )
    return out


def _name(system: str) -> str:
    """A system's name in the table, from a flow's (``FlowSpec``) or a client's (``HttpClient``) name."""
    system = {client: flow for flow, client in CLIENTS.items()}.get(system, system).lower()
    return NAMES.get(system, system.capitalize())


def _client(system: str) -> str:
    return CLIENTS.get(system.lower(), system.lower())


def _per(calls: int | None, records: int) -> float | None:
    return round(calls / records, 2) if calls is not None and records else None


def _over(measured: float | None, floor: float | None) -> float | None:
    return round(measured - floor, 2) + 0.0 if measured is not None and floor is not None else None


def markdown(results: list[dict[str, Any]]) -> str:
    """The rows of every integration run as one markdown table, then each floor's reason."""
    head = (
        "| integration | flow | records written | target: calls / record written (calls) | floor | over | "
        "source: calls / record written (calls) | floor | over | refused by the target: records "
        "(target calls each) |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|"]
    reasons: list[str] = []
    for measured in results:
        for row in rows(measured):
            lines.append("| " + " | ".join(_cells(row)) + " |")
            if "target_why" in row:
                source = f"; source {row['source_why']}" if row["source_why"] else ""
                reasons.append(f"- {row['integration']} {row['flow']}: target {row['target_why']}{source}")
    return "\n".join([*lines, "", "Floors:", "", *reasons])


def _cells(row: dict[str, Any]) -> list[str]:
    """A row's cells: a flow's figures, or the calls of the steps an integration's flows share."""
    if "shared_calls" in row:
        calls = sorted(row["shared_calls"].items())
        per = ", ".join(f"{_name(system)} {_show(_per(n, row['records']))}" for system, n in calls)
        total = ", ".join(f"{n} {_name(system)}" for system, n in calls)
        return [row["integration"], row["flow"], f"{row['records']} (its flows')", f"{per} ({total})"] + [
            ""
        ] * 6
    pulled = row["parents_pulled"]
    written = f"{row['records']}" + (f" (+{pulled} parents)" if pulled else "")
    source = (
        f"{row['source']} {_show(row['source_per_record'])} ({row['source_calls']})"
        if row["source"] is not None
        else "(its target)"
    )
    return [
        row["integration"],
        row["flow"],
        written,
        f"{row['target']} {_show(row['target_per_record'])} ({row['target_calls']})",
        _show(row["target_floor"]),
        _signed(row["target_over"]),
        source,
        _show(row["source_floor"]),
        _signed(row["source_over"]),
        _refused(row),
    ]


def _refused(row: dict[str, Any]) -> str:
    """The records the target refused and its calls on each, or "-" (none, or a run measured before)."""
    if not row.get("refused"):
        return "-"
    return f"{row['refused']} ({row['target']} {_show(row['refused_per_record'])})"


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


# -- the command -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--integration",
        action="append",
        choices=sorted(STANDARD),
        help="an integration to run (repeatable); every one unless told",
    )
    parser.add_argument(
        "--out", type=Path, help="the raw JSON's file (bench/.data/floors-<date>-<commit>.json)"
    )
    parser.add_argument(
        "--from", dest="saved", type=Path, help="print the table of an earlier run's raw JSON"
    )
    parser.add_argument("--one", choices=sorted(STANDARD), help=argparse.SUPPRESS)  # a child's integration
    args = parser.parse_args(argv)
    if args.one:  # a child process (``_child``): its figures to ``--out``
        args.out.write_text(json.dumps(measure(args.one), default=str))
        return
    if args.saved:
        print(markdown(json.loads(args.saved.read_text())["integrations"]))
        return
    integrations = args.integration or sorted(STANDARD)
    commit = subprocess.run(
        ["git", "rev-parse", "--short=8", "HEAD"], capture_output=True, text=True, cwd=BENCH
    )
    head = commit.stdout.strip() or "unknown"
    started = time.monotonic()
    results = [_child(name, BENCH / ".data") for name in integrations]
    report = {
        "command": kit.command(),
        "commit": head,
        "date": date.today().isoformat(),
        "seconds": round(time.monotonic() - started, 1),
        "integrations": results,
        "rows": [row for measured in results for row in rows(measured)],
    }
    out = args.out or BENCH / ".data" / f"floors-{report['date']}-{head}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    each = ", ".join(f"{r['integration']} {r['seconds']} s" for r in results)
    print(f"`{kit.command()}` at {head}, {report['date']}: {report['seconds']} s ({each})")
    print(f"Raw figures: {os.path.relpath(out)}")
    print()
    print(markdown(results))


def _child(integration: str, folder: Path) -> dict[str, Any]:
    """``measure(integration)`` in a process of its own (the profiles set process-wide settings); its
    Dagster and simulator chatter go to ``floors-<integration>.log`` in ``folder``."""
    print(f"{integration}: running", file=sys.stderr, flush=True)
    folder.mkdir(exist_ok=True)
    log = folder / f"floors-{integration}.log"
    with tempfile.TemporaryDirectory() as scratch, log.open("w") as chatter:
        out = Path(scratch) / "figures.json"
        done = subprocess.run(
            [sys.executable, __file__, "--one", integration, "--out", str(out)],
            stdout=chatter,
            stderr=chatter,
            env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(BENCH.parent)},
        )
        if done.returncode:
            raise SystemExit(f"{integration}: its run failed (exit {done.returncode}), see {log}")
        return json.loads(out.read_text())


if __name__ == "__main__":
    main()
