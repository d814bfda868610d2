"""Benchmark harness: backfill N days through one integration's flows against its simulators.

Run by hand (not by pytest), one profile per integration (``bench/backfill_profiles/<name>.py``):

    .venv/bin/python bench/backfill.py --profile jde_coupa --scale 1 --days 30 --latency-ms 20
    .venv/bin/python bench/backfill.py --profile jde_bill --scale 1 --days 30 --latency-ms 100
    .venv/bin/python bench/backfill.py --profile procore_jde --scale 1 --days 20 --procore-latency-ms 100
    .venv/bin/python bench/backfill.py --profile jde_procurify --scale 1 --days 30 \
        --procurify-latency-ms 100 --jde-latency-ms 100
    .venv/bin/python bench/backfill.py --profile fusion_procurify --scale 1 --days 30 \
        --fusion-latency-ms 100 --procurify-latency-ms 100

``--profile NAME --help`` lists that profile's own options and says what it measures. What every profile
shares is here: the simulators started in their own processes on free ports (JDE from a copy of the day's
seeded database, kept in ``bench/.data``), the run's JSON report and the profile's markdown table printed
last, and the measuring helpers (flows found in an integration's Definitions, step windows, CPU per record
through ``bench/flow_cpu.py``), and a vault key as deployed (``keep_sessions_as_deployed``: one JDE AIS
session per token lifetime; JDE logins and logouts are counted apart from the JDE calls in every figure,
``jde_counts``). A profile says which simulators it needs, its command-line options and
defaults, and runs its phases (``run``); it replaced the per-integration ``bench/<profile>_backfill.py``
scripts, whose options and figures it keeps.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import requests

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

# One profile per module of backfill_profiles/, named as its integration: adding one is adding its file.
PROFILES = tuple(sorted(path.stem for path in (BENCH / "backfill_profiles").glob("*.py")))


# -- profiles and their simulators -------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulator:
    """One simulator a profile runs: ``python -m <module> --port P --scale S`` in its own process.

    ``ready``: the path that answers once it is seeded. ``db``: ``"jde-seed"`` serves a copy of the day's
    seeded JDE database, ``"file"`` a new SQLite file in the run's work folder the profile can read
    (``Sandboxes.db``), None the simulator's own default."""

    name: str
    module: str
    ready: str = "/sandbox/state"
    db: str | None = None


JDE = Simulator("jde", "connector_sandbox.jde_ais", ready="/jderest/defaultconfig", db="jde-seed")


@dataclass(frozen=True)
class Profile:
    """An integration's backfill bench: its simulators, its own options (``--scale`` and ``--days`` are
    everyone's), what it runs and measures (``run`` returns the report) and its README table. Its name and
    doc are its module's (``load``)."""

    simulators: tuple[Simulator, ...]
    run: Callable[[argparse.Namespace, Sandboxes], dict[str, Any]]
    options: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    markdown: Callable[[dict[str, Any]], str] | None = None
    name: str = ""
    doc: str = ""


@dataclass
class Sandboxes:
    """The running simulators of one bench run: their root URLs and database files by name."""

    workdir: Path
    urls: dict[str, str] = field(default_factory=dict)
    dbs: dict[str, Path] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.urls[name]

    def db(self, name: str) -> Path:
        return self.dbs[name]


@contextmanager
def started(simulators: tuple[Simulator, ...], scale: float) -> Iterator[Sandboxes]:
    """Start ``simulators`` on free ports, wait until each answers, stop them all afterwards."""
    data = BENCH / ".data"
    data.mkdir(exist_ok=True)
    workdir = tempfile.TemporaryDirectory()
    sandboxes = Sandboxes(Path(workdir.name))
    procs: list[tuple[Simulator, subprocess.Popen, str]] = []
    try:
        for sim in simulators:
            port = _port()
            extra: list[str] = []
            if sim.db == "jde-seed":
                sandboxes.dbs[sim.name] = _fresh_jde_database(data, scale, sandboxes.workdir)
            elif sim.db == "file":
                sandboxes.dbs[sim.name] = sandboxes.workdir / f"{sim.name}.sqlite"
            if sim.name in sandboxes.dbs:
                extra = ["--db-path", str(sandboxes.dbs[sim.name])]
            procs.append((sim, _serve(sim.module, port, scale, extra), f"http://127.0.0.1:{port}"))
        for sim, proc, root in procs:
            _wait(f"{root}{sim.ready}", proc)
            sandboxes.urls[sim.name] = root
        yield sandboxes
    finally:
        for _, proc, _ in procs:
            proc.terminate()
            proc.wait(timeout=30)
        workdir.cleanup()


