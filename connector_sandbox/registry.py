"""Which simulators exist and how to start them on their sandbox ports (``ml-connector sandbox``).

Each is the simulator of a declared system (``System.sandbox`` in ``connector_resources/<system>/system.py``:
port, path, make dev's activity and world), in the package ``connector_sandbox.<key>``; none is listed here.

The ports and base paths are the ones the connection settings default to
(``connector_resources.settings.sandbox_port``: 8711-8716, or moved together by ``ML_SANDBOX_PORT_BASE``),
so with no configuration the resources talk to these simulators. Every simulator keeps its data under
``$DAGSTER_HOME/sandbox`` (``<key>-<scale>.sqlite``: the seed and every record written since), so
restarting ``make dev`` finds the records a newcomer already synced, paired in the ledger as they were.
A start uses all six kept files or seeds all six anew, never some of each (``KeptWorldError``).
"""

from __future__ import annotations

import importlib
import random
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_resources.project_home import locate
from connector_resources.settings import DEFAULT_SANDBOX_PORT_BASE, SANDBOX_PORT_SPAN, sandbox_port
from connector_resources.system_declaration import System
from connector_resources.systems import declared_systems, sandbox_ports
from connector_sandbox.seeding import KeptDataError
from connector_sandbox.serve import serve_in_thread


@dataclass(frozen=True)
class SandboxSpec:
    key: str  # also its package: connector_sandbox.<key>
    title: str
    path: str
    settings: str  # the package's attribute holding its settings class
    activity: dict[str, int] = field(default_factory=dict)  # body of POST /sandbox/activity: a little work
    # Settings of the world ``make dev`` and ``ml-connector sandbox`` serve, beside the scale: no planted
    # faults (records seeded to show a refusal belong to the tests that exercise it, not to a first day).
    world: tuple[tuple[str, Any], ...] = ()  # (setting, value) pairs: the spec stays hashable

    @property
    def port(self) -> int:
        """Its port with the base in force (``ML_SANDBOX_PORT_BASE``), read when asked, not at import."""
        return sandbox_port(self.key)

    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def data_file(self, scale: float, data_dir: Path) -> Path:
        """Where it keeps its data at ``scale``: seeded there at the first start, reused at the next."""
        return data_dir / f"{self.key}-{scale:g}.sqlite"

    def factory(self, scale: float, data_dir: Path) -> Any:
        """The simulator's app at ``scale``, its package imported only now (a CLI run loads one or none)."""
        package = importlib.import_module(f"connector_sandbox.{self.key}")
        values: dict[str, Any] = {
            "scale": scale,
            **dict(self.world),
            "db_path": self.data_file(scale, data_dir),
        }
        return package.create_app(getattr(package, self.settings)(**values))


def _spec(system: System) -> SandboxSpec:
    """The simulator of ``system`` as it declares it (``System.sandbox``)."""
    assert system.sandbox is not None
    declared = system.sandbox
    return SandboxSpec(
        system.key, system.title, declared.path, "SETTINGS", dict(declared.activity), declared.world
    )


# Every declared system that has a simulator (``connector_resources/<system>/system.py``), in port order:
# the simulator is the package ``connector_sandbox.<key>``, its settings class its ``SETTINGS``.
SANDBOXES: dict[str, SandboxSpec] = {s.key: _spec(s) for s in declared_systems() if s.sandbox is not None}


def data_dir() -> Path:
    """``sandbox`` in the instance folder (``project_home.locate``: $DAGSTER_HOME, else the project's
    .dagster_home); outside a project with neither, ``NoProject``, and no folder is made."""
    folder = locate().require_dagster_home() / "sandbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def can_bind(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port`` now (stricter than ``port_in_use``: a port held but not
    yet listening, or in TIME_WAIT without reuse, also counts as taken)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def busy_ports(keys: Iterable[str] | None = None) -> dict[str, int]:
    """The sandbox ports (simulators and ``webhooks``, by default all of the block's) something already
    listens on, by key."""
    chosen = sandbox_ports() if keys is None else keys
    return {key: sandbox_port(key) for key in chosen if port_in_use(sandbox_port(key))}


def free_port_base(
    tries: int = 200, low: int = 20000, high: int = 32768, *, prefer: int | None = None
) -> int:
    """A base for ``ML_SANDBOX_PORT_BASE`` under which every sandbox port (and the receiver's) is free:
    ``prefer`` when all of its ports are (``make dev`` keeps its addresses across restarts), else a random
    one.

    Tests and a second ``make dev`` use this instead of the default ports, which another program (a
    running ``make dev``) may hold. Below Linux's ephemeral range (32768-60999 by default): a port chosen
    there could be given to any process's outgoing connection between this check and the bind, or while a
    sandbox restarts on the same ports (seen: a Fusion port taken in a restart test).
    """

    def free(base: int) -> bool:
        return all(can_bind(port - DEFAULT_SANDBOX_PORT_BASE + base) for port in sandbox_ports().values())

    if prefer is not None and free(prefer):
        return prefer
    rng = random.Random()
    for _ in range(tries):
        base = rng.randrange(low, high - SANDBOX_PORT_SPAN)
        if free(base):
            return base
    raise RuntimeError(f"no free block of {SANDBOX_PORT_SPAN} ports found in {low}-{high}")


