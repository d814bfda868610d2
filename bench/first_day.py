"""A newcomer's first day: a fresh ``ml-connector dev`` left running, then what it left behind.

Run by hand (not by pytest):

    .venv/bin/python bench/first_day.py --minutes 10

On a clean first start no run fails because something was never staged, no traceback
reaches the console, and Dagster's daemon chatter is in ``DAGSTER_HOME/dagster-dev.log``, not on it; item
4: the sandboxes' activity leaves no queue of mismatches nobody made.

``ml-connector dev --sandbox-ports free --port <free port>`` is started on a fresh temporary
``DAGSTER_HOME`` and ledger (no fixed port is bound; every schedule and sensor runs, as on a newcomer's
sandbox), left for ``--minutes`` of sandbox activity once the UI answers, then given ``--grace`` seconds
for the runs still going to end. Reported, from GraphQL and the files:

* runs by status, and for every failed run its job, partition and the failed step's own error message;
* tracebacks and warnings on the console (count, first lines of each);
* lines on the console against lines in Dagster's log file;
* the retry queue in the desk's two views (needs a person, clears by itself) by flow and kind (read
  from the ledger), then what ``ml-connector ping``
  and ``ml-connector replay --dry-run`` print, run as from a second shell: with the home and ledger the
  operator exported, but no vault key and no port base, which they find from the running dev.

With ``--restart-after M`` it is the second day as well: after ``M`` minutes dev is stopped as a person
stops it (Ctrl-C) and started again with the same command on the same home and ledger (``--sandbox-ports
free`` picks a new port block, as it does for a person), for the rest of ``--minutes``. Runs, failures and
console tracebacks are then reported for each start apart.

Exits 1 when any run failed, any traceback reached the console, or a second-shell command failed. The
folder is removed unless ``--keep``. Wall figures depend on the machine's load (printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "ml-connector"
# Python's traceback, and Dagster's rendering of an error's frames in a failure record.
TRACEBACKS = ("Traceback (most recent call last)", "Stack Trace:")
# A Dagster record at WARNING, or a Python warning ("FooWarning: ..." as ``warnings`` prints it).
WARNING = re.compile(r" - WARNING - |\b[A-Z]\w*Warning: ")
LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries {
  locationOrLoadError { __typename } } } } }"""
RUNS = """{ runsOrError(limit: 5000) { __typename ... on Runs { results {
  runId jobName status tags { key value } } } } }"""
