"""Fit: what a preview of an integration's flows costs, beside the real run of the same flows and days.

Run by hand (not by pytest):

    .venv/bin/python bench/fit.py --integration jde_coupa --scale 1 --days 30
    .venv/bin/python bench/fit.py --integration jde_coupa --scale 1 --days 90

A preview of a real tenant's year must stay cheap: it streams (memory does not grow with the days) and
its API calls per record are no more than a real run's. So, against the integration's simulators (served
in a process of their own on a free block of sandbox ports, set up as ``make dev`` sets them up, seeded
anew each time), over the ``--days`` days ending ``--end`` (yesterday: the simulators' last day of
history), this runs:

1. the preview of every flow (``connector_assets.preview.runner.run_preview``) on a fresh ledger, first,
   so that it judges what a first backfill would do (a real run first would leave everything unchanged);
2. then the real run of the same flows and days (``run_flow``, each flow's own job over the range), on
   that same ledger, with the verdicts it ended in read the way the preview reads its own (``verdicts``).

Each phase runs in a process of its own, so its peak RSS is its own; the deployment's resources are the
definitions' own, from settings pointed at the simulators (tokens kept in the vault, as in production).
Reported per phase: wall seconds, records (one per source record and day, as fit.csv counts them) by
verdict, the calls each simulator received (from its ``/sandbox/state`` counters, by kind: login, read,
write), calls per record, peak RSS; then how many records the real run ended as the preview said. The
JSON report is printed, then a markdown table. Exits 1 when the preview sent a write or cost more calls
per record than the real run. The work folder is removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from backfill import command  # the sibling bench: the command line a report quotes

REPO = Path(__file__).resolve().parent.parent
PHASES = ("preview", "real")
CSV_COLUMNS = ("flow", "day", "source_key", "verdict", "target_id")
# A request the API documents as a read though it is not a GET (JD Edwards' data service query), and the
# paths of logins and tokens: everything else not a GET is a write (as tests/preview_proofs.py counts).
READ_POSTS = ("/v2/dataservice",)
LOGIN_PATHS = ("token", "login", "logout", "/oauth")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--integration", default="jde_coupa", help="the integration to preview and run")
    parser.add_argument("--flow", action="append", default=[], help="only this flow (repeatable)")
    parser.add_argument("--scale", type=float, default=1, help="data volume of the simulators")
    parser.add_argument("--days", type=int, default=30, help="days previewed and then run, ending --end")
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day (default: yesterday)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (fit.csv of both phases)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the simulators' process
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)  # one measured phase's process
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.end = args.end or datetime.now(UTC).date() - timedelta(days=1)
    if args.serve:
        serve(args)
    elif args.phase:
        measure(args)
    else:
        bench(args)


# -- the parent: simulators up, each phase in its own process, the report --------------------------------


def bench(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO))  # this checkout's code, whatever the venv's editable install names
    from connector_sandbox.registry import free_port_base

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # the finally still stops
    folder = Path(tempfile.mkdtemp(prefix="fit-bench-"))
    env = _env(folder, free_port_base())
    first = args.end - timedelta(days=args.days - 1)
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{now}; load {os.getloadavg()}; {os.cpu_count()} cores")
    print(f"{args.integration} at scale {args.scale:g}, {first} .. {args.end} ({args.days} days)", flush=True)
    simulators = subprocess.Popen(
        [sys.executable, __file__, *_shared(args), "--serve", "--folder", str(folder)],
        env=env,
        stdout=(folder / "simulators.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = time.monotonic()
        served = _wait_for(folder / "served.json", simulators, folder / "simulators.log")
        print(
            f"simulators {', '.join(served['systems'])} up in {time.monotonic() - started:.0f} s", flush=True
        )
        phases = {}
        for phase in PHASES:  # the preview first: a real run first would leave every record unchanged
            _forget_kept_tokens(env["ML_CONNECTOR_DB_URL"])
            phases[phase] = _phase(args, phase, folder, env)
            print(f"{phase}: {phases[phase]['seconds']} s, {phases[phase]['records']} records", flush=True)
    finally:
        simulators.terminate()
        simulators.wait(timeout=60)
    report = {
        "command": command(),
        "integration": args.integration,
        "scale": args.scale,
        "days": args.days,
        "first": first.isoformat(),
        "last": args.end.isoformat(),
        "seed": served["seed"],
        **phases,
        "as_previewed": _agreement(folder / "preview.csv", folder / "real.csv"),
        "load_at_the_end": os.getloadavg(),
    }
    print(json.dumps(report, indent=2))
    print()
    print(markdown(report))
    if args.keep:
        print(f"\nkept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    preview, real = report["preview"], report["real"]
    costly = any(
        preview["calls_per_record"].get(system, 0) > real["calls_per_record"].get(system, 0)
        for system in preview["calls_per_record"]
    )
    raise SystemExit(1 if costly or preview["writes_sent"] else 0)


def _shared(args: argparse.Namespace) -> list[str]:
    flows = [part for flow in args.flow for part in ("--flow", flow)]
    return ["--integration", args.integration, "--scale", f"{args.scale:g}", "--days", str(args.days), *flows]


def _env(folder: Path, port_base: int) -> dict[str, str]:
    """This shell's environment less anything naming a configured system or a vault key; the sandbox ports
    moved to a free block, the ledger, staging and Dagster home in ``folder``, a vault key of its own."""
    from cryptography.fernet import Fernet

    from connector_resources.settings import SANDBOX_PORT_BASE_ENV, SYSTEMS
    from connector_resources.vault import KEY_ENV

    system_settings = {s.env for system in SYSTEMS.values() for s in system.settings}
    dropped = {"ML_AUTOMATION_DEFAULT", "ML_INTEGRATIONS", "ML_SANDBOX_ACTIVITY_MINUTES"} | system_settings
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        {
            SANDBOX_PORT_BASE_ENV: str(port_base),
            KEY_ENV: Fernet.generate_key().decode(),  # tokens kept across steps: one login per system
            "DAGSTER_HOME": str(folder / "home"),
            "ML_CONNECTOR_DB_URL": f"sqlite:///{folder / 'ledger.sqlite'}",
            "ML_STAGING_URL": str(folder / "staging"),
            "PYTHONPATH": str(REPO),
        }
    )
    (folder / "home").mkdir()
    return env


def _wait_for(path: Path, proc: subprocess.Popen, log: Path, seconds: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if proc.poll() is not None:
            raise SystemExit(f"the simulators' process exited:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    raise SystemExit(f"the simulators were not up within {seconds:.0f} s")


def _forget_kept_tokens(ledger_url: str) -> None:
    """Remove the tokens (BILL: sessions) the previous phase kept in the vault, so each phase logs in as a
    first run does (else the preview's logins would be counted and the real run's not)."""
    import sqlalchemy as sa

    from connector_resources.ledger import Ledger, schema

    ledger = Ledger(ledger_url)
    try:
        with ledger.engine.begin() as conn:
            kept = sa.or_(schema.secret.c.name.like("%/token/%"), schema.secret.c.name.like("%/session/%"))
            conn.execute(sa.delete(schema.secret).where(kept))
    finally:
        ledger.dispose()


def _phase(args: argparse.Namespace, phase: str, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """One phase in a process of its own (its peak RSS its own); its report, written to ``folder``."""
    log = folder / f"{phase}.log"
    with log.open("w") as sink:
        done = subprocess.run(
            [sys.executable, __file__, *_shared(args), "--end", args.end.isoformat(), "--phase", phase]
            + ["--folder", str(folder)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    result = folder / f"{phase}.json"
    if done.returncode or not result.exists():
        raise SystemExit(f"the {phase} phase failed (exit {done.returncode}):\n{log.read_text()[-5000:]}")
    return json.loads(result.read_text())


def _agreement(preview: Path, real: Path) -> dict[str, Any]:
    """How many records the real run ended with the verdict the preview gave them (an adoption: of the same
    target record), and the differing ones counted by (previewed, real)."""
    real_rows = {(r["flow"], r["day"], r["source_key"]): r for r in _read_csv(real)}
    same, differing = 0, Counter()
    for row in _read_csv(preview):
        ran = real_rows.get((row["flow"], row["day"], row["source_key"]))
        verdict = ran["verdict"] if ran else "(none)"
        if verdict == row["verdict"] and (row["verdict"] != "adopt" or row["target_id"] == ran["target_id"]):
            same += 1
        else:
            differing[f"{row['flow']}: previewed {row['verdict']}, ran {verdict}"] += 1
    return {"same": same, "differing": dict(differing.most_common(10))}


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="") as rows:
        yield from csv.DictReader(rows)


# -- the simulators' process ----------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """The simulators the integration reaches, at ``--scale``, set up as ``make dev`` sets them up (each
    integration package whose systems are all served runs its set-up: the Coupa suppliers numbered from
    JDE's, as a real Coupa's are), until SIGTERM; ``served.json`` says they are up."""
    from connector_assets.deployment import Deployment, integration_components
    from connector_assets.flows.sandbox_setup import integration_sandboxes
    from connector_sandbox.registry import start

    keys = sorted(_sandbox_keys(_deployment(args.integration).systems))
    running = start(keys, scale=args.scale)
    try:
        ledger_url = os.environ["ML_CONNECTOR_DB_URL"]
        for component in integration_components():
            if _sandbox_keys(Deployment((component,)).systems) <= set(keys):
                for sandbox in integration_sandboxes([component.package]):
                    sandbox.set_up(running, ledger_url)
        seed = {
            r.spec.key: requests.get(f"{r.spec.root()}/sandbox/state", timeout=60).json() for r in running
        }
        served = {"systems": keys, "seed": {key: state.get("row_counts") for key, state in seed.items()}}
        (args.folder / "served.tmp").write_text(json.dumps(served))
        (args.folder / "served.tmp").rename(args.folder / "served.json")
        stopped: list[int] = []
        signal.signal(signal.SIGTERM, lambda signum, _: stopped.append(signum))
        while not stopped:
            time.sleep(0.5)
    finally:
        for sandbox in running:
            sandbox.stop()


def _deployment(integration: str) -> Any:
    """The deployment running ``integration`` alone (``connector_assets.deployment.Deployment``)."""
    from connector_assets.deployment import Deployment

    return Deployment.of([integration])


def _sandbox_keys(systems: Iterable[str]) -> set[str]:
    """The simulators (``connector_sandbox.registry`` keys) serving the flows' systems (``JDE``...)."""
    from connector_resources.flow_pings import ping_name

    return {ping_name(system) for system in systems}


