"""Benchmark: an N-day backfill of the JDE -> Coupa suppliers flow, one run for the range against one run
per day, through a real Dagster webserver + daemon (what an operator launches from the UI).

Run by hand (not by pytest):

    .venv/bin/python bench/backfill_runs.py --days 90 --scale 0.2

Each way starts from fresh simulators (JDE AIS and Coupa, each in its own process, Coupa at its documented
25 req/s) and a fresh Dagster home and ledger, then materializes ``jde/suppliers``, ``jde/address_book``,
``jde_coupa/suppliers_mapped`` and ``jde_coupa/suppliers_written`` for the last N days:

- **one run**: a single run over the partition range (``dagster/asset_partition_range_*`` tags, as the UI's
  "single run" launch does), the way every backfill ran before the flow assets went one partition per run;
- **per day**: ``launchPartitionBackfill`` over the N days, as the UI's "Materialize" on a range does now:
  one run per day for the flow assets.

Reported per way: wall time until every run ended, runs, failed runs, Coupa API calls, OAuth tokens minted,
429 answers, JDE AIS logins (token requests) and data-service calls, records written (the ledger).
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
from dagster_server import TERMINAL_RUN, dagster_server, free_port  # noqa: E402

# The flow maps only with a staged payment-terms table, so the backfill stages it too (once: unpartitioned).
ASSETS = [
    "jde_coupa/payment_terms_map",
    "jde/suppliers",
    "jde/address_book",
    "jde_coupa/suppliers_mapped",
    "jde_coupa/suppliers_written",
]
JOB = "jde_coupa_suppliers"

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


def _runs(server) -> dict[str, str]:
    return {r["runId"]: r["status"] for r in server.gql(RUNS)["runsOrError"]["results"]}


def _wait_runs(server, timeout: float) -> dict[str, str]:
    """Every run the instance knows, once all have ended (none queued, starting or running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _runs(server)
        if runs and all(status in TERMINAL_RUN for status in runs.values()):
            return runs
        time.sleep(2)
    raise SystemExit(f"runs not finished after {timeout:.0f} s: {_runs(server)}\n{server.log_tail()}")


def _one_way(way: str, days: list[str], scale: float, timeout: float) -> dict:
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
                "ML_JDE_COUPA_PAYMENT_TERMS_MAP": str(ROOT / "mappings/sandbox/jde_coupa_payment_terms.csv"),
                "ML_JDE_COUPA_ACCOUNT_MAP": str(ROOT / "mappings/sandbox/jde_coupa_accounts.csv"),
            }
            with dagster_server(Path(folder) / "home", env) as server:
                jde_before = requests.get(f"{jde_url}/sandbox/state", timeout=30).json()["calls"]
                coupa_before = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
                started = time.monotonic()
                if way == "one run":
                    params = {
                        "selector": {
                            "repositoryLocationName": "connector",
                            "repositoryName": "__repository__",
                            "jobName": JOB,
                        },
                        "executionMetadata": {
                            "tags": [
                                {"key": "dagster/asset_partition_range_start", "value": days[0]},
                                {"key": "dagster/asset_partition_range_end", "value": days[-1]},
                            ]
                        },
                    }
                    launched = server.gql(LAUNCH_RUN, {"p": params})["launchRun"]
                    assert launched["__typename"] == "LaunchRunSuccess", launched
                    runs = _wait_runs(server, timeout)
                else:
                    backfill = server.launch_backfill(ASSETS, days, title=f"bench {len(days)} days")
                    server.wait_backfill(backfill, timeout=timeout)
                    runs = _wait_runs(server, timeout)
                seconds = time.monotonic() - started
                jde_after = requests.get(f"{jde_url}/sandbox/state", timeout=30).json()["calls"]
                coupa_after = requests.get(f"{coupa_url}/sandbox/state", timeout=30).json()
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
    return {
        "way": way,
        "days": len(days),
        "wall_seconds": round(seconds, 1),
        "runs": len(runs),
        "failed_runs": sum(status != "SUCCESS" for status in runs.values()),
        "failures": failures[:5],
        "coupa_calls": sum(coupa_calls.values()),
        "coupa_tokens_minted": coupa_after["tokens"]["minted"] - coupa_before["tokens"]["minted"],
        "coupa_429": coupa_after["rate_limited"] - coupa_before["rate_limited"],
        "jde_logins": sum(v for k, v in jde_calls.items() if k.endswith("/tokenrequest")),
        "jde_calls": sum(jde_calls.values()),
        "jde_calls_by_kind": jde_calls,
        "ledger": written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("--way", choices=("one run", "per day", "both"), default="both")
    args = parser.parse_args()
    end = date.today() - timedelta(days=1)
    days = [(end - timedelta(days=n)).isoformat() for n in range(args.days - 1, -1, -1)]
    ways = ("one run", "per day") if args.way == "both" else (args.way,)
    for way in ways:
        print(json.dumps(_one_way(way, days, args.scale, args.timeout), indent=2), flush=True)


if __name__ == "__main__":
    main()