FAILURES = """query($id: ID!) { logsForRun(runId: $id, limit: 5000) { __typename ... on EventConnection {
  events { __typename ... on ExecutionStepFailureEvent { stepKey error { message cause { message } } }
  ... on RunFailureEvent { message } } } } }"""
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="minutes of sandbox activity (default 10)")
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox data volume (make dev's: 1)")
    parser.add_argument(
        "--activity-minutes", type=float, default=None, help="ML_SANDBOX_ACTIVITY_MINUTES (make dev's: 5)"
    )
    parser.add_argument(
        "--every",
        type=int,
        default=None,
        help="every schedule's cron (ML_*_CRON) made to fire every N minutes, staggered a minute apart, so "
        "each flow runs within the window (default: make dev's own, hourly or daily for most flows)",
    )
    parser.add_argument("--grace", type=int, default=180, help="seconds for runs in flight to end at the end")
    parser.add_argument("--keep", action="store_true", help="keep the temporary DAGSTER_HOME and ledger")
    parser.add_argument(
        "--restart-after",
        type=float,
        default=None,
        help="stop dev after this many minutes and start it again on the same home for the rest of --minutes",
    )
    args = parser.parse_args()
    if args.restart_after is not None and not 0 < args.restart_after < args.minutes:
        parser.error("--restart-after must be more than 0 and less than --minutes")
    # Started in the background, a script inherits SIGINT ignored: Ctrl-C or kill -INT / -TERM still stop
    # dev (the finally below) rather than leave it running.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))

    sys.path.insert(0, str(REPO / "tests"))  # the end-to-end tests' harness: a free port, a session stopped
    from dagster_server import free_port, stop_session

    folder = Path(tempfile.mkdtemp(prefix="first_day-"))
    port = free_port()
    env = _env(folder, args.activity_minutes)
    if args.every:
        env.update(_crons_every(args.every))
    command = [str(CLI), "dev", "--sandbox-ports", "free", "--port", str(port), "--scale", f"{args.scale:g}"]
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{now}; load {os.getloadavg()}; {os.cpu_count()} cores")
    print("command: " + " ".join(command[1:]) + f"  (DAGSTER_HOME={folder / 'home'})")
    if args.every:
        print(f"every schedule every {args.every} minutes (--every)")
    phases = (
        [args.minutes]
        if args.restart_after is None
        else [args.restart_after, args.minutes - args.restart_after]
    )
    graphql = f"http://127.0.0.1:{port}/graphql"
    started = time.monotonic()
    consoles: list[Path] = []
    run_ids_before: set[str] = set()
    for n, minutes in enumerate(phases):
        consoles.append(folder / ("console.log" if n == 0 else f"console-{n + 1}.log"))
        proc = _start_dev(command, env, consoles[-1])
        last = n == len(phases) - 1
        try:
            _wait_for_ui(proc, graphql, consoles[-1])
            what = "started" if n == 0 else "restarted on the same home"
            print(f"{what}; UI up after {time.monotonic() - started:.0f} s; running {minutes:g} minutes")
            _run_for(proc, graphql, minutes * 60)
            _let_runs_end(graphql, args.grace)
            if not last:
                run_ids_before = {run["runId"] for run in _runs(graphql)}
                continue
            runs = _runs(graphql)
            # Asked while the UI still answers: the report is printed after the shutdown.
            errors = {
                r["runId"]: _failure_messages(graphql, r["runId"]) for r in runs if r["status"] == "FAILURE"
            }
            queue = _queue_lines(folder / "l.db")
            # As from a second shell: no vault key, no port base; the CLI finds the running dev's itself.
            second_shell = {" ".join(c): _cli(c, env) for c in (["ping"], ["replay", "--dry-run"])}
        finally:
            stop_session(proc, grace=90)  # Ctrl-C as a person stops it; what outlives it is killed
    print(f"load at the end {os.getloadavg()}; wall {time.monotonic() - started:.0f} s")
    failed_runs: list[dict] = []
    if args.restart_after is None:
        failed_runs = _report_runs(runs, errors)
    else:
        print("\n== before the restart ==")
        failed_runs += _report_runs([r for r in runs if r["runId"] in run_ids_before], errors)
        print("\n== after the restart ==")
        failed_runs += _report_runs([r for r in runs if r["runId"] not in run_ids_before], errors)
    tracebacks = []
    for n, console in enumerate(consoles):
        if len(consoles) > 1:
            print(f"\n== console of start {n + 1} ==")
        tracebacks += _report_console(
            console.read_text(errors="replace"), folder / "home" / "dagster-dev.log"
        )
    print("\nretry queue (open items) by view, flow and kind:")
    print("\n".join(queue) or "  empty")
    shell_failed = False
    for name, (output, code) in second_shell.items():
        print(
            f"\nml-connector {name}"
            + (" (a second shell: no vault key, no port base)" if args.restart_after else "")
            + ":"
        )
        print(output + f"\n(exit {code})")
        shell_failed |= code != 0
    failed = bool(failed_runs or tracebacks or shell_failed)
    if args.keep:
        print(f"\nkept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(1 if failed else 0)


def _start_dev(command: list[str], env: dict[str, str], console: Path) -> subprocess.Popen:
    with console.open("w") as sink:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            start_new_session=True,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _env(folder: Path, activity_minutes: float | None) -> dict[str, str]:
    """This shell's environment less anything that would point dev at a configured system, a fixed port
    block or a vault key: a newcomer's, with the instance and ledger in ``folder``."""
    sys.path.insert(0, str(REPO))  # this checkout's settings, whatever the venv's editable install names
    from connector_resources.settings import SANDBOX_PORT_BASE_ENV, SYSTEMS
    from connector_resources.vault import KEY_ENV

    system_settings = {s.env for system in SYSTEMS.values() for s in system.settings}
    dropped = {SANDBOX_PORT_BASE_ENV, "ML_AUTOMATION_DEFAULT", KEY_ENV, "ML_SANDBOX_ACTIVITY_MINUTES"}
    env = {k: v for k, v in os.environ.items() if k not in dropped | system_settings}
    env.update(
        DAGSTER_HOME=str(folder / "home"),
        ML_CONNECTOR_DB_URL=f"sqlite:///{folder}/l.db",
        PYTHONPATH=str(REPO),  # this checkout's code, also in dev's subprocesses
    )
    if activity_minutes is not None:
        env["ML_SANDBOX_ACTIVITY_MINUTES"] = f"{activity_minutes:g}"
    return env


def _crons_every(minutes: int) -> dict[str, str]:
    """Every project and integration ``*_CRON`` setting (each SaaS system's poll too) at every ``minutes``
    minutes, the n-th starting at minute n mod ``minutes``, so the flows do not all start at once."""
    from connector_resources.settings import PROJECT_SETTINGS, SYSTEMS, integration_settings

    # Not a system's own (ML_JDE_POLL_CRON): one set reads as a configured JDE, and dev stops automation.
    declared = [*PROJECT_SETTINGS, *(s for group in integration_settings().values() for s in group)]
    names = [s.env for s in declared if s.env.endswith("_CRON") and "<" not in s.env]
    names += [f"ML_{key.upper()}_POLL_CRON" for key in SYSTEMS if key != "jde_ais"]
    return {name: f"{n % minutes}-59/{minutes} * * * *" for n, name in enumerate(sorted(names))}


def _post(graphql: str, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
    import requests

    return requests.post(graphql, json={"query": query, "variables": variables or {}}, timeout=timeout).json()


def _wait_for_ui(proc: subprocess.Popen, graphql: str, console: Path, limit: float = 600) -> None:
    import requests

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ml-connector dev exited early:\n{console.read_text()[-5000:]}")
        try:
            entries = _post(graphql, LOCATION, timeout=10)["data"]["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["locationOrLoadError"]:
                if entries[0]["locationOrLoadError"]["__typename"] != "RepositoryLocation":
                    raise SystemExit(f"the definitions did not load: {entries}")
                return
        except (requests.RequestException, KeyError, TypeError, ValueError):
            pass
        time.sleep(2)
    raise SystemExit(f"the Dagster UI did not come up within {limit:.0f} s")


def _run_for(proc: subprocess.Popen, graphql: str, seconds: float) -> None:
    """Wait ``seconds``, saying every minute how many runs there are by status."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(60, left))
        if proc.poll() is not None:
            raise SystemExit("ml-connector dev exited while running")
        statuses = Counter(run["status"] for run in _runs(graphql))
        load = os.getloadavg()[0]
        print(f"  {time.strftime('%H:%M:%S')} runs: {dict(statuses)}; load {load:.1f}", flush=True)


def _let_runs_end(graphql: str, grace: int) -> None:
    """Runs launched before the end get ``grace`` seconds to finish, so a run is not judged half done."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        going = [run for run in _runs(graphql) if run["status"] in IN_FLIGHT]
        if not going:
            return
        time.sleep(5)
    print(f"  {len(going)} run(s) still in flight after {grace} s")


def _runs(graphql: str) -> list[dict]:
    body = _post(graphql, RUNS)
    return body["data"]["runsOrError"]["results"]


def _queue_lines(ledger: Path) -> list[str]:
    """Open retry-queue items in the desk's two views ("needs a person", "clears by itself"), counted by flow
    and kind with an example each: ``replay --dry-run``'s listing (``queue_listing.summary_lines``, with
    the rule the desk and the day's check use), read here from the ledger file itself, beside what the
    second shell's dry run prints."""
    from datetime import timedelta

    from connector_assets.flows.written_check import held_alert_hours
    from connector_cli.queue_listing import Outlived, summary_lines
    from connector_resources.ledger import Ledger

    book = Ledger(f"sqlite:///{ledger}", migrate=False)
    items = book.open_items(limit=1_000_000)
    outlived = Outlived.read(book, items, after=timedelta(hours=held_alert_hours()))
    return [f"  {line}" for line in summary_lines(items, lambda _: True, outlived)]


def _cli(arguments: list[str], env: dict[str, str]) -> tuple[str, int]:
    """An ``ml-connector`` command run in the project folder: what it printed and its exit code."""
    done = subprocess.run(
        [str(CLI), *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return (done.stdout + done.stderr).rstrip(), done.returncode


def _report_runs(runs: list[dict], errors: dict[str, list[str]]) -> list[dict]:
    print(f"\nruns: {len(runs)}; by status: {dict(Counter(run['status'] for run in runs))}")
    by_job = Counter((run["jobName"], run["status"]) for run in runs)
    for (job, status), n in sorted(by_job.items()):
        print(f"  {n:4d}  {job} {status}")
    failed = [run for run in runs if run["status"] == "FAILURE"]
    for run in failed:
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        print(f"\nFAILED {run['jobName']} partition={tags.get('dagster/partition', '-')} run={run['runId']}")
        for line in errors.get(run["runId"], []):
            print(f"    {line}")
    return failed


def _failure_messages(graphql: str, run_id: str) -> list[str]:
    """Each failed step's own error (and its cause), else the run's failure message."""
    events = _post(graphql, FAILURES, {"id": run_id})["data"]["logsForRun"].get("events", [])
    lines = []
    for event in events:
        if event["__typename"] == "ExecutionStepFailureEvent":
            error = event["error"] or {}
            cause = (error.get("cause") or {}).get("message", "")
            lines.append(f"{event['stepKey']}: {error.get('message', '').strip()[:600]}")
            if cause:
                lines.append(f"  caused by: {cause.strip()[:600]}")
    if not lines:
        lines = [e["message"][:600] for e in events if e["__typename"] == "RunFailureEvent"]
    return lines


def _report_console(printed: str, dagster_log: Path) -> list[list[str]]:
    """Tracebacks and warnings on the console; its lines against the log file's. Returns the tracebacks."""
    lines = printed.splitlines()
    logged = dagster_log.read_text(errors="replace").splitlines() if dagster_log.exists() else []
    print(f"\nconsole: {len(lines)} lines; Dagster's log file ({dagster_log.name}): {len(logged)} lines")
    tracebacks = [_block(lines, n) for n, line in enumerate(lines) if line.startswith(TRACEBACKS)]
    warnings = [line for line in lines if WARNING.search(line)]
    print(f"tracebacks on the console: {len(tracebacks)}")
    for block in tracebacks:
        print("  ---\n  " + "\n  ".join(block))
    print(f"warnings on the console: {len(warnings)}")
    for line in warnings[:20]:
        print(f"  {line[:300]}")
    return tracebacks


def _block(lines: list[str], start: int) -> list[str]:
    """A traceback's record line before it, its first frame and its last line (the exception)."""
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    before = [lines[start - 1]] if start else []
    last = [lines[end]] if end < len(lines) else []
    return [*before, *lines[start : start + 3], "...", *last]


if __name__ == "__main__":
    main()