def load(name: str) -> Profile:
    """The ``PROFILE`` of ``backfill_profiles/<name>.py``, named after that module and described by its
    docstring."""
    module = importlib.import_module(f"backfill_profiles.{name}")
    return dataclasses.replace(module.PROFILE, name=name, doc=module.__doc__ or "")


def main(argv: list[str] | None = None) -> None:
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--profile", choices=PROFILES)
    known, _ = first.parse_known_args(argv)
    profile = load(known.profile) if known.profile else None
    args = arguments(profile).parse_args(argv)  # without a profile: its help, or the error naming them
    assert profile is not None
    report = run_profile(profile, args)
    print(json.dumps(report, indent=2, default=str))
    if profile.markdown is not None:
        print()
        print(profile.markdown(report))


def arguments(profile: Profile | None) -> argparse.ArgumentParser:
    """The command line of ``profile`` (every profile's ``--profile``, ``--scale`` and ``--days``, then its
    own options); without one, the parser whose help names the profiles."""
    parser = argparse.ArgumentParser(
        description=(profile.doc if profile else __doc__).splitlines()[0],
        epilog=profile.doc if profile else __doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", choices=PROFILES, required=True, help="the integration to run")
    parser.add_argument("--scale", type=float, default=1, help="data volume of both simulators")
    parser.add_argument("--days", type=int, default=30, help="days before today to backfill")
    if profile is not None:
        profile.options(parser)
    return parser


def run_profile(profile: Profile, args: argparse.Namespace) -> dict[str, Any]:
    """``profile`` run with ``args`` on its simulators, started for it and stopped after: its report."""
    with started(profile.simulators, args.scale) as sandboxes:
        keep_sessions_as_deployed(sandboxes.workdir)
        report = profile.run(args, sandboxes)
        from connector_resources.token_store import release_process_tokens

        release_process_tokens()  # the process's exit logouts, while the simulators still answer
    return report


def keep_sessions_as_deployed(workdir: Path) -> None:
    """A vault key, as a deployment sets one (``deploy/k8s/secrets.example.yaml``), with the vault in a ledger
    of this run's own (``workdir``): the JDE AIS session, BILL's session and the OAuth tokens are kept there
    for the whole run, one login per token lifetime, as a customer's runs keep them. The key is new each run
    and never leaves this process."""
    from cryptography.fernet import Fernet

    os.environ["ML_CONNECTOR_VAULT_KEY"] = Fernet.generate_key().decode()
    os.environ["ML_CONNECTOR_DB_URL"] = f"sqlite:///{workdir / 'vault-ledger.sqlite'}"


def command() -> str:
    """The command line that ran this bench, as its report quotes it."""
    return " ".join([os.path.relpath(sys.executable), *sys.argv])


def peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# -- simulators --------------------------------------------------------------------------------------------


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jde_sandbox_resource(jde_url: str, **fields: Any) -> Any:
    """The JDE AIS resource on the JDE simulator (its seeded integration user), as every bench logs in;
    ``fields`` set more of it (``page_size``, 2,000 unless told, ``device_name``...)."""
    from connector_resources.jde import JdeAisResource

    login = {"username": "INTEGR8", "password": "integr8-sandbox", "environment": "JPS920", "role": "*ALL"}
    return JdeAisResource(base_url=jde_url, **login, **{"page_size": 2000, **fields})


def _serve(module: str, port: int, scale: float, extra: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), "--scale", str(scale), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(url: str, proc: subprocess.Popen, seconds: float = 600) -> None:
    """Until ``url`` answers (a simulator started by ``_serve`` is up); exits if ``proc`` dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if proc.poll() is not None:
                raise SystemExit(f"{url}: simulator exited") from None
            time.sleep(0.5)
    raise SystemExit(f"{url}: not up in {seconds:g} s")


def stop(proc: subprocess.Popen, seconds: float = 30) -> None:
    """End a simulator ``_serve`` started, and wait for it."""
    proc.terminate()
    proc.wait(timeout=seconds)


@contextmanager
def served(
    module: str, scale: float, extra: Iterable[str] = (), ready: str = "/sandbox/state"
) -> Iterator[str]:
    """One simulator in a process of its own on a free port, up (``ready`` answers) until the block ends:
    its base URL. A bench that measures one system serves it so; ``run`` serves several at once."""
    port = _port()
    proc = _serve(module, port, scale, list(extra))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + ready, proc)
        yield url
    finally:
        stop(proc)


def print_report(report: dict[str, Any], markdown: Callable[[dict[str, Any]], str]) -> None:
    """A bench's answer: the report as JSON, then as markdown for the README."""
    print(json.dumps(report, indent=2))
    print()
    print(markdown(report))


def _fresh_jde_database(data: Path, scale: float, workdir: Path) -> Path:
    """A copy of today's seeded JDE database, so every run starts from the same data.

    Seeding scale 1 takes about a minute, so the seeded file is kept in ``bench/.data`` (one per scale and
    day: the seed's dates follow its day). The run writes into a copy: the sandbox keeps what a run writes,
    and a run starting from the previous run's vouchers and payments would measure adoptions instead.
    """
    seed = data / f"jde-{scale:g}-{date.today().isoformat()}.seed.sqlite"
    if not seed.exists():
        for old in data.glob(f"jde-{scale:g}-*.seed.sqlite*"):
            old.unlink()
        port = _port()
        proc = _serve("connector_sandbox.jde_ais", port, scale, ["--db-path", str(seed)])
        try:
            _wait(f"http://127.0.0.1:{port}/jderest/defaultconfig", proc)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    copy = workdir / "jde.sqlite"
    for suffix in ("", "-wal", "-shm"):  # the write-ahead log holds what was not checkpointed yet
        if Path(f"{seed}{suffix}").exists():
            shutil.copyfile(f"{seed}{suffix}", f"{copy}{suffix}")
    return copy


# -- measuring ---------------------------------------------------------------------------------------------


def _reason_kind(reason: str) -> str:
    """The reason without the record's own numbers, so refusals of one kind count together."""
    import re

    return re.sub(r"\d+", "#", reason)[:90]


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """Each step's seconds, succeeded steps only."""
    windows = _step_windows(instance, run_id, ends=("STEP_SUCCESS",))
    return {key: end - start for key, (start, end) in windows.items()}


def _latency(root: str, ms: int) -> None:
    requests.post(f"{root}/sandbox/faults", json={"latency_ms": ms}, timeout=10).raise_for_status()


def _step_windows(
    instance: Any, run_id: str, ends: tuple[str, ...] = ("STEP_SUCCESS", "STEP_FAILURE")
) -> dict[str, tuple[float, float]]:
    """Each step's (start, end) in Unix seconds, failed steps included unless ``ends`` leaves them out."""
    started: dict[str, float] = {}
    windows: dict[str, tuple[float, float]] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ends and event.step_key in started:
            windows[event.step_key] = (started[event.step_key], record.timestamp)
    return windows


def _failure_text(event: Any) -> str:
    """A failed step and why: its error's message and cause (Dagster wraps the step's own exception)."""
    error = getattr(event.event_specific_data, "error", None)
    said = error.message if error is not None else event.message or ""
    cause = getattr(error, "cause", None)
    if cause is not None:
        said += " " + cause.message
    return f"{event.step_key}: {' '.join(said.split())}"[:500]


class SandboxMeter:
    """The simulators' own counters (``/sandbox/state``), read together by name (``read``); a profile's
    subclass says what the difference of two readings means (``delta``)."""

    def __init__(self, **roots: str) -> None:
        self.states = {name: f"{root.removesuffix('/jderest')}/sandbox/state" for name, root in roots.items()}

    def read(self) -> dict[str, Any]:
        return {name: requests.get(url, timeout=60).json() for name, url in self.states.items()}

    @staticmethod
    def grown(
        before: dict[str, Any], after: dict[str, Any], system: str, counter: str = "calls"
    ) -> dict[str, int]:
        """How much each of one simulator's counters (``calls``, ``answers``, ``statuses``...) grew between
        two readings of ``read``."""
        return counter_delta(before[system].get(counter) or {}, after[system].get(counter) or {})

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        """What the difference of two readings means: the profile's subclass says."""
        raise NotImplementedError

    def measure(self, run: Callable[[], Any]) -> tuple[Any, float, float, dict[str, Any]]:
        """``run()`` measured: its result, wall seconds, CPU seconds of this process, and the simulators'
        counters over it (``delta``)."""
        before = self.read()
        cpu, started = _cpu_seconds(), time.monotonic()
        result = run()
        seconds, cpu = time.monotonic() - started, _cpu_seconds() - cpu
        return result, seconds, cpu, self.delta(before, self.read())


def replay_due(
    meter: SandboxMeter, ledger: Any, resources: dict[str, Any], flows: Iterable[Any]
) -> tuple[list[Any], Any, float, dict[str, Any]]:
    """The replay of what the ledger holds due (held records released, failures due again), each read from
    its source again and written once through the flows' own replay handlers on the bench's simulators
    (``flows``: the flows whose ``Replay`` the handlers are built from, on the bench's resources): the
    items due, the replay's summary, its seconds, and the simulators' counters over it."""
    from connector_assets.flows import replay_resources
    from connector_assets.flows.replays import build_replays
    from connector_resources.replay import replay_items

    own = {key: value for key, value in resources.items() if key != "ledger"}
    replay_resources.settings_resources = lambda: dict(own)
    replays = build_replays(flows, lambda: dict(own))
    due = ledger.due(limit=100_000)
    summary, seconds, _cpu, counters = meter.measure(lambda: replay_items(ledger, due, replays))
    return due, summary, seconds, counters


def counter_delta(before: dict, after: dict) -> dict[str, int]:
    """How much each counter of a ``/sandbox/state`` reading grew between two readings (the grown ones)."""
    return {k: v - before.get(k, 0) for k, v in after.items() if isinstance(v, int) and v - before.get(k, 0)}


def busiest(counts: dict[str, int], most: int) -> dict[str, int]:
    """The ``most`` largest counts, largest first: the endpoints a report lists."""
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:most])