# -- one measured phase, in its own process ------------------------------------------------------------


def measure(args: argparse.Namespace) -> None:
    """The preview or the real run of the flows over the days; its report in ``<folder>/<phase>.json``, its
    records in ``<folder>/<phase>.csv`` (streamed: nothing held per record)."""
    defs = _deployment(args.integration).definitions
    meter = Meter(sorted(_sandbox_keys(_systems(args))))
    first = args.end - timedelta(days=args.days - 1)
    loaded_rss = _peak_rss_mb()
    verdicts: Counter[str] = Counter()
    flows: dict[str, dict[str, Any]] = {}
    started, before = time.monotonic(), meter.read()
    with (args.folder / f"{args.phase}.csv").open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(CSV_COLUMNS)
        run = _preview if args.phase == "preview" else _real
        mark, counted = before, Counter()
        for item in run(defs, args, first, args.folder):
            if isinstance(item, FlowEnd):  # the flow's calls: those since the previous flow ended
                now = meter.read()
                calls = {system: sum(c.values()) for system, c in meter.grown(mark, now).items()}
                flows[item.name] = {
                    "records": sum(counted.values()),
                    "verdicts": dict(counted),
                    "calls": calls,
                }
                verdicts += counted
                mark, counted = now, Counter()
                continue
            rows.writerow((item.flow, item.day, item.source_key, item.verdict, item.target_id))
            counted[item.verdict] += 1
    seconds = time.monotonic() - started
    grown = meter.grown(before, meter.read())
    records = sum(verdicts.values())
    kinds = {system: _kinds(calls) for system, calls in grown.items()}
    report = {
        "seconds": round(seconds, 1),
        "records": records,
        "verdicts": dict(verdicts.most_common()),
        "calls": {system: sum(c.values()) for system, c in grown.items()},
        "calls_by_kind": kinds,
        "calls_per_record": {s: round(sum(c.values()) / max(records, 1), 3) for s, c in grown.items()},
        "writes_sent": sum(k["write"] for k in kinds.values()),
        "calls_by_endpoint": {system: dict(Counter(c).most_common(8)) for system, c in grown.items()},
        "flows": flows,
        "rss_after_load_mb": loaded_rss,
        "peak_rss_mb": _peak_rss_mb(),
    }
    (args.folder / f"{args.phase}.json").write_text(json.dumps(report, indent=2))


