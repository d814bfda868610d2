"""Some simulators served the way ``make dev`` serves them, under a free port base, for CLI tests that run
``ml-connector`` commands against them (the settings point there, every other simulator's address is
left unserved)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def served(keys: list[str], home: str, *, scale: float = 0.02) -> Iterator[None]:
    """``keys`` (``jde_ais``, ``coupa`` ...) served with their data under ``home`` (``DAGSTER_HOME``) for
    the block, ``ML_SANDBOX_PORT_BASE`` pointing there."""
    from connector_resources.settings import SANDBOX_PORT_BASE_ENV
    from connector_sandbox.registry import free_port_base, start

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SANDBOX_PORT_BASE_ENV, str(free_port_base()))
        patch.setenv("DAGSTER_HOME", home)  # the simulators keep their data under it
        running = start(keys, scale=scale)
        try:
            yield
        finally:
            for sandbox in running:
                sandbox.stop()
