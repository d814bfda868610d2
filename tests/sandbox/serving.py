"""``served``: the body of a module fixture that runs a simulator on a free port for the module's tests.

The simulators' ``run_in_thread(settings)`` returns the base URL and a ``stop`` function; a fixture
yields what its tests talk to and stops the simulator afterwards, even when a test failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any


def served(
    started: tuple[Any, Callable[[], None]], client: Callable[[Any], Any] = lambda base: base
) -> Iterator[Any]:
    """Yield ``client(base)`` for ``(base, stop) = started``, then ``stop()``: ``yield from served(...)``."""
    base, stop = started
    try:
        yield client(base)
    finally:
        stop()


def seeded(store: Any, seed: Callable[[Any, Any], Any], settings: Any) -> Iterator[Any]:
    """Yield ``store`` after ``seed(store, settings)`` filled it, then close it: ``yield from seeded(...)``.

    For the data tests, which read a simulator's seeded tables directly instead of over HTTP."""
    try:
        seed(store, settings)
        yield store
    finally:
        store.close()


def served_jde_root(scale: float) -> Iterator[str]:
    """The body of a module fixture serving the JDE sandbox at ``scale``: yields its root (``/sandbox`` and
    ``/jderest`` hang under it), for the tests that run ``make dev``'s set-up against it."""
    from connector_sandbox import jde_ais

    base, stop = jde_ais.run_in_thread(jde_ais.JdeSandboxSettings(scale=scale))
    yield from served((base.removesuffix("/jderest"), stop))


def served_jde_open_in_february(client: Callable[[str], Any]) -> Iterator[Any]:
    """The body of a module fixture serving the JDE sandbox (scale 0.02) with its companies' current period in
    February 2025, where the tests that post documents date them (so the companies are open there): yields
    ``client(base)``."""
    from connector_sandbox import jde_ais
    from connector_sandbox.jde_ais.settings import PeriodSettings

    periods = PeriodSettings(current_period_date=dt.date(2025, 2, 1))
    yield from served(jde_ais.run_in_thread(jde_ais.JdeSandboxSettings(scale=0.02, periods=periods)), client)
