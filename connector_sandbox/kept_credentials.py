"""What a simulator issued (access tokens, sessions), kept with its data, so a restart of ``make dev``
honours the tokens the connector kept, as the vendor would.

Why: the vendor does not restart when ``make dev`` does. The simulators run inside ``make dev`` and keep
their records across its restart (``$DAGSTER_HOME/sandbox``), and the connector keeps its tokens across it
(the vault). A simulator that forgot what it had issued refused every kept token after a restart (401,
444), so each restart cost a login per system and a "credential refused" line per system. Each registry
therefore writes what it issued to its store's meta when that changes (as BILL's webhook subscriptions
are kept) and reads it back when it starts; a fresh or reseeded store holds none, a private temporary
store (a test's) dies with its process as before. The operator's routes that expire or revoke tokens, or
restart JDE AIS, still end them, and every token still expires at its own time.

A registry timing idleness with ``time.monotonic`` keeps wall-clock stamps (``wall`` / ``monotonic``): a
new process counts monotonic time from another origin.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

ISSUED = "issued_credentials"  # the store's meta key


class MetaStore(Protocol):
    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


class IssuedKeeper:
    """Reads and writes one registry's kept credentials (JSON) in ``store``'s meta; with no store it keeps
    nothing (a registry built on its own, as unit tests do)."""

    def __init__(self, store: MetaStore | None) -> None:
        self.store = store

    def read(self) -> Any | None:
        """What the registry kept at its last change, or None (fresh data, or never kept)."""
        if self.store is None:
            return None
        text = self.store.get_meta(ISSUED)
        return json.loads(text) if text else None

    def write(self, kept: Any) -> None:
        if self.store is not None:
            self.store.set_meta(ISSUED, json.dumps(kept))


def wall(monotonic_stamp: float) -> float:
    """The wall-clock time (epoch seconds) of a ``time.monotonic()`` stamp of this process."""
    return time.time() - (time.monotonic() - monotonic_stamp)


def monotonic(wall_stamp: float) -> float:
    """The ``time.monotonic()`` stamp of this process for a wall-clock time (epoch seconds)."""
    return time.monotonic() - (time.time() - wall_stamp)