def jde_counts(jde_calls: dict[str, int]) -> dict[str, int]:
    """A JDE simulator's grown call counters as every figure reports them: AIS logins (``.../tokenrequest``)
    and logouts apart from the calls that do the work (``jde_calls``), so calls per record do not count
    sessions."""
    logins = sum(v for k, v in jde_calls.items() if k.endswith("/tokenrequest"))
    logouts = sum(v for k, v in jde_calls.items() if k.endswith("/tokenrequest/logout"))
    work = sum(jde_calls.values()) - logins - logouts
    return {"jde_calls": work, "jde_logins": logins, "jde_logouts": logouts}


@dataclass
class CallLog:
    """Every HTTP call our process makes but AIS logins and logouts (counted apart, ``jde_counts``): (system,
    start time), so calls can be put on the run's steps (``calls_on_steps``). A profile that also wants its
    client's pacing waits extends ``install``."""

    calls: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        """Wrap ``HttpClient.request`` (this process, this bench only)."""
        from connector_resources.http.client import HttpClient

        request = HttpClient.request
        log = self

        def counted_request(client: Any, method: str, path_or_url: str, *args: Any, **kwargs: Any) -> Any:
            if "/tokenrequest" not in f"/{path_or_url}":
                with log.lock:
                    log.calls.append((client.system, time.time()))
            return request(client, method, path_or_url, *args, **kwargs)

        HttpClient.request = counted_request  # type: ignore[method-assign]


