"""``ml-connector dev``: the Dagster UI (webserver + daemon) with the embedded default.

DAGSTER_HOME defaults to ``.dagster_home`` inside the project so a fresh clone needs nothing set up:
SQLite instance storage and a SQLite ledger live there. The top-level ``dagster.yaml`` is copied in on
every start, so the checked-in file stays the one to edit. One ``dev`` runs per instance folder, and it tells
other shells where it listens (``connector_cli.dev_instance``).
"""

from __future__ import annotations

import errno
import gc
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from connector_cli.dev_console import start_pump
from connector_cli.dev_instance import DevClaim, claim, keep_port_base, last_port_base, refuse_if_running
from connector_cli.dev_shutdown import settle_runs, stop_daemon_first
from connector_cli.dev_vault import KEY_FILE, DevVaultKeyError, keep_sessions
from connector_cli.dev_world import start_world
from connector_resources import settings
from connector_resources.ledger.engine import describe_url
from connector_resources.project_home import NoProject, locate
from connector_resources.settings import sandbox_port_base
from connector_resources.vault import KEY_ENV

if TYPE_CHECKING:
    from connector_resources.webhooks.sources import WebhookSource

# The simulators are a distribution of their own (sandbox/pyproject.toml) that the production image does not
# install; `dev` and `sandbox` are the only commands that need them.
SIMULATORS_MISSING = (
    "the API simulators (package connector_sandbox) are not installed: they are for development and "
    "tests, and the production image leaves them out. In a checkout of ml-connector, `make venv` installs "
    "them (or: pip install --no-deps -e ./sandbox)."
)


def require_simulators() -> None:
    """Stop a dev command with ``SIMULATORS_MISSING`` when connector_sandbox is not installed, rather than
    with an import error halfway through its start."""
    if importlib.util.find_spec("connector_sandbox") is None:
        raise click.ClickException(SIMULATORS_MISSING)


def project_root(start: Path | None = None) -> Path:
    """The folder holding workspace.yaml: the current directory or one of its parents
    (``project_home.locate``, as every command finds it)."""
    try:
        return locate(start).require_root()
    except NoProject as exc:
        raise click.ClickException(str(exc)) from None


def dev_home(root: Path, home: Path | None = None) -> Path:
    """The instance folder ``dev`` uses: ``home`` when given, else $DAGSTER_HOME, else the project's
    .dagster_home."""
    return (home or locate(root).require_dagster_home()).resolve()


def prepare_dagster_home(root: Path, home: Path | None = None) -> Path:
    """Create DAGSTER_HOME and put the project's dagster.yaml in it; returns the folder."""
    home = dev_home(root, home)
    home.mkdir(parents=True, exist_ok=True)
    source, target = root / "dagster.yaml", home / "dagster.yaml"
    if source.resolve() != target.resolve() and (
        not target.exists() or target.read_bytes() != source.read_bytes()
    ):
        shutil.copyfile(source, target)
    return home


def dagster_dev_command(root: Path, host: str, port: int) -> list[str]:
    """``dg dev`` on our workspace file (what the installed Dagster recommends: ``dagster dev`` warns that it
    is superseded), through ``connector_cli.dagster_dev`` so its daemon looks for backfill work every
    ``ML_BACKFILL_LOOP_SECONDS`` instead of 30 s. It is run from DAGSTER_HOME, where our dagster.yaml is
    copied, so Dagster does not warn about the project's dagster.yaml lying beside another DAGSTER_HOME."""
    return [
        sys.executable,
        "-m",
        "connector_cli.dagster_dev",
        "-w",
        str(root / "workspace.yaml"),
        "-h",
        host,
        "-p",
        str(port),
    ]


MOVES = 3  # free blocks tried when another process binds a port of the chosen one before we do


def _start_world(url: str, scale: float, sandbox_ports: str, home: Path, moved: Callable[[], None]) -> list:
    """The simulators started (``dev_world.start_world``). With ``--sandbox-ports free``, a block another
    process took between the check and the bind (two suites or two ``make dev`` choosing at once) moves
    every address to another free block (published again: ``moved``) and starts again, up to ``MOVES``
    times; nothing is left running by a start that failed (``registry.start`` stops what it had started)."""
    from connector_resources.settings import SANDBOX_PORT_BASE_ENV
    from connector_sandbox.registry import free_port_base

    for attempt in range(1, MOVES + 1):
        try:
            return start_world(url, scale=scale)
        except OSError as taken:
            if sandbox_ports != "free" or taken.errno != errno.EADDRINUSE or attempt == MOVES:
                raise
            settings.export(SANDBOX_PORT_BASE_ENV, str(free_port_base()))
            keep_port_base(home, sandbox_port_base())
            moved()
            click.echo(
                f"a sandbox port was taken meanwhile ({taken.strerror}); moved again: "
                f"{SANDBOX_PORT_BASE_ENV}={settings.given(SANDBOX_PORT_BASE_ENV)}"
            )
    raise AssertionError("unreachable")


