"""Profile jde_coupa: backfill N days through the four JDE <-> Coupa flows (three to Coupa, one to JDE).

Run by hand (not by pytest):

    .venv/bin/python bench/backfill.py --profile jde_coupa --scale 1 --days 30 --latency-ms 20

Both simulators run in their own processes; Coupa keeps its documented 25 req/s limit (burst 20) and
answers every call after a fixed latency. The flows run through Dagster's ``materialize`` as one
single-run backfill of the range. Reported: records written per second, Coupa calls per record, 429s the
simulator sent, JDE calls per record as the JDE simulator counts them (AIS logins and logouts apart,
``kit.jde_counts``; the catch-up too), the achieved Coupa request rate during the write steps against the
25 req/s ceiling, and our process's peak RSS.

Reconcile phase (after the catch-up, Coupa at its limit): both reconciliations day by day over the range,
``jde_coupa/reconciliation`` on JDE days and ``coupa_jde/reconciliation`` on UTC days: records compared, API
calls per record (Coupa's from the assets' metadata, JDE's from its simulator, logins apart), differences and
expected gaps by kind, seconds and the phase's peak RSS (the high-water mark reset before it,
``/proc/self/clear_refs``). ``--sync-unlimited`` lifts Coupa's limit, its latency and the client's pacing for
the backfill and catch-up only (their figures then say nothing about pacing), so a scale giving about 10,000
records to compare is synced in minutes; the reconcile phase always runs at the documented limit, the given
latency and the client's own pacing.
``--map-every-account`` maps every JDE account to a Coupa account (the sandbox table is made for scale 1).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import backfill as kit  # the bench's harness: simulators, discovery, CPU phase, tables
import requests


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency-ms", type=int, default=20, help="Coupa's answer time per call")
    parser.add_argument(
        "--sync-unlimited",
        action="store_true",
        help="Coupa's rate limit, latency and the client's pacing off during the backfill and catch-up (the "
        "reconcile phase keeps them)",
    )
    parser.add_argument(
        "--map-every-account",
        action="store_true",
        help="map every JDE account (F0901) to a Coupa account, not only the sandbox table's (made for scale "
        "1: above it most orders and vouchers are refused for an unmapped account)",
    )


def run(args: argparse.Namespace, sandboxes: kit.Sandboxes) -> dict:
    coupa_url = sandboxes.url("coupa")
    requests.post(f"{coupa_url}/sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=10)
    return _run(args, f"{sandboxes.url('jde')}/jderest", coupa_url)


def _run(args: argparse.Namespace, jde_url: str, coupa_url: str) -> dict:
    from dagster import AssetsDefinition, instance_for_test, materialize

    from connector_assets.asset_keys import asset_key
    from connector_assets.components import CoupaJde, JdeCoupa
    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.jde.assets import jde_assets
    from connector_assets.runtime.staging import StagingResource
    from connector_assets.saas.assets import saas_assets
    from connector_resources.coupa import CoupaResource
    from connector_resources.ledger import LedgerResource

    # Sources, then every flow of the integration (the unpartitioned account-map assets are not part of a
    # partitioned run: the tables are read from their files directly by the flows).
    sources = {
        asset_key("jde", "suppliers"),
        asset_key("jde", "address_book"),
        asset_key("jde", "po_headers"),
        asset_key("jde", "po_lines"),
        asset_key("jde", "ap_ledger"),
        asset_key("coupa", "invoices"),
        asset_key("coupa", "payments"),
    }
    # The default instances' flows.
    flow_assets = [a for kind in (JdeCoupa, CoupaJde) for flow in kind().parts.flows for a in flow.assets]
    unpartitioned = {
        asset_key("jde_coupa", "account_map"),
        asset_key("coupa_jde", "account_map"),
        asset_key("jde_coupa", "payment_terms_map"),
    }
    flows = {a.key for a in flow_assets} - unpartitioned
    # Executable assets only: each flow's list also holds its target (``<flow>_in_<target>``), owned by it.
    every = [a for a in [*jde_assets, *saas_assets, *flow_assets] if isinstance(a, AssetsDefinition)]
    assets = [a for a in every if a.key in sources | flows]
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    coupa_login = {
        "base_url": coupa_url,
        "client_id": "ml-connector-sandbox",
        "client_secret": "sandbox-coupa-secret",
        "token_warmup_seconds": 0,
    }
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = {
            "jde": kit.jde_sandbox_resource(jde_url),
            "coupa": CoupaResource(**coupa_login, **({"rate_per_second": 0} if args.sync_unlimited else {})),
            "staging": StagingResource(base_dir=folder),
            "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
            "target_boundary": UNWRAPPED,
        }
        # The F0901 cache and the mapping tables, staged first: flows map only with staged snapshots (the
        # Coupa -> JDE account table is the sandbox one unless the variable says otherwise).
        os.environ.setdefault(
            "ML_COUPA_JDE_ACCOUNT_MAP",
            str(Path(__file__).parents[2] / "mappings" / "sandbox" / "coupa_jde_accounts.csv"),
        )
        mapped = _map_every_account(resources["jde"], Path(folder)) if args.map_every_account else None
        lookups = [a for a in every if a.key in {asset_key("jde", "gl_accounts"), *unpartitioned}]
        assert materialize(lookups, resources=resources, instance=instance).success
        aligned = _align_supplier_numbers(resources, coupa_url)
        if args.sync_unlimited:
            _coupa_limit(coupa_url, False, 0)
        before = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
        jde_before = _jde_state(jde_url)
        started = time.monotonic()
        result = materialize(
            assets,
            resources=resources,
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": start.isoformat(),
                "dagster/asset_partition_range_end": end.isoformat(),
            },
            # A write step fails when most of a day is refused (the larger scales' JDE accounts outgrow the
            # sandbox account table): its other days are written, and the bench goes on to say so.
            raise_on_error=False,
        )
        seconds = time.monotonic() - started
        failed_steps = {
            e.step_key: e.step_failure_data.error.message.splitlines()[0][:200]
            for e in result.all_events
            if e.is_step_failure and e.step_failure_data.error
        }
        steps = kit._step_seconds(instance, result.run_id)
        from connector_resources.ledger import Ledger

        after = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
        jde_after = _jde_state(jde_url)
        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        held_after_backfill = len(ledger.open_items(status="held", limit=100_000))
        # JDE's Batch Voucher Processor (R04110ZA) runs on its own schedule; the payments of the Coupa
        # invoices written above can only be recorded once it has made their batches vouchers.
        processed = requests.post(f"{jde_url.removesuffix('/jderest')}/sandbox/process-vouchers", timeout=120)
        processed.raise_for_status()
        catch_up = _catch_up(resources, instance, ledger, assets, end, coupa_url, jde_url)
        queue = ledger.open_items(limit=100_000)  # what is still queued after the catch-up
        refusals = Counter(f"{i.integration}/{i.flow}: " + kit._reason_kind(i.reason) for i in queue)
        written = {spec.flow: counts for spec, counts in kit.written_totals(result).items()}
        _coupa_limit(coupa_url, True, args.latency_ms)
        reconcile: dict = {}
        paced = {**resources, "coupa": CoupaResource(**coupa_login)}  # Coupa's client as it ships
        kit._guarded(reconcile, "phase", lambda: _reconcile(paced, instance, start, end, jde_url))
    records = sum(m.get(k, 0) for m in written.values() for k in ("create", "update", "adopt"))
    calls = _total(after) - _total(before)
    write_seconds = sum(v for k, v in steps.items() if k in {kit.flow_steps(f)[1] for f in written})
    return {
        "command": kit.command(),
        "days": args.days,
        "scale": args.scale,
        "coupa_latency_ms": args.latency_ms,
        "coupa_suppliers_renumbered_to_jde": aligned,
        "jde_accounts_mapped_by_the_bench": mapped,
        "records_written": records,
        "written_per_flow": {
            k: sum(m.get(a, 0) for a in ("create", "update", "adopt")) for k, m in written.items()
        },
        "failed": sum(m.get("fail", 0) for m in written.values()),
        "failed_steps": failed_steps,
        "queued_by_reason": dict(refusals.most_common(8)),
        "seconds_total": round(seconds, 1),
        "records_per_second": round(records / seconds, 1),
        "coupa_calls": calls,
        "coupa_calls_per_record": round(calls / max(records, 1), 2),
        "coupa_429s": _rate_limited(after) - _rate_limited(before),
        "coupa_calls_by_kind": _calls_by_kind(before, after),
        **_jde_figures(jde_before, jde_after, records),
        "write_step_calls": _write_step_calls(written),
        "write_step_seconds": round(write_seconds, 1),
        "achieved_coupa_rate_per_s": round(calls / max(write_seconds, 1e-9), 1),
        "ratio_to_25_per_s": round(calls / max(write_seconds, 1e-9) / 25, 2),
        "held_after_backfill": held_after_backfill,
        "catch_up": catch_up,
        "sync_rate_limited": not args.sync_unlimited,  # False: the backfill's rates say nothing of pacing
        "reconcile": reconcile["phase"],
        "peak_rss_mb": kit.peak_rss_mb(),
    }


def _map_every_account(jde, folder: Path) -> int:
    """A JDE -> Coupa account table mapping every F0901 account (``BU.OBJ[.SUB]``): the sandbox table's rows,
    and each account it lacks on one of its Coupa accounts in turn; named by ``ML_JDE_COUPA_ACCOUNT_MAP``
    for the run. Answers how many accounts the bench added."""
    import csv

    sandbox = Path(__file__).parents[2] / "mappings" / "sandbox" / "jde_coupa_accounts.csv"
    with sandbox.open(encoding="utf-8") as handle:
        table = {row["jde_account"]: row["coupa_account_code"] for row in csv.DictReader(handle)}
    codes = sorted(set(table.values()))
    with jde.session() as session:
        rows = session.browse("F0901", columns=["F0901.MCU", "F0901.OBJ", "F0901.SUB"])
        accounts = {
            ".".join(p for p in (str(r.get(k) or "").strip() for k in ("MCU", "OBJ", "SUB")) if p)
            for r in rows
        }
    added = sorted(a for a in accounts if a and a not in table)
    table.update({account: codes[n % len(codes)] for n, account in enumerate(added)})
    path = folder / "jde_coupa_accounts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["jde_account", "coupa_account_code"])
        writer.writerows(sorted(table.items()))
    os.environ["ML_JDE_COUPA_ACCOUNT_MAP"] = str(path)
    return len(added)


def _coupa_limit(coupa_url: str, on: bool, latency_ms: int) -> None:
    """Coupa's documented rate limit on or off, and its answer time."""
    faults = {"rate_limit_enabled": on, "latency_ms": latency_ms}
    answer = requests.post(f"{coupa_url}/sandbox/faults", json=faults, timeout=10)
    answer.raise_for_status()


