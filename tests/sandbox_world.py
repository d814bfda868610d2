"""The one test world: simulators served on free loopback ports, the resources a run takes logged into them,
a ledger and staging under the test's folder, runs of assets by name, the environment restored afterwards.

Two shapes stand on it, both started here and nowhere else:

* ``pair_world(integration, tmp_path, ...)``: the simulators one integration talks to, each on a port of its
  own, with the clients tuned for tests (short backoffs, no client-side pace) and the ledger's reads of
  that integration. What differs between integrations is declared as data (``Integration``: which
  simulators at which settings, which client fields, which assets, which day a run takes, where each
  entity's xrefs point) in the integration's own module (``jde_bill_world``, ``jde_coupa_world``,
  ``coupa_jde_world``, ``jde_procurify_world``, ``fusion_procurify_world``, ``procore_jde_world``), beside
  the hands a test of that integration needs (a BILL clerk, a Procore project manager, a Coupa user ...).
  A world describes itself (``remote()``) so a child process (kill -9, two runs at once) rebuilds the same
  resources (``rebuilt``).
* ``sandbox_world(tmp_path)``: all six simulators on a free block of ports, set up the way ``make dev``
  sets them up (each package's own ``sandbox`` module), and the resources a run takes built from settings,
  exactly as the loaded definitions build them: any flow of any integration runs against it.

Tests never bind fixed ports: a pair world's simulators take ephemeral ports, and the six-simulator world
moves the sandbox defaults with ``ML_SANDBOX_PORT_BASE`` to a free block.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from asset_runs import DayRuns, today
from dagster import AssetKey, AssetsDefinition
from flow_proofs import audit_counts, ledger_xrefs, open_queue
from sandbox_logins import LOGINS, fusion_resource, on_simulator, procurify_resource

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.runtime.staging import StagingResource
from connector_resources.bill import BillResource
from connector_resources.coupa import CoupaResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.procore import ProcoreResource


@dataclass(frozen=True)
class System:
    """A system as a world serves it: its simulator package and its client logged into the simulator."""

    package: str  # connector_sandbox.<package>, whose ``run_in_thread`` serves it on an ephemeral port
    client: Callable[..., Any]  # (simulator URL, **fields) -> the resource


SYSTEMS: dict[str, System] = {  # by resource key
    "jde": System("jde_ais", lambda url, **f: on_simulator(JdeAisResource, url, **f)),
    "coupa": System("coupa", lambda url, **f: on_simulator(CoupaResource, url, **f)),
    "bill": System("bill", lambda url, **f: on_simulator(BillResource, url, **f)),
    "procurify": System("procurify", procurify_resource),
    "fusion": System("fusion", fusion_resource),
    # Procore's OAuth host is the API host.
    "procore": System(
        "procore",
        lambda url, **f: ProcoreResource(base_url=url, **{**LOGINS[ProcoreResource], "auth_url": url, **f}),
    ),
}


def small_simulators(*keys: str) -> dict[str, Callable[[], Any]]:
    """The default settings (``Integration.simulators``) of the simulators ``keys`` at the scale most worlds
    serve them at: JDE and Coupa at 0.02, BILL and Procurify at 0.05, seeded in moments yet with records for
    every flow. A world adds the simulators it serves otherwise."""
    from connector_sandbox.bill import BillSandboxSettings
    from connector_sandbox.coupa import CoupaSandboxSettings
    from connector_sandbox.jde_ais import JdeSandboxSettings
    from connector_sandbox.procurify import ProcurifySandboxSettings

    small: dict[str, Callable[[], Any]] = {
        "jde": lambda: JdeSandboxSettings(scale=0.02),
        "coupa": lambda: CoupaSandboxSettings(scale=0.02),
        "bill": lambda: BillSandboxSettings(scale=0.05),
        "procurify": lambda: ProcurifySandboxSettings(scale=0.05),
    }
    return {key: small[key] for key in keys}


def serve_simulator(package: str, settings: Any) -> tuple[str, Callable[[], None]]:
    """The simulator of ``connector_sandbox.<package>`` at ``settings`` on an ephemeral loopback port: (its
    URL, stop). The one place a world starts a simulator (``request_log`` wraps it to log requests)."""
    return importlib.import_module(f"connector_sandbox.{package}").run_in_thread(settings)


def forget_logins() -> None:
    """Tokens and sessions cached per process for an earlier test's simulator mean nothing to this one."""
    from connector_resources.bill.auth import forget_sessions
    from connector_resources.procurify import forget_shared_tokens

    forget_sessions()
    forget_shared_tokens()


