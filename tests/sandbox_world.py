"""One test world for every integration: the six simulators on a free block of ports, set up the way
``make dev`` sets them up (each package's own ``sandbox`` module), and the resources a run takes built from
settings, exactly as the loaded definitions build them.

Why not one world per integration: the five worlds before this each started their pair of simulators,
pointed clients at them by hand and repeated what the package's ``make dev`` set-up already knows (which
Procurify vendors name which JDE suppliers, which Fusion suppliers pair with which vendors). Moving the
sandbox defaults with ``ML_SANDBOX_PORT_BASE`` keeps every system "embedded" (nothing configured), so the
packages' set-ups run as they do under ``make dev``, and any flow of any integration runs against it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector_resources.ledger import Ledger, LedgerResource


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

    from connector_assets.flows.replay_resources import settings_resources
    from connector_assets.flows.sandbox_setup import integration_sandboxes
    from connector_assets.integrations import INTEGRATIONS
    from connector_sandbox.registry import free_port_base, start

    saved = dict(os.environ)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    os.environ.update(
        {
            "ML_SANDBOX_PORT_BASE": str(free_port_base()),
            "DAGSTER_HOME": str(tmp_path),
            "ML_CONNECTOR_DB_URL": url,
            "ML_STAGING_URL": str(tmp_path / "staging"),
            # Tokens and sessions kept across steps, as in production: one login per system, not per step.
            "ML_CONNECTOR_VAULT_KEY": Fernet.generate_key().decode(),
        }
    )
    running = start(scale=scale)
    try:
        for integration in integration_sandboxes(INTEGRATIONS):
            integration.set_up(running, url)
        resources = {"ledger": LedgerResource(), **settings_resources()}
        yield SandboxWorld(running, Ledger(url), resources)
    finally:
        for sandbox in running:
            sandbox.stop()
        os.environ.clear()
        os.environ.update(saved)
