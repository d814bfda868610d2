"""How ``ml-connector periods`` shows one ERP's accounting periods: each system side with periods offers a
``PeriodsView`` (``connector_assets/<side>/period_view.py``: ``VIEW``), found through the declared systems,
so the command lists no system.

Why on the side: what a period is called, which calendars there are (JDE's per company and ledger, Fusion's
one ledger) and how they read back are the side's knowledge, the same the money flows read them with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from connector_resources.systems import declared_systems

VIEW_MODULE = "period_view"  # the side's module that offers its ``VIEW``


@dataclass(frozen=True)
class PeriodsView:
    """One ERP's periods as ``ml-connector periods`` shows them.

    ``name`` is the ``--system`` choice, ``system`` the declared system's key, ``title`` how a sentence names
    it. ``read`` reads its calendars as the money flows read them (``companies`` narrows JDE's; empty: all),
    ``shown`` says each calendar's open window in a line, ``rolled`` what a roll closed and opened (the
    calendars read before, then after)."""

    name: str
    system: str
    title: str
    read: Callable[[tuple[str, ...]], Any]
    shown: Callable[[Any], Iterator[str]]
    rolled: Callable[[Any, Any], Iterator[str]]


def period_views() -> dict[str, PeriodsView]:
    """The views of every declared system whose side offers one, by name, in the systems' order."""
    from connector_assets.side_modules import side_module

    offered = (side_module(declared.key, VIEW_MODULE) for declared in declared_systems())
    return {module.VIEW.name: module.VIEW for module in offered if module is not None}