def _systems(args: argparse.Namespace) -> set[str]:
    return set(_deployment(args.integration).systems)


@dataclass(frozen=True)
class FlowEnd:
    """A flow's records are all given: the calls since the previous one ended are its own."""

    name: str


def _preview(defs: Any, args: argparse.Namespace, first: date, folder: Path) -> Iterator[Any]:
    """The preview's rows as ``run_preview`` yields them, each flow's once its run ends, then the flow; the
    next flow's run starts only when asked, so the calls between two flows' ends are the first's."""
    from connector_assets.preview.runner import FlowPreview, run_preview
    from connector_resources.ledger import Ledger

    ledger = Ledger(os.environ["ML_CONNECTOR_DB_URL"])
    specs = _deployment(args.integration).specs
    for item in run_preview(
        defs, args.integration, first, args.end, folder / "fit", specs=specs, flows=args.flow, ledger=ledger
    ):
        if not isinstance(item, FlowPreview):
            yield item
        elif not item.success:
            raise SystemExit(f"the preview of {item.spec.flow} failed: {item.error}")
        else:
            yield FlowEnd(item.spec.name)


def _real(defs: Any, args: argparse.Namespace, first: date, folder: Path) -> Iterator[Any]:
    """Each flow's own job over the days, writing, on the deployment's ledger and resources; its records'
    verdicts read from what the run recorded, as the preview reads its own (``runner.verdicts``)."""
    import sqlalchemy as sa
    from dagster import DagsterInstance

    from connector_assets.preview.runner import flow_days, integration_flows, run_flow, verdicts
    from connector_assets.preview.scratch import ScratchLedger
    from connector_resources.ledger import Ledger, schema

    url = os.environ["ML_CONNECTOR_DB_URL"]
    ledger = Ledger(url)
    resources = dict(defs.resources)
    specs = _deployment(args.integration).specs
    with DagsterInstance.ephemeral() as instance:
        for spec in integration_flows(args.integration, args.flow, specs=specs):
            days = flow_days(defs, spec, first, args.end)
            if not days:
                continue
            with ledger.engine.connect() as conn:
                after = conn.execute(sa.select(sa.func.max(schema.audit_event.c.id))).scalar() or 0
            result = run_flow(defs, spec, days, resources, instance, specs=specs)
            if not result.success:
                raise SystemExit(f"the real run of {spec.flow} failed")
            recorded = ScratchLedger(url, ledger, after, datetime.now(UTC))
            yield from verdicts(spec, days, recorded, resources["staging"], {})
            yield FlowEnd(spec.name)


