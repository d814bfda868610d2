"""Benchmark: an N-day backfill of JDE -> Coupa flows with per-day results, against one plain run over the
range, through a real Dagster webserver + daemon (what an operator launches from the UI).

Run by hand (not by pytest):

    .venv/bin/python bench/backfill_runs.py --days 14,90 --scale 0.2
    .venv/bin/python bench/backfill_runs.py --days 365 --scale 1 --flows suppliers,purchase_orders

Each way starts from fresh simulators (JDE AIS and Coupa, each in its own process, Coupa at its documented
25 req/s) and a fresh Dagster home and ledger, stages the flows' tables (payment terms, the account map, the
F0901 cache) with one run before the clock starts, as any instance that has run has them, then
materializes the flows' JDE sources (``jde/suppliers`` + ``jde/address_book``; ``jde/po_headers`` +
``jde/po_lines``) and the flows' ``_mapped`` / ``_written`` assets for the last N days:

- **one run**: a single run of that selection over the partition range (``dagster/asset_partition_range_*``
  tags), launched directly: the floor of what Dagster costs, with no daemon in the way;
- **per day**: ``launchPartitionBackfill`` over the N days, as the UI's "Materialize" on a range does: a
  backfill whose every day has its own status, figures and rerun from failure. The daemon
  runs it as one run over the range (``BackfillPolicy.single_run``; ``connector_assets/flows/range_days.py``).

Both ways run with a vault key in the instance folder, as ``make dev`` keeps one, so tokens and sessions live
across steps and runs (``--without-vault``: every session logs in and out).

Reported per way: seconds until every run ended (every day's status and figures are in) and until the
backfill is marked done (the daemon's next tick), runs, failed runs, Coupa API calls, OAuth tokens minted,
429 answers, JDE AIS logins (token requests) and data-service calls, records written (the ledger's
cross-references), and the API-bound floor ``bench/capacity_model.py`` computes for those records (its
Coupa calls per record at Coupa's 25 req/s) next to the calls this run made at 25 req/s; then a table of
both ways per day count, each over the one run and over the model's floor.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the webserver + daemon harness the end-to-end tests use
sys.path.insert(0, str(ROOT / "bench"))

from backfill import _serve, _wait  # noqa: E402
from capacity_model import APIS, INTEGRATIONS  # noqa: E402
from dagster_server import TERMINAL_RUN, dagster_server, free_port  # noqa: E402

from connector_cli.dev_vault import development_key  # noqa: E402
from connector_resources.vault import KEY_ENV  # noqa: E402

# The flows map only with staged tables (payment terms, the account map, the F0901 cache): staged by one run
# before the clock starts, as on any instance that has run (ml-connector dev stages every flow's tables
# first), so the backfill is what an operator launches on a range: the source reads and the flows.
TERMS = ROOT / "mappings/sandbox/jde_coupa_payment_terms.csv"
PREREQUISITES = ["jde_coupa/payment_terms_map", "jde_coupa/account_map", "jde/gl_accounts"]
FLOWS = {
    "suppliers": [
        "jde/suppliers",
        "jde/address_book",
        "jde_coupa/suppliers_mapped",
        "jde_coupa/suppliers_written",
    ],
    "purchase_orders": [
        "jde/po_headers",
        "jde/po_lines",
        "jde_coupa/purchase_orders_mapped",
        "jde_coupa/purchase_orders_written",
    ],
}

LAUNCH_RUN = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on Error { message } } }"""
RUNS = """{ runsOrError { __typename ... on Runs { results { runId status } } } }"""
FAILURES = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { eventConnection { events {
  __typename ... on ExecutionStepFailureEvent { stepKey error { message cause { message } } }
  ... on RunFailureEvent { message } } } } } }"""


def _message(error: dict | None) -> str:
    """The error's message with its cause's (Dagster wraps the step's own exception)."""
    if not error:
        return ""
    cause = (error.get("cause") or {}).get("message") or ""
    return f"{error['message'].strip()} {cause.strip()}".strip()


def _failures(server, run_id: str) -> list[str]:
    events = server.gql(FAILURES, {"id": run_id})["runOrError"]["eventConnection"]["events"]
    return [
        f"{e.get('stepKey') or 'run'}: {_message(e.get('error')) or e.get('message')}"[:600]
        for e in events
        if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")
    ]


STEP_STATS = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run {
  stepStats { stepKey startTime endTime } } } }"""


def _step_seconds(server, run_id: str) -> dict[str, float]:
    """Each step's wall seconds in the run (where a backfill's time goes)."""
    stats = server.gql(STEP_STATS, {"id": run_id})["runOrError"].get("stepStats") or []
    return {
        s["stepKey"]: round((s["endTime"] or 0) - (s["startTime"] or 0), 1) for s in stats if s["startTime"]
    }


def _runs(server) -> dict[str, str]:
    return {r["runId"]: r["status"] for r in server.gql(RUNS)["runsOrError"]["results"]}


def _wait_runs(server, timeout: float, at_least: int = 1) -> dict[str, str]:
    """Every run the instance knows, once there are ``at_least`` and all have ended (none queued, starting
    or running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _runs(server)
        if len(runs) >= at_least and all(status in TERMINAL_RUN for status in runs.values()):
            return runs
        time.sleep(0.5)
    raise SystemExit(f"runs not finished after {timeout:.0f} s: {_runs(server)}\n{server.log_tail()}")


def _run_and_wait(server, assets: list[str], days: list[str] | None, timeout: float) -> dict[str, str]:
    """One run of ``assets`` (over ``days`` as a range, when given), launched as the UI's "Materialize" of a
    selection launches it; every run of the instance once all have ended."""
    tags = []
    if days:
        tags = [
            {"key": "dagster/asset_partition_range_start", "value": days[0]},
            {"key": "dagster/asset_partition_range_end", "value": days[-1]},
        ]
    params = {
        "selector": {
            "repositoryLocationName": "connector",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": name.split("/")} for name in assets],
        },
        "executionMetadata": {"tags": tags},
    }
    launched = server.gql(LAUNCH_RUN, {"p": params}, timeout=timeout)["launchRun"]  # plans every day first
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return _wait_runs(server, timeout)


def _one_way(
    way: str,
    days: list[str],
    scale: float,
    timeout: float,
    vault: bool = True,
    flows: tuple[str, ...] = ("suppliers",),
) -> dict:
    assets = [name for flow in flows for name in FLOWS[flow]]
    with tempfile.TemporaryDirectory() as folder:
        jde_port, coupa_port = free_port(), free_port()
        jde = _serve("connector_sandbox.jde_ais", jde_port, scale, ["--db-path", f"{folder}/jde.sqlite"])
        coupa = _serve("connector_sandbox.coupa", coupa_port, scale, [])
        jde_url, coupa_url = f"http://127.0.0.1:{jde_port}", f"http://127.0.0.1:{coupa_port}"
        try:
            _wait(f"{jde_url}/jderest/defaultconfig", jde)
            _wait(f"{coupa_url}/sandbox/state", coupa)
            env = {
                "ML_JDE_AIS_URL": f"{jde_url}/jderest",
                "ML_COUPA_URL": coupa_url,
                "ML_CONNECTOR_DB_URL": f"sqlite:///{folder}/ledger.sqlite",
                "ML_SANDBOX_ACTIVITY_MINUTES": "0",
                # The simulators are on ports of their own, so name the sandbox tables explicitly.
                "ML_JDE_COUPA_PAYMENT_TERMS_MAP": str(TERMS),
                "ML_JDE_COUPA_ACCOUNT_MAP": str(ROOT / "mappings/sandbox/jde_coupa_accounts.csv"),
            }
            home = Path(folder) / "home"
            if vault:  # as make dev does: a key in the instance folder, so tokens live across runs
                home.mkdir(parents=True, exist_ok=True)
                env[KEY_ENV] = development_key(home)[0]
            with dagster_server(home, env) as server:
                _run_and_wait(server, PREREQUISITES, None, timeout)
                staged_by = set(_runs(server))
                jde_before = requests.get(f"{jde_url}/sandbox/state", timeout=30).json()["calls"]
                coupa_before = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
                started = time.monotonic()
                if way == "one run":
                    runs = _run_and_wait(server, assets, days, timeout)
                    ended = time.monotonic() - started
                else:
                    backfill = server.launch_backfill(assets, days, title=f"bench {len(days)} days")
                    runs = _wait_runs(server, timeout, at_least=len(staged_by) + 1)
                    ended = time.monotonic() - started  # every day's status and figures are in
                    server.wait_backfill(backfill, timeout=timeout)  # the daemon's next tick marks it done
                seconds = time.monotonic() - started
                jde_after = requests.get(f"{jde_url}/sandbox/state", timeout=30).json()["calls"]
                coupa_after = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
                runs = {run_id: status for run_id, status in runs.items() if run_id not in staged_by}
                steps = {run_id: _step_seconds(server, run_id) for run_id in runs}
                failures = [
                    f for run_id, st in runs.items() if st != "SUCCESS" for f in _failures(server, run_id)
                ]
        finally:
            for proc in (jde, coupa):
                proc.terminate()
                proc.wait(timeout=30)
        from connector_resources.ledger import Ledger

        ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
        written = ledger.summary()
        ledger.dispose()

    def delta(after: dict, before: dict) -> dict:
        return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}

    jde_calls = delta(jde_after, jde_before)
    coupa_calls = delta(coupa_after["calls"], coupa_before["calls"])
    coupa_total = sum(coupa_calls.values())
    model = INTEGRATIONS["jde_coupa"].calls_per_record / APIS["coupa"].sustained_per_s
    return {
        "way": way,
        "flows": ",".join(flows),
        "days": len(days),
        # The API-bound floor (bench/capacity_model.py): the records written at the model's Coupa calls per
        # record and Coupa's 25 req/s; and the calls this run made, at 25 req/s.
        "records_written": written["xrefs"],
        "model_floor_seconds": round(written["xrefs"] * model, 1),
        "calls_floor_seconds": round(coupa_total / APIS["coupa"].sustained_per_s, 1),
        "vault_key": vault,
        "runs_ended_seconds": round(ended, 1),
        "wall_seconds": round(seconds, 1),
        "runs": len(runs),
        "failed_runs": sum(status != "SUCCESS" for status in runs.values()),
        "failures": failures[:5],
        "coupa_calls": coupa_total,
        "coupa_tokens_minted": coupa_after["tokens"]["minted"] - coupa_before["tokens"]["minted"],
        "coupa_429": coupa_after["rate_limited"] - coupa_before["rate_limited"],
        "jde_logins": sum(v for k, v in jde_calls.items() if k.endswith("/tokenrequest")),
        "jde_calls": sum(jde_calls.values()),
        "jde_calls_by_kind": jde_calls,
        "coupa_calls_by_kind": coupa_calls,
        "step_seconds": {key: v for per_run in steps.values() for key, v in per_run.items()},
        "ledger": written,
    }