def _choose_ports(sandbox_ports: str, sandbox: bool, host: str, port: int, home: Path) -> None:
    """Stop before starting anything when a port we need is taken, or move every sandbox address together.

    A UI pointed at someone else's servers (a second ``make dev``, a real service on 8712) would show
    records that are not this sandbox's; so either all of ours start, or none does. A free block is the
    one the last free start on ``home`` chose while it is still free, so the desk's address survives a
    restart (``dev_instance.last_port_base``).
    """
    from connector_resources.settings import (
        DEFAULT_SANDBOX_PORT_BASE,
        SANDBOX_PORT_BASE_ENV,
        SERVER_PORT_KEYS,
    )
    from connector_sandbox.registry import SANDBOXES, busy_ports, can_bind, free_port_base

    if sandbox_ports == "free":
        settings.export(SANDBOX_PORT_BASE_ENV, str(free_port_base(prefer=last_port_base(home))))
        click.echo(f"sandbox ports moved: {SANDBOX_PORT_BASE_ENV}={settings.given(SANDBOX_PORT_BASE_ENV)}")
    keys = [*SANDBOXES, *SERVER_PORT_KEYS] if sandbox else list(SERVER_PORT_KEYS)
    taken = [f"{key} on 127.0.0.1:{number}" for key, number in busy_ports(keys).items()]
    if not can_bind(port, "0.0.0.0" if host in ("0.0.0.0", "") else host):
        taken.append(f"the Dagster UI on {host}:{port}")
    if taken:
        raise click.ClickException(
            "not starting: "
            + "; ".join(taken)
            + " already in use (another make dev or ml-connector sandbox?).\nStop it, or start this one "
            "beside it: `ml-connector dev --sandbox-ports free --port <free port>` "
            f"moves every sandbox address together (or set {SANDBOX_PORT_BASE_ENV}); "
            "`--no-sandbox` uses the systems your ML_* settings name."
        )
    if sandbox_port_base() != DEFAULT_SANDBOX_PORT_BASE:
        click.echo(
            "other ml-connector commands run in this folder find these ports themselves "
            "(`ml-connector where` prints them)"
        )


def _automation_default(sandbox: bool) -> None:
    """On the sandbox, schedules and sensors start running, so a newcomer sees records flow; pointed at
    a real system, they stay stopped until the operator turns them on (docs/operations.md, "Going live")."""
    from connector_assets.runtime.automation import AUTOMATION_DEFAULT_ENV
    from connector_resources.settings import SYSTEMS

    if settings.given(AUTOMATION_DEFAULT_ENV):
        return
    configured = [s.key for s in SYSTEMS.values() if s.is_configured()]
    if sandbox and not configured:
        settings.export(AUTOMATION_DEFAULT_ENV, "running")
        click.echo("schedules and sensors: running (sandbox); stop any of them in the UI")
    else:
        click.echo(
            "schedules and sensors: stopped (" + (", ".join(configured) or "no sandbox") + " configured); "
            "turn them on in the UI in the README's order"
        )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the Dagster UI listens on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port of the Dagster UI.")