def stage_lookups(
    materialize: Callable[[list[Any]], Any], lookups: list[Any], report: dict[str, Any]
) -> None:
    """Stage what the flows map with, once, before the measured phases (``materialize`` runs assets on the
    profile's resources and instance); the report names them."""
    if lookups:
        looked = materialize(lookups)
        assert looked.success, f"staging the lookups failed: {_failures(looked)}"
    report["lookups"] = [a.key.to_user_string() for a in lookups]


def catch_up_lines(catch: dict[str, Any], systems: dict[str, str], also: str = "") -> list[str]:
    """The README line of a catch-up phase (the replay of what the backfill released), with each system's
    calls (``systems``: key prefix -> name) and ``also`` after them; nothing when there was no catch-up."""
    if "replayed" not in catch:
        return []
    calls = " / ".join(f"{catch[f'{key}_calls']} {name}" for key, name in systems.items())
    return [
        "",
        f"Catch-up (replay of what the backfill released): {catch['due_after_the_backfill']} due, "
        f"{catch['replayed']} written ({catch['replayed_by_flow']}), {catch['failed_again']} failed "
        f"again, {catch['held_again']} held again, in {catch['seconds']} s; {calls} calls{also}.",
    ]


def latency_options(parser: argparse.ArgumentParser, **systems: str) -> None:
    """One ``--<system>-latency-ms`` option per simulator (keyword: the system, value: its name in the help),
    each 100 ms unless told."""
    for system, name in systems.items():
        parser.add_argument(
            f"--{system}-latency-ms", type=int, default=100, help=f"{name}'s answer time per call"
        )