@contextmanager
def environment(values: Mapping[str, str] | None = None) -> Iterator[None]:
    """``values`` exported for the block; the process environment as it was afterwards (whatever the block
    or a package's set-up exported)."""
    saved = dict(os.environ)
    os.environ.update(values or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass(frozen=True)
class Integration:
    """What a world of one integration serves, as data (see the module docstring)."""

    name: str  # the ledger's integration name; ``<name>_world`` is the test module declaring it
    simulators: Mapping[str, Callable[[], Any]]  # resource key -> its simulator's default settings
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # resource key -> client fields
    assets: Callable[[], list[AssetsDefinition]] = list  # every asset its tests run
    day: Callable[[], str | None] = today  # the partition a run takes unless a test says
    target_of: Mapping[str, str] = field(default_factory=dict)  # entity -> system its xrefs point at
    target: str = ""  # the xrefs' target system for an entity not in ``target_of``
    master: tuple[str, ...] = ()  # the unpartitioned assets its flows map with (accounts, mapping tables)


class PairWorld(DayRuns):
    """The served simulators (``urls`` by resource key), the resources ``materialize`` takes, the ledger,
    runs of the integration's assets, and the ledger's reads of the integration.

    ``day`` is the partition a run takes by default; ``instance``, when a test sets it, is the one Dagster
    instance all its runs go to (else each run gets a throwaway one).
    """

    def __init__(
        self,
        spec: Integration,
        resources: dict[str, Any],
        urls: dict[str, str],
        fields: dict[str, dict[str, Any]],
        db: str,
        tmp_path: Path,
        staging: str,
    ) -> None:
        self.spec, self.resources, self.urls, self.fields = spec, resources, urls, fields
        self.db, self.tmp_path, self.staging, self.day = db, tmp_path, staging, spec.day()
        self.ledger = Ledger(db)

    # -- the simulators' URLs (a JDE URL ends in /jderest, a BILL one in /connect) ---------------------------

    jde_url = property(lambda self: self.urls["jde"])
    coupa_url = property(lambda self: self.urls["coupa"])
    bill_url = property(lambda self: self.urls["bill"])
    procurify_url = property(lambda self: self.urls["procurify"])
    fusion_url = property(lambda self: self.urls["fusion"])
    procore_url = property(lambda self: self.urls["procore"])
    jde_root = property(lambda self: self.jde_url.removesuffix("/jderest"))  # operator routes: <root>/sandbox
    bill_root = property(lambda self: self.bill_url.removesuffix("/connect"))
    ledger_url = property(lambda self: self.db)

    def latency(self, key: str, ms: int) -> None:
        """The simulator of resource ``key`` answers every call ``ms`` milliseconds late (0: at once)."""
        root = self.urls[key].removesuffix({"jde": "/jderest", "bill": "/connect"}.get(key, ""))
        requests.post(f"{root}/sandbox/faults", json={"latency_ms": ms}, timeout=10).raise_for_status()

    # -- runs, and the world rebuilt in another process -------------------------------------------------

    def world_assets(self) -> list[AssetsDefinition]:
        return self.spec.assets()

    def master(self) -> dict[str, dict[str, Any]]:
        """The master data the flows map with (``Integration.master``), materialized; names no asset has
        yet (a module not landed) are left out, so the world serves the flows that exist."""
        present = {a.key.to_user_string() for a in self.world_assets()}
        return self.run_whole(*(name for name in self.spec.master if name in present))

    def staged(self, asset: str, partition: str | None = None) -> list[dict[str, Any]]:
        """The records a source asset staged for the partition (the API's objects, parsed)."""
        rows = self.resources["staging"].read_rows(AssetKey.from_user_string(asset), partition or self.day)
        return [json.loads(row["record"]) for row in rows]

    def remote(self, **fields: Mapping[str, Any]) -> dict[str, Any]:
        """What a child process needs to rebuild this world's resources (``rebuilt``), JSON-able;
        ``fields`` (by resource key) tune its clients further (a longer backoff ...)."""
        tuned = {key: {**self.fields.get(key, {}), **fields.get(key, {})} for key in self.urls}
        return {"integration": self.spec.name, "urls": self.urls, "fields": tuned, "db": self.db} | {
            "staging": self.staging
        }

    # -- the ledger -------------------------------------------------------------------------------------

    def xrefs(self, entity: str, target: str | None = None) -> dict[str, str | None]:
        """Source key -> target id (None: claimed, not recorded) of the integration's ``entity`` xrefs;
        the target system is the entity's (``Integration.target_of``, else ``target``) unless given."""
        target = target or self.spec.target_of.get(entity) or self.spec.target
        return ledger_xrefs(self.ledger, self.spec.name, entity, target)

    def queue(self, flow: str) -> dict[str, str]:
        """Open retry-queue items of a flow (``bills``): source key -> reason."""
        return open_queue(self.ledger, self.spec.name, flow)

    def audit_counts(self, flow: str) -> dict[str, int]:
        """Audit events of a flow, counted by action (``create``, ``adopt``, ``skip``, ``hold`` ...)."""
        return audit_counts(self.ledger, self.spec.name, flow)

    def replay_queued(self, flow: str, declared: Any) -> None:
        """``ml-connector replay`` of a flow's open items on the world's resources (``declared``: the
        flow's ``Flow``, whose ``Replay`` is built on them), after releasing the holds whose dependency
        has synced; held items stay held."""
        from connector_assets.flows.replays import build_replays
        from connector_resources.replay import release_synced, replay_items

        keys = (*self.urls, "staging")
        replays = build_replays([declared], lambda: {k: self.resources[k] for k in keys})
        release_synced(self.ledger, replays, integration=self.spec.name, flow=flow)
        items = self.ledger.open_items(integration=self.spec.name, flow=flow)
        replay_items(self.ledger, [i for i in items if i.status != "held"], replays)


def _resources(
    urls: Mapping[str, str], fields: Mapping[str, Mapping[str, Any]], db: str, staging: str
) -> dict:
    clients = {key: SYSTEMS[key].client(url, **fields.get(key, {})) for key, url in urls.items()}
    run = {
        "staging": StagingResource(base_dir=staging),
        "ledger": LedgerResource(db_url=db),
        "target_boundary": UNWRAPPED,
    }
    return {**clients, **run}


def rebuilt(remote: Mapping[str, Any]) -> tuple[dict[str, Any], list[AssetsDefinition]]:
    """In a child process: the resources and assets of the world ``remote`` describes
    (``PairWorld.remote``)."""
    spec: Integration = importlib.import_module(f"{remote['integration']}_world").INTEGRATION_WORLD
    return _resources(remote["urls"], remote["fields"], remote["db"], remote["staging"]), spec.assets()


W = TypeVar("W", bound=PairWorld)


@contextmanager
def pair_world(
    spec: Integration,
    tmp_path: Path,
    kind: type[W],
    *,
    settings: Mapping[str, Any] | None = None,
    fields: Mapping[str, Mapping[str, Any]] | None = None,
    db: str | None = None,
    staging: str | None = None,
) -> Iterator[W]:
    """The integration's simulators served for the block (``settings`` by resource key, else the declared
    defaults), a world of ``kind`` on them; ``fields`` tune the clients beyond the declared ones; ``db`` is
    the ledger (a SQLite file under ``tmp_path`` unless given), ``staging`` where runs stage (a folder under
    ``tmp_path`` unless given, or an ``s3://`` URL). Cached logins are forgotten before and after, the
    environment restored afterwards."""
    given = settings or {}
    tuned = {key: {**spec.fields.get(key, {}), **(fields or {}).get(key, {})} for key in spec.simulators}
    db = db or f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    staging = staging or str(tmp_path / "staging")
    with ExitStack() as stack:
        stack.enter_context(environment())
        forget_logins()
        stack.callback(forget_logins)
        urls: dict[str, str] = {}
        for key, default in spec.simulators.items():
            urls[key], stop = serve_simulator(SYSTEMS[key].package, given.get(key) or default())
            stack.callback(stop)
        world = kind(spec, _resources(urls, tuned, db, staging), urls, tuned, db, tmp_path, staging)
        stack.callback(world.ledger.dispose)
        yield world


# -- all six simulators, set up as ``make dev`` sets them up ---------------------------------------------


@dataclass
class SandboxWorld:
    """The running simulators, the ledger and a run's resources (``resources``)."""

    running: list
    ledger: Ledger
    resources: dict[str, Any]
    instance: Any = None  # the Dagster instance runs take, when a test sets one

    def url(self, key: str) -> str:
        return next(r.url for r in self.running if r.spec.key == key)


@contextmanager
def sandbox_world(tmp_path: Path, *, scale: float = 0.02) -> Iterator[SandboxWorld]:
    """Every simulator at ``scale``, every package's sandbox set-up, a SQLite ledger and staging under
    ``tmp_path``; the process environment is restored afterwards (the set-ups export their defaults)."""
    from cryptography.fernet import Fernet

    from connector_assets.deployment import integration_components
    from connector_assets.flows.replay_resources import settings_resources
    from connector_assets.flows.sandbox_setup import integration_sandboxes
    from connector_sandbox.registry import free_port_base, start

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    values = {
        "ML_SANDBOX_PORT_BASE": str(free_port_base()),
        "DAGSTER_HOME": str(tmp_path),
        "ML_CONNECTOR_DB_URL": url,
        "ML_STAGING_URL": str(tmp_path / "staging"),
        # Tokens and sessions kept across steps, as in production: one login per system, not per step.
        "ML_CONNECTOR_VAULT_KEY": Fernet.generate_key().decode(),
    }
    with environment(values):
        running = start(scale=scale)
        try:
            for integration in integration_sandboxes(c.package for c in integration_components()):
                integration.set_up(running, url)
            resources = {"ledger": LedgerResource(), "target_boundary": UNWRAPPED, **settings_resources()}
            # The simulators have no rate limit: the Procurify client's courtesy pace (5 req/s) is left out,
            # as in the integrations' own worlds (``procurify_resource``); at that pace the first write of
            # F0901's account codes alone took 68 s of the conformance suite.
            resources["procurify"] = procurify_resource(resources["procurify"].base_url)
            yield SandboxWorld(running, Ledger(url), resources)
        finally:
            for sandbox in running:
                sandbox.stop()