def _reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux: ``5`` to ``/proc/self/clear_refs``), so the next
    reading is the phase's own peak; False where the kernel does not offer it."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _rss_peak_mb() -> int | None:
    """VmHWM, the RSS high-water mark since the last reset (None off Linux)."""
    try:
        with open("/proc/self/status") as handle:
            line = next(row for row in handle if row.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return round(int(line.split()[1]) / 1024)


def _reconcile(resources: dict, instance, start: date, end: date, jde_url: str) -> dict:
    """Both reconciliations day by day over ``start``..``end``, each summed over its days (see the module
    docstring); JDE's calls as its simulator counts them, logins apart (``kit.jde_counts``)."""
    from dagster import materialize

    from connector_assets.components import CoupaJde, JdeCoupa

    days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    out = {}
    for asset in (*JdeCoupa().parts.assets, *CoupaJde().parts.assets):  # their reconciliations
        reset = _reset_peak_rss()
        started = time.monotonic()
        totals: Counter = Counter()
        kinds: Counter = Counter()
        checks: Counter = Counter()
        jde_before = _jde_state(jde_url)
        for day in days:
            result = materialize([asset], resources=resources, instance=instance, partition_key=day)
            for event in result.get_asset_materialization_events():
                for name, value in event.materialization.metadata.items():
                    number = getattr(value, "value", None)
                    if name in ("records_compared", "coupa_api_calls", "jde_api_calls", "differences"):
                        totals[name] += number
                    elif isinstance(number, int) and not name.endswith(("_in_window", "_out_of_balance")):
                        kinds[name] += number
            for evaluation in result.get_asset_check_evaluations():
                checks["passed" if evaluation.passed else "failed"] += 1
        seconds = time.monotonic() - started
        compared = max(totals["records_compared"], 1)
        jde = _jde_figures(jde_before, _jde_state(jde_url), compared)
        out[asset.key.to_user_string()] = {
            "days": len(days),
            "records_compared": totals["records_compared"],
            "coupa_calls": totals["coupa_api_calls"],
            **jde,
            "jde_calls_in_asset_metadata": totals["jde_api_calls"],
            "api_calls_per_record": round((totals["coupa_api_calls"] + jde["jde_calls"]) / compared, 3),
            "coupa_calls_per_record": round(totals["coupa_api_calls"] / compared, 3),
            "seconds": round(seconds, 1),
            "records_per_second": round(totals["records_compared"] / max(seconds, 1e-9), 1),
            "differences": totals["differences"],
            "by_kind": dict(kinds.most_common()),
            "checks": dict(checks),
            "peak_rss_mb": _rss_peak_mb() if reset else kit.peak_rss_mb(),
        }
    return out


def _catch_up(
    resources: dict, instance, ledger, assets: list, day: date, coupa_url: str, jde_url: str
) -> dict:
    """What the next hour does after a first backfill: the sync of the latest day (its suppliers step reads
    the suppliers held records wait for and releases them), then the replay of due records (the
    ``replay_due_records`` schedule), each record read from its source again and written once."""
    from dagster import materialize

    from connector_assets.asset_keys import asset_key
    from connector_assets.components import JdeCoupa
    from connector_assets.deployment import Deployment
    from connector_resources.replay import replay_items

    # The production replays, with the bench's resources instead of the settings'.
    own = {k: resources[k] for k in ("jde", "coupa", "staging")}
    replays = Deployment.of(["jde_coupa", "coupa_jde"]).replays(lambda: own)
    before = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
    jde_before = _jde_state(jde_url)
    started = time.monotonic()
    suppliers = JdeCoupa().parts.flow("suppliers").spec
    sync = [
        a
        for a in assets
        if a.key in {asset_key("jde", "suppliers"), asset_key("jde", "address_book")}
        or a.key in {suppliers.key("mapped"), suppliers.key("written")}
    ]
    synced = materialize(sync, resources=resources, instance=instance, partition_key=day.isoformat())
    assert synced.success
    synced_calls = _write_step_calls({s.flow: c for s, c in kit.written_totals(synced).items()})
    # The suppliers step writes too: the suppliers held records wait for, read by address number.
    suppliers_written = sum(
        e.materialization.metadata[action].value
        for e in synced.get_asset_materialization_events()
        if kit.written_flow(e.asset_key) is not None
        for action in ("create", "update", "adopt")
    )
    released = ledger.due(limit=100_000)
    summary = replay_items(ledger, released, replays)
    seconds = time.monotonic() - started
    after = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
    jde_after = _jde_state(jde_url)
    calls = _total(after) - _total(before)
    written = suppliers_written + len(summary.replayed)
    return {
        "suppliers_written_by_the_sync": suppliers_written,
        "write_step_calls": synced_calls,
        "released_and_replayed": len(released),
        "replayed": len(summary.replayed),
        "written": written,
        "coupa_calls_per_record": round(calls / max(written, 1), 2),
        "failed_again": len(summary.failed),
        "held_again": len(summary.held),
        "seconds": round(seconds, 1),
        "coupa_calls": calls,
        "coupa_429s": _rate_limited(after) - _rate_limited(before),
        "coupa_rate_per_s": round(calls / max(seconds, 1e-9), 1),
        "coupa_calls_by_kind": _calls_by_kind(before, after),
        **_jde_figures(jde_before, jde_after, written),
    }


# The flows to Coupa whose write steps' calls per record the bench reports together (the figure the
# natural-key searches batched per chunk of claims, ``flows.found_ahead``, are measured by).
SUPPLIERS_AND_ORDERS = ("jde_coupa_suppliers", "jde_coupa_purchase_orders")


def _write_step_calls(written: dict[str, dict[str, int]]) -> dict[str, dict]:
    """Per flow to Coupa, its write steps' Coupa calls (their ``api_calls``: searches, creates, updates,
    reads of a record to update) against the records they wrote, and the suppliers and purchase orders
    together."""
    out: dict[str, dict] = {}
    for flow, counts in sorted(written.items()):
        if not flow.startswith("jde_coupa_"):
            continue
        records = sum(counts.get(a, 0) for a in ("create", "update", "adopt"))
        calls = counts.get("api_calls", 0)
        out[flow] = {"records": records, "calls": calls, "per_record": round(calls / max(records, 1), 2)}
    both = [out[f] for f in SUPPLIERS_AND_ORDERS if f in out]
    records, calls = sum(f["records"] for f in both), sum(f["calls"] for f in both)
    out["suppliers_and_purchase_orders"] = {
        "records": records,
        "calls": calls,
        "per_record": round(calls / max(records, 1), 2),
    }
    return out


def _calls_by_kind(before: dict, after: dict) -> dict[str, int]:
    """Coupa calls between two ``/sandbox/state`` readings by method, resource and status, most first."""
    old, new = before.get("calls_by_status") or {}, after.get("calls_by_status") or {}
    delta = {key: count - old.get(key, 0) for key, count in new.items() if count - old.get(key, 0)}
    return dict(sorted(delta.items(), key=lambda kv: -kv[1]))


def _align_supplier_numbers(resources: dict, coupa_url: str) -> int:
    """Give Coupa's numbered suppliers JDE address numbers, as a Coupa admin keeps the ERP number there.

    The two simulators are seeded independently, so Coupa's supplier numbers (10000 and up) name no JDE
    supplier and every Coupa invoice would be refused by JDE. Renumbering (before the timed run, with the
    rate limit off) makes Coupa -> JDE invoices land on real JDE suppliers, and JDE -> Coupa suppliers
    adopt these Coupa suppliers by number instead of creating them.
    """
    with resources["jde"].session() as jde:
        an8s = sorted(int(row["AN8"]) for row in jde.browse("F0401", columns=["F0401.AN8"]))
    suppliers = requests.get(f"{coupa_url}/sandbox/records/suppliers", timeout=60).json()["records"]
    numbered = sorted((s for s in suppliers if s.get("number")), key=lambda s: s["id"])
    faults = f"{coupa_url}/sandbox/faults"
    requests.post(faults, json={"rate_limit_enabled": False}, timeout=10).raise_for_status()
    try:
        with resources["coupa"].session(flow="suppliers") as coupa:
            for supplier, an8 in zip(numbered, an8s, strict=False):
                coupa.update_supplier(supplier["id"], {"number": str(an8)})
    finally:
        requests.post(faults, json={"rate_limit_enabled": True}, timeout=10).raise_for_status()
    return min(len(numbered), len(an8s))


def _jde_state(jde_url: str) -> dict:
    """The JDE simulator's own counters (``/sandbox/state``)."""
    return requests.get(f"{jde_url.removesuffix('/jderest')}/sandbox/state", timeout=60).json()


def _jde_figures(before: dict, after: dict, records: int) -> dict:
    """JDE's calls between two readings as every profile reports them: AIS logins and logouts apart
    (``kit.jde_counts``), per record written (or compared), the busiest endpoints."""
    grown = kit.counter_delta(before.get("calls") or {}, after.get("calls") or {})
    counts = kit.jde_counts(grown)
    return {
        **counts,
        "jde_calls_per_record": round(counts["jde_calls"] / max(records, 1), 2),
        "jde_calls_by_endpoint": kit.busiest(grown, 8),
    }


def _total(state: dict) -> int:
    return int(sum((state.get("calls_by_status") or state.get("statuses") or {}).values()))


def _rate_limited(state: dict) -> int:
    value = state.get("rate_limited", 0)
    return int(value if isinstance(value, int | float) else sum(value.values()))


PROFILE = kit.Profile(
    simulators=(kit.JDE, kit.Simulator("coupa", "connector_sandbox.coupa")),
    run=run,
    options=_options,
)