def calls_on_steps(
    windows: dict[str, tuple[float, float]], calls: list[tuple[str, float]]
) -> dict[str, Counter]:
    """Calls (system, start time) counted by system on the step that ran when each started (the in-process
    executor runs one step at a time); steps without calls are left out."""
    ordered = sorted(windows.items(), key=lambda kv: kv[1][0])
    counted: dict[str, Counter] = defaultdict(Counter)
    for system, moment in calls:
        for key, (begin, end) in ordered:
            if begin <= moment <= end:
                counted[key][system] += 1
                break
    return counted


def cpu_table(cpu: dict[str, Any], prefix: str = "", always: bool = False) -> list[str]:
    """The README table of our CPU per record by flow (``bench/flow_cpu.py``'s figures, flow names without
    ``prefix``), after a blank line; nothing when no flow has figures, unless ``always``."""
    rows = [
        f"| {flow.removeprefix(prefix)} | {c['records']} | {c['map']} | {c['validate']} | {c['ledger']} | "
        f"**{c['map+validate+ledger']}** | {c['stage']} |"
        for flow, c in cpu.items()
        if isinstance(c, dict) and "records" in c
    ]
    if not rows and not always:
        return []
    head = (
        "| our CPU per record, apart from API wait (us) | records | map | validate | ledger | "
        "**map + validate + ledger** | staging JSON |"
    )
    return ["", head, "|---|---|---|---|---|---|---|", *rows]


def queue_table(queued: dict[str, int]) -> list[str]:
    """The README table of what is left in the retry queue by reason, after a blank line (none if empty)."""
    if not queued:
        return []
    rows = [f"| {reason.replace('|', '/')} | {n} |" for reason, n in queued.items()]
    return ["", "| left in the retry queue (flow status: reason) | records |", "|---|---|", *rows]


# -- an integration's flows, found in its Definitions ------------------------------------------------------


@dataclass
class Found:
    """The jde_bill Definitions as the bench runs them: its flows by direction, the unpartitioned lookups
    they map with, its reconciliation assets (those reading a flow's target asset) and every asset they
    stand on (the integration's own, JDE's tables, the SaaS feeds)."""

    flows: list[Any]
    lookups: list[Any]
    reconcile: list[Any]
    bill_feeds: list[Any]  # BILL's change feeds, which reconciliation reads staged
    graph: dict[Any, Any]  # asset key -> AssetsDefinition
    own: list[Any]

    # The SaaS the outbound flows write to (the others are inbound); a profile with no second day of inbound
    # work (nothing happens between its backfill and the CPU phase) says so, and ``inbound`` is empty.
    saas: ClassVar[str] = "bill"
    second_inbound_day: ClassVar[bool] = True

    @property
    def outbound(self) -> list[Any]:
        return [s for s in self.flows if s.target_system.lower() == self.saas]

    @property
    def inbound(self) -> list[Any]:
        if not self.second_inbound_day:
            return []
        return [s for s in self.flows if s.target_system.lower() != self.saas]

    def run_assets(self, specs: list[Any]) -> list[Any]:
        """The partitioned assets that run ``specs``: their steps, what those read, and the integration's
        steps after them (e.g. acknowledging webhook deliveries), reconciliation apart."""

        wanted: set[Any] = set()

        def take(key: Any) -> None:
            asset = self.graph.get(key)
            if asset is None or asset.partitions_def is None or key in wanted:
                return
            wanted.add(key)
            for dep in _deps(asset):
                take(dep)

        for spec in specs:
            for step in ("mapped", "written"):
                take(spec.key(step))
        after = [a for a in self.own if a not in self.reconcile and a.partitions_def is not None]
        grown = True
        while grown:
            grown = False
            for asset in after:
                if asset.key not in wanted and _deps(asset) & wanted:
                    wanted.add(asset.key)
                    grown = True
        return [a for k, a in self.graph.items() if k in wanted]