COLUMNS = (
    "records_written",
    "model_floor_seconds",
    "runs_ended_seconds",
    "wall_seconds",
    "runs",
    "failed_runs",
    "coupa_calls",
    "coupa_tokens_minted",
    "jde_logins",
    "jde_calls",
)


def _table(results: list[dict]) -> str:
    """The ways side by side per day count: each way's time over the one run's, and over the model's floor."""
    head = "| days | way | " + " | ".join(COLUMNS) + " | x one run | x model floor |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 4)]
    one = {r["days"]: r["runs_ended_seconds"] for r in results if r["way"] == "one run"}
    for r in results:
        ratio = f"{r['runs_ended_seconds'] / one[r['days']]:.2f}" if r["days"] in one else ""
        floor = (
            f"{r['runs_ended_seconds'] / r['model_floor_seconds']:.2f}" if r["model_floor_seconds"] else ""
        )
        cells = " | ".join(str(r[c]) for c in COLUMNS)
        lines.append(f"| {r['days']} | {r['way']} | {cells} | {ratio} | {floor} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="90", help="day counts, comma-separated (14,90)")
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("--way", choices=("one run", "per day", "both"), default="both")
    parser.add_argument("--without-vault", action="store_true", help="no vault key: every session logs in")
    parser.add_argument(
        "--flows", default="suppliers", help=f"JDE -> Coupa flows, comma-separated ({', '.join(FLOWS)})"
    )
    args = parser.parse_args()
    end = date.today() - timedelta(days=1)
    ways = ("one run", "per day") if args.way == "both" else (args.way,)
    results = []
    for count in (int(n) for n in args.days.split(",")):
        days = [(end - timedelta(days=n)).isoformat() for n in range(count - 1, -1, -1)]
        for way in ways:
            flows = tuple(args.flows.split(","))
            results.append(
                _one_way(way, days, args.scale, args.timeout, vault=not args.without_vault, flows=flows)
            )
            print(json.dumps(results[-1], indent=2), flush=True)
    print(_table(results))


if __name__ == "__main__":
    main()