@dataclass
class RunningSandbox:
    spec: SandboxSpec
    url: str
    stop: Callable[[], None]
    # Started on data kept by an earlier start (not seeded now): what a first start sets up is there.
    kept: bool = False


class PortsTaken(RuntimeError):
    """Some sandbox ports are held by another program; nothing was started."""


class KeptWorldError(RuntimeError):
    """The kept sandbox data cannot start as one world (some files there, others not, or one unreadable);
    nothing was started and nothing was seeded over."""


START_OVER = (
    "Start every sandbox and the ledger over together: stop make dev, remove {folder} and the ledger "
    "(ledger.sqlite beside it in DAGSTER_HOME, or the database ML_CONNECTOR_DB_URL names), and start again"
)


def kept_data(keys: Iterable[str], scale: float, folder: Path | None = None) -> list[str]:
    """The simulators among ``keys`` whose data file at ``scale`` is kept in ``folder`` (default:
    ``data_dir()``), so a start reuses it."""
    folder = folder or data_dir()
    return [key for key in keys if SANDBOXES[key].data_file(scale, folder).exists()]


def _half_world(chosen: list[str], kept: list[str], scale: float, folder: Path) -> KeptWorldError:
    missing = [key for key in chosen if key not in kept]
    return KeptWorldError(
        f"not starting the sandboxes: {folder} keeps the data of {', '.join(kept)} but not of "
        f"{', '.join(missing)} at scale {scale:g} (kept by an older version, or removed); seeding those "
        "anew beside the kept ones would leave a world half old, half new, while the ledger keeps every "
        "pairing made with the old records. " + START_OVER.format(folder=folder)
    )


def start(keys: list[str] | None = None, *, scale: float = 1.0) -> list[RunningSandbox]:
    """Start the chosen simulators, all or none: when any of their ports is taken (another ``make dev``,
    a real server), ``PortsTaken`` names them and nothing runs, so no client ends up talking to a mix of
    our simulators and someone else's servers. Likewise their data: every one reuses its kept file or
    every one seeds anew; ``KeptWorldError`` when some are kept and some not, or one cannot be reused."""
    chosen = list(keys or SANDBOXES)
    unknown = [k for k in chosen if k not in SANDBOXES]
    if unknown:
        raise KeyError(f"no sandbox named {', '.join(unknown)}; known: {', '.join(SANDBOXES)}")
    taken = busy_ports(chosen)
    if taken:
        raise PortsTaken("; ".join(f"{key} on 127.0.0.1:{port}" for key, port in taken.items()))
    folder = data_dir()
    kept = kept_data(chosen, scale, folder)
    if kept and len(kept) < len(chosen):
        raise _half_world(chosen, kept, scale, folder)
    running: list[RunningSandbox] = []
    try:
        for key in chosen:
            spec = SANDBOXES[key]
            url, stop = serve_in_thread(spec.factory(scale, folder), port=spec.port, path=spec.path)
            running.append(RunningSandbox(spec, url, stop, kept=key in kept))
    except KeptDataError as exc:  # raised before it wrote anything; the ones before only reused theirs
        for started in running:
            started.stop()
        raise KeptWorldError(
            f"not starting the sandboxes: {exc}. " + START_OVER.format(folder=folder)
        ) from None
    except BaseException:
        for started in running:  # taken between the check and the bind: stop the ones already up
            started.stop()
        if not kept:  # a fresh world that did not start: none of it is kept, so the next start is whole
            _remove_data(chosen, scale, folder)
        raise
    return running


def _remove_data(keys: list[str], scale: float, folder: Path) -> None:
    for key in keys:
        path = SANDBOXES[key].data_file(scale, folder)
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)


def make_activity(running: list[RunningSandbox]) -> dict[str, int]:
    """One round of business activity in every running simulator; answers the HTTP status per system."""
    import requests

    statuses = {}
    for sandbox in running:
        try:
            response = requests.post(
                f"{sandbox.spec.root()}/sandbox/activity", json=sandbox.spec.activity, timeout=60
            )
            statuses[sandbox.spec.key] = response.status_code
        except requests.RequestException:
            statuses[sandbox.spec.key] = 0
    return statuses