@functools.cache
def flow_specs() -> dict[str, Any]:
    """Every integration's flows by ``FlowSpec.flow``, from the loaded components (``Deployment.specs`` of
    them all): a profile benches one integration whatever ``ML_INTEGRATIONS`` says."""
    from connector_assets.deployment import Deployment, integration_components

    return Deployment(integration_components()).specs


def written_flow(key: Any) -> Any | None:
    """The ``FlowSpec`` whose write step ``key`` is (``FlowSpec.key("written")``), None for another asset:
    how a report names the flow of a written materialization without reading the key's text."""
    return next((spec for spec in flow_specs().values() if spec.key("written") == key), None)


def written_totals(result: Any) -> dict[Any, dict[str, int]]:
    """Each flow's write-step figures in a run (``FlowSpec`` -> counts), summed over its days: a run over a
    range logs one materialization per day written, each with that day's own counts."""
    totals: dict[Any, dict[str, int]] = {}
    for event in result.get_asset_materialization_events():
        spec = written_flow(event.asset_key)
        if spec is None:
            continue
        counts = totals.setdefault(spec, {})
        for name, value in event.materialization.metadata.items():
            if isinstance(value.value, int) and not isinstance(value.value, bool):
                counts[name] = counts.get(name, 0) + value.value
    return totals


def flow_steps(flow: str) -> tuple[str, str]:
    """The step keys of flow ``flow``'s mapped and written assets in a run's event log
    (``jde_coupa__suppliers_mapped``: Dagster's op name of a two-part key)."""
    spec = flow_specs()[flow]
    return (spec.key("mapped").to_python_identifier(), spec.key("written").to_python_identifier())


def _deps(asset: Any) -> set[Any]:
    return {dep.asset_key for spec in asset.specs for dep in spec.deps}


def discover_in(defs: Any, found: type[Found], feeds_of: str | None) -> Any:
    """``found`` for the integration whose Definitions are ``defs``: its flows, the unpartitioned lookups,
    its reconciliation assets (those reading a flow's target asset) and the graph of every asset they stand
    on (its own, JDE's tables, the SaaS feeds); ``feeds_of``: the SaaS system whose change feeds the
    reconciliation reads staged (None: none)."""
    from dagster import AssetsDefinition

    from connector_assets.jde.assets import jde_assets
    from connector_assets.saas.assets import SAAS_ENTITIES, saas_assets

    own = [a for a in defs.assets or [] if isinstance(a, AssetsDefinition)]
    targets = {a.key for a in defs.assets or [] if not isinstance(a, AssetsDefinition)}
    pool = {a.key: a for a in [*jde_assets, *saas_assets, *own] if isinstance(a, AssetsDefinition)}
    graph: dict[Any, Any] = {}

    def take(key: Any) -> None:
        if key in graph or key not in pool:
            return
        graph[key] = pool[key]
        for dep in _deps(pool[key]):
            take(dep)

    for asset in own:
        take(asset.key)
    written = sorted((a.key.to_user_string(), spec) for a in own if (spec := written_flow(a.key)) is not None)
    feeds = {e.asset for e in SAAS_ENTITIES if e.system == feeds_of and not e.whole}
    return found(
        flows=[spec for _name, spec in written],
        lookups=[a for a in graph.values() if a.partitions_def is None],
        reconcile=[a for a in own if _deps(a) & targets],
        bill_feeds=[a for k, a in pool.items() if k in feeds],
        graph=graph,
        own=own,
    )