@click.option(
    "--dagster-home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Instance folder (default: $DAGSTER_HOME, else the project's .dagster_home).",
)
@click.option("--sandbox/--no-sandbox", default=True, show_default=True, help="Start the API simulators too.")
@click.option("--scale", default=1.0, show_default=True, type=float, help="Sandbox data volume.")
@click.option(
    "--sandbox-ports",
    type=click.Choice(["default", "free"]),
    default="default",
    show_default=True,
    help="default: simulators on 8711-8716, the webhook receiver on 8720 and the desk on 8721 (or "
    "ML_SANDBOX_PORT_BASE), "
    "stopping if any is taken; free: move them all to a free block and print it.",
)
def dev(
    host: str, port: int, dagster_home: Path | None, sandbox: bool, scale: float, sandbox_ports: str
) -> None:
    """Start the sandboxes, then the Dagster UI and daemon on the embedded default (what `make dev` runs)."""
    require_simulators()  # the port checks and the webhook receiver's server use them, even --no-sandbox
    root = project_root()
    home = dev_home(root, dagster_home)
    refuse_if_running(home)  # said before the ports the running one holds are found taken
    _choose_ports(sandbox_ports, sandbox, host, port, home)
    held = _hold(home, _ui_address(host, port))
    if sandbox_ports == "free":  # kept once this start holds the folder: the next free start prefers it
        keep_port_base(home, sandbox_port_base())
    prepare_dagster_home(root, home)
    settings.export("DAGSTER_HOME", str(home))
    key_file = None if settings.given(KEY_ENV) else home / KEY_FILE
    try:
        vault_line = keep_sessions(home)
    except DevVaultKeyError as exc:
        raise click.ClickException(str(exc)) from None
    os.chdir(root)
    _automation_default(sandbox)

    from connector_resources.ledger import Ledger, ledger_url

    url = ledger_url()
    _publish(held, sandbox, key_file, url)
    Ledger(url).engine.dispose()  # creates / migrates the ledger before the first run needs it
    _apply_pool_limits()
    click.echo(f"DAGSTER_HOME={home}")
    click.echo(vault_line)
    click.echo(f"ledger: {url if url.startswith('sqlite') else 'ML_CONNECTOR_DB_URL'}")
    click.echo(_alerts_line())
    # The simulators on their kept data (or all anew) and each integration's start-up linking.

    def moved() -> None:  # the sandbox addresses changed: published again
        _publish(held, sandbox, key_file, url)

    sandboxes = _start_world(url, scale, sandbox_ports, home, moved) if sandbox else []
    activity = _start_activity(sandboxes, url)
    stop_receiver = _start_receiver(Ledger(url))
    stop_desk = _start_desk(Ledger(url), _ui_address(host, port))
    click.echo(f"Dagster UI: http://{host}:{port}")
    # dg dev (connector_cli.dagster_dev) runs as a child so the simulators (threads of this process) live
    # exactly as long as it does.
    # Processes started in the background may inherit ignored SIGINT/SIGTERM: restore the defaults in the
    # child, and forward our own signals to it. It runs in a process group of its own: a terminal's Ctrl-C
    # reaches it once (forwarded), and what outlives it at shutdown (a run worker still going) is ended
    # with the group.
    # Its output goes through ``dev_console``: every line to the log file, what matters to this console.
    child = subprocess.Popen(
        dagster_dev_command(root, host, port),
        cwd=home,
        preexec_fn=_own_group,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert child.stdout is not None  # stdout=PIPE
    pump, dagster_log, daemon_stopped = start_pump(child.stdout, home)
    click.echo(f"Dagster's own log (daemon ticks, run steps): {dagster_log}")

    stopping, hurry = threading.Event(), threading.Event()

    def forward(signum: int, _frame: object) -> None:
        if stopping.is_set() and not hurry.is_set():  # again while runs in flight are waited for: cancel now
            hurry.set()
            return
        if not stopping.is_set():
            stopping.set()
            if child.poll() is None:
                # Nothing launched while the rest stops (``dev_shutdown``).
                stop_daemon_first(child.pid, said_stopped=daemon_stopped.is_set)
            if child.poll() is None:
                _settle_runs(hurry)  # finished or canceled, never left to fail with the process group
            hurry.set()  # from now on, a signal goes on to dg dev, as it always did
        if child.poll() is None:
            child.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        code = child.wait()
        pump.join(timeout=10)  # the last lines (the shutdown) before we exit
    finally:
        _end_group(child.pid)
        activity.set()
        for running in sandboxes:
            running.stop()
        stop_receiver()
        stop_desk()
        # Collect the ledger engines now, while the modules their event hooks use are whole: collected at
        # interpreter exit, SQLAlchemy's hooks printed "Exception ignored in: _collection_gced" tracebacks.
        gc.collect()
    raise SystemExit(code)


def _settle_runs(hurry: threading.Event) -> None:
    """The runs in flight given ``ML_DEV_STOP_WAIT_SECONDS`` to finish, then canceled (``dev_shutdown``),
    said on this console; a failure to read the instance is said too, and the stop goes on."""
    from dagster import DagsterInstance

    try:
        with DagsterInstance.get() as instance:
            settle_runs(
                instance, wait=settings.read("ML_DEV_STOP_WAIT_SECONDS"), say=click.echo, hurry=hurry.is_set
            )
    except Exception as exc:  # the stop must go on: what is left is ended with the process group
        click.echo(f"could not settle the runs in flight ({type(exc).__name__}: {exc})")


def _ui_address(host: str, port: int) -> str:
    """Where a browser on this machine reaches the UI (a wildcard listen address is reached on loopback)."""
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"


def _hold(home: Path, ui: str) -> DevClaim:
    """Refuse a second ``dev`` on ``home`` before anything starts; the hold ends when this command does."""
    held = claim(home, ui)  # DevAlreadyRunning names the running one
    click.get_current_context().call_on_close(held.release)
    return held


def _publish(held: DevClaim, sandbox: bool, key_file: Path | None, ledger: str) -> None:
    """Tell other shells where this instance listens (the ports are chosen by now) and which key file it
    uses (``connector_cli.dev_instance``)."""
    from connector_resources.settings import sandbox_port
    from connector_sandbox.registry import SANDBOXES

    held.publish(
        replace(
            held.instance,
            sandbox_port_base=sandbox_port_base(),
            sandboxes={key: spec.root() for key, spec in SANDBOXES.items()} if sandbox else {},
            receiver=f"http://127.0.0.1:{sandbox_port('webhooks')}",
            desk=f"http://127.0.0.1:{sandbox_port('desk')}",
            vault_key_file=str(key_file) if key_file else None,
            ledger=describe_url(ledger),
        )
    )


def _alerts_line() -> str:
    """Where alerts go, said once at start: the alert sensors' skipped ticks say it again, in the UI."""
    from connector_assets.alerts import NO_CHANNEL, any_channel

    return "alerts: sent to the configured channel(s)" if any_channel() else f"alerts: {NO_CHANNEL}"


def _apply_pool_limits() -> None:
    """One write step per target system at a time, and one BILL step per organization (which then uses
    BILL's 3 requests in flight), across runs: named pool limits live in the instance database."""
    from dagster import DagsterInstance

    from connector_assets.definitions import defs
    from connector_assets.flows.assets import apply_write_pool_limits

    with DagsterInstance.get() as instance:
        limits = apply_write_pool_limits(instance, defs.assets or [])
    click.echo("pools limited: " + ", ".join(f"{pool}={limit}" for pool, limit in limits.items()))


def _integration_sandboxes() -> list:
    """Each integration package's part of ``make dev`` (its ``sandbox`` module), in name order."""
    from connector_assets.deployment import integration_components
    from connector_assets.flows.sandbox_setup import integration_sandboxes

    return integration_sandboxes(component.package for component in integration_components())


def _start_activity(sandboxes: list, ledger_url: str | None = None):
    """Business activity in the simulators every ``ML_SANDBOX_ACTIVITY_MINUTES`` (default 5; 0 = off),
    so a newcomer sees new records flow through the schedules without touching anything; on the embedded
    sandboxes each integration's people also act on the connector's documents (its ``sandbox`` module)."""
    from connector_sandbox.registry import make_activity

    stop = threading.Event()
    minutes = settings.read("ML_SANDBOX_ACTIVITY_MINUTES")
    players = []
    for integration in _integration_sandboxes() if ledger_url else []:
        people = (
            integration.people(sandboxes, ledger_url) if integration.people and integration.play else None
        )
        if people is not None:
            players.append((integration.play, people))
    if sandboxes and minutes > 0:

        def loop() -> None:
            while not stop.wait(minutes * 60):
                make_activity(sandboxes)
                for play, people in players:
                    play(people)  # says a failed round itself; the next round tries again

        threading.Thread(target=loop, name="sandbox-activity", daemon=True).start()
        click.echo(f"sandbox activity every {minutes:g} minutes (ML_SANDBOX_ACTIVITY_MINUTES)")
    return stop


def _start_receiver(ledger):
    """The webhook receiver beside Dagster, so sandbox call-outs land in the ledger inbox."""
    from connector_resources.settings import sandbox_port
    from connector_resources.webhooks import create_receiver
    from connector_sandbox.serve import serve_in_thread

    held = _sole_receiver(ledger.url)
    url, stop = serve_in_thread(create_receiver(receiver_sources(), ledger), port=sandbox_port("webhooks"))
    click.echo(f"webhook receiver: {url}/webhooks/<source>")

    def stopped() -> None:
        stop()
        if held is not None:
            held.close()

    return stopped


def receiver_sources() -> dict[str, WebhookSource]:
    """What the receiver serves (``ml-connector webhooks``, ``make dev``): every declared system's webhook
    sources, and each source again at ``/webhooks/<instance>_<source>`` for every instance of the
    deployment reaching that system through a connection of its own. The deployment is loaded as ``ping``
    loads it (``Deployment.of``: the instances ``ML_INTEGRATIONS`` names), which takes their connections."""
    from connector_assets.deployment import Deployment
    from connector_resources.webhooks.configured import configured_sources

    try:
        return configured_sources(instances=Deployment.of().names)
    except ValueError as exc:  # a name two sources claim, an instance's refused connection
        raise click.ClickException(f"the webhook receiver's sources: {exc}") from None


def _sole_receiver(url: str) -> IO[str] | None:
    """The SQLite ledger's one-receiver lock for this process (``receiver_guard``), or a refusal in words."""
    from connector_cli.receiver_guard import SecondReceiver, sole_receiver

    try:
        return sole_receiver(url)
    except SecondReceiver as exc:
        raise click.ClickException(str(exc)) from None


def _start_desk(ledger, dagster_ui: str):
    """The exceptions desk beside Dagster on this machine only, with the person at this shell signed in as
    its operator (``ML_DESK_LOCAL_OPERATOR``, their login name unless set): make dev has no accounts."""
    from connector_cli.decisions import login_name
    from connector_cli.desk.app import build_app
    from connector_cli.desk.identity import Access
    from connector_resources.settings import sandbox_port
    from connector_sandbox.serve import serve_in_thread

    operator = settings.value("ML_DESK_LOCAL_OPERATOR") or login_name()
    app = build_app(ledger, Access(local_operator=operator), dagster_url=dagster_ui)
    url, stop = serve_in_thread(app, port=sandbox_port("desk"))
    settings.export(
        "ML_DESK_URL", url
    )  # the Dagster UI's checks link to this desk (its code location inherits it)
    click.echo(f"exceptions desk: {url}/ (signed in as {operator}, operator, from this machine only)")
    return stop


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _own_group() -> None:
    os.setpgrp()
    _default_signals()


def _end_group(group: int, grace: float = 10.0) -> None:
    """SIGTERM to whatever is left of dg dev's process group, SIGKILL after ``grace`` seconds."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


@click.command("sandbox")
@click.option("--system", "systems", multiple=True, help="Only these simulators (default: all).")
@click.option(
    "--scale", default=1.0, show_default=True, type=float, help="Data volume (1 = thousands of records)."
)
def sandbox_command(systems: tuple[str, ...], scale: float) -> None:
    """Run the API simulators on their sandbox ports until interrupted."""
    require_simulators()
    from connector_resources.settings import SANDBOX_PORT_BASE_ENV
    from connector_sandbox.registry import KeptWorldError, PortsTaken, start

    try:
        running = start(list(systems) or None, scale=scale)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    except KeptWorldError as exc:
        raise click.ClickException(str(exc)) from None
    except PortsTaken as exc:
        raise click.ClickException(
            f"not starting: {exc} already in use (another make dev or ml-connector sandbox?); stop it, "
            f"or set {SANDBOX_PORT_BASE_ENV} to move every sandbox port together"
        ) from None
    for item in running:
        click.echo(f"{item.spec.key}: {item.url}  (operator routes under /sandbox/)")
    stopped = threading.Event()
    _default_signals()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    while not stopped.wait(1):
        pass
    for item in running:
        item.stop()


@click.command("webhooks")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8720, show_default=True, type=int, help="Port to listen on.")
def webhooks_command(host: str, port: int) -> None:
    """Run the webhook receiver: verify, store in the ledger inbox, answer 2xx (POST /webhooks/<source>)."""
    import uvicorn

    from connector_resources.ledger import Ledger, ledger_url
    from connector_resources.webhooks import create_receiver

    sources = receiver_sources()
    url = ledger_url()
    held = _sole_receiver(url)  # kept while the process serves
    click.echo(
        f"webhook receiver on http://{host}:{port}/webhooks/<source>; sources: {', '.join(sorted(sources))}"
        + ("; ledger on SQLite: this is its one receiver process" if held else "")
    )
    # No access log: a line per delivery costs the event loop CPU under a burst and says nothing the inbox
    # does not; each refusal is still logged, with its reason, by the receiver itself.
    app = create_receiver(sources, Ledger(url))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