class Meter:
    """The simulators' own counts of the calls they received (``/sandbox/state`` "calls", by endpoint), the
    operator routes left out."""

    def __init__(self, keys: list[str]) -> None:
        from connector_sandbox.registry import SANDBOXES

        self.states = {key: f"{SANDBOXES[key].root()}/sandbox/state" for key in keys}

    def read(self) -> dict[str, dict[str, int]]:
        return {
            key: requests.get(url, timeout=60).json().get("calls") or {} for key, url in self.states.items()
        }

    @staticmethod
    def grown(
        before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
    ) -> dict[str, dict[str, int]]:
        return {
            key: {
                call: n - before[key].get(call, 0)
                for call, n in calls.items()
                if n - before[key].get(call, 0) and "/sandbox" not in call
            }
            for key, calls in after.items()
        }


def _kinds(calls: dict[str, int]) -> dict[str, int]:
    """Calls (``"METHOD /path"`` -> count) as logins, reads and writes."""
    kinds = Counter({"login": 0, "read": 0, "write": 0})
    for call, n in calls.items():
        method, _, path = call.partition(" ")
        if any(part in path for part in LOGIN_PATHS):
            kinds["login"] += n
        elif method in ("GET", "HEAD", "OPTIONS") or any(part in path for part in READ_POSTS):
            kinds["read"] += n
        else:
            kinds["write"] += n
    return dict(kinds)


def _peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# -- the table ------------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    """Preview against real run: seconds, records, calls per record by system, peak RSS; per flow too."""
    preview, real = report["preview"], report["real"]
    systems = sorted(set(preview["calls"]) | set(real["calls"]))
    head = ["", "seconds", "records", *(f"{s} calls (login/read/write)" for s in systems)]
    head += [*(f"{s} calls per record" for s in systems), "peak RSS (MB)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, phase in (("preview", preview), ("real run", real)):
        kinds = [phase["calls_by_kind"].get(s, {}) for s in systems]
        calls = [
            f"{phase['calls'].get(s, 0)} ({k.get('login', 0)}/{k.get('read', 0)}/{k.get('write', 0)})"
            for s, k in zip(systems, kinds, strict=True)
        ]
        per = [str(phase["calls_per_record"].get(s, 0)) for s in systems]
        cells = [name, str(phase["seconds"]), str(phase["records"]), *calls, *per, str(phase["peak_rss_mb"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| flow | records | preview verdicts | preview calls | real calls | real outcomes |",
        "|---|---|---|---|---|---|",
    ]
    for flow, seen in preview["flows"].items():
        ran = real["flows"].get(flow, {})
        lines.append(
            f"| {flow} | {seen['records']} | {_counts(seen['verdicts'])} | {_counts(seen['calls'])} | "
            f"{_counts(ran.get('calls', {}))} | {_counts(ran.get('verdicts', {}))} |"
        )
    agreed = report["as_previewed"]
    lines += ["", f"Real run as previewed: {agreed['same']} of {preview['records']} records."]
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


if __name__ == "__main__":
    main()