def sandbox_tables(package: str) -> dict[str, str]:
    """Point every mapping table of the integration (``package``'s default instance) at its sandbox file
    unless its variable says otherwise (the simulators are the sandboxes the files were made for), and say
    which files were used."""
    from connector_assets.deployment import integration_component
    from connector_assets.flows.mapping_tables import ROOT

    parts = integration_component(package.rpartition(".")[2])
    tables = {table.variable: table for table in parts.mapping_tables if table.sandbox_file}
    for variable, table in tables.items():
        os.environ.setdefault(variable, str(ROOT / "mappings" / "sandbox" / table.sandbox_file))
    return {variable: os.path.relpath(os.environ[variable]) for variable in sorted(tables)}


def _kind(reason: str) -> str:
    """A queued reason without the record's own ids and numbers, so refusals of one kind count together."""
    return _reason_kind(re.sub(r"\b(?=\w*\d)\w{12,}\b", "<id>", reason))


def _guarded(report: dict[str, Any], name: str, phase: Any) -> None:
    """``report[name] = phase()``; a failing phase says why there, and the figures before it stand."""
    try:
        report[name] = phase()
    except Exception as exc:
        report[name] = {"error": _reason_kind(repr(exc))[:300]}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu(found: Found, resources: dict[str, Any], ledger: Any, folder: str, days: list[str], today: str):
    """``bench/flow_cpu.py`` over every day of every flow, each flow's days as one run over the range (so
    the records held ones wait for are read on its last day only, as in the backfill); inbound flows also
    over the day of the payments."""
    from flow_cpu import FlowCpu, api_cpu_counted, measure_day

    from connector_resources.ledger import Ledger

    scratch = Ledger(f"sqlite:///{folder}/cpu-ledger.sqlite")
    result: dict[str, Any] = {}
    overall = FlowCpu()
    with api_cpu_counted():
        for spec in found.flows:
            flow = FlowCpu()
            partitions = found.graph[spec.key("mapped")].partitions_def
            runs = [days] + ([[today]] if spec in found.inbound else [])
            for run in runs:
                context = _RunContext(resources, partitions, run)
                for day in run:
                    try:
                        cpu, _ = measure_day(
                            spec, context, day, ledger, scratch, run_id=f"bench-cpu-{spec.flow}"
                        )
                    except Exception as exc:  # the run's figures above stand; say why this one is missing
                        result.setdefault("errors", []).append(f"{spec.flow} {day}: {exc!r}"[:300])
                        continue
                    flow.add(cpu)
            overall.add(flow)
            result[spec.flow] = {"records": flow.records, **flow.per_record_us()}
    result["all flows"] = {"records": overall.records, **overall.per_record_us()}
    return result


class _RunContext:
    """What a flow's ``map_records`` reads of its Dagster context, for a run over ``days`` outside Dagster:
    the run's resources (as Dagster hands them over), the partition or range, and its time window."""

    def __init__(self, resources: dict[str, Any], partitions_def: Any, days: list[str]) -> None:
        import logging
        from types import SimpleNamespace

        from dagster import TimeWindow

        self.resources = SimpleNamespace(**resources)
        self.has_partition_key = len(days) == 1
        self.has_partition_key_range = len(days) > 1
        self.partition_key = days[0]
        first, last = (partitions_def.time_window_for_partition_key(d) for d in (days[0], days[-1]))
        self.partition_time_window = TimeWindow(first.start, last.end)
        self.log = logging.getLogger("bench.cpu")
        self.run = SimpleNamespace(run_id="bench-cpu", tags={}, parent_run_id=None, root_run_id=None)


def _failures(result: Any) -> list[str]:
    return [_failure_text(e) for e in result.all_events if e.event_type_value == "STEP_FAILURE"][:5]


if __name__ == "__main__":
    sys.modules.setdefault("backfill", sys.modules["__main__"])  # profiles import this module by name
    main()
