"""The integrations, one package each: its flow specs, pure mappers, mapping tables, jobs, schedules,
sensors and replay handlers, declared in its ``declaration`` module and exposed the one way every package
is (``flows.assembly``) as one ``Definitions`` (``defs``) and a ``register_replay_handlers``.

The top-level ``connector_assets.definitions`` merges the packages a deployment runs (``chosen``: the
``ML_INTEGRATIONS`` setting, every package in ``INTEGRATIONS`` by default) with what they share (the system
sides they read, operations; ``connector_assets.deployment``); adding an integration is a new folder here
and one line in that list (README, "Adding an integration").
"""

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from connector_assets.integrations import (
    coupa_jde,
    fusion_procurify,
    jde_bill,
    jde_coupa,
    jde_procurify,
    procore_jde,
)
from connector_resources import settings
from connector_resources.settings import SettingError

INTEGRATIONS: tuple[ModuleType, ...] = (
    jde_coupa,
    coupa_jde,
    jde_bill,
    procore_jde,
    jde_procurify,
    fusion_procurify,
)


INTEGRATIONS_SETTING = "ML_INTEGRATIONS"
EVERY = "all"  # the setting's default: every package in ``INTEGRATIONS``


class UnknownIntegration(SettingError):
    """A name that is no integration package; the message names the known ones. A ``SettingError``, so
    every ``ml-connector`` command says it in one line (``connector_cli.refusals``)."""


def known_names() -> tuple[str, ...]:
    """Every integration's name, in ``INTEGRATIONS`` order."""
    return tuple(package.INTEGRATION for package in INTEGRATIONS)


def chosen(names: Iterable[str] | None = None) -> tuple[ModuleType, ...]:
    """The packages ``names`` names (``ML_INTEGRATIONS`` when None; ``all``: every one), in ``INTEGRATIONS``
    order, so a deployment loads, replays and pings only the integrations it runs. An unknown name is
    refused naming the known integrations, never skipped: a typo would otherwise leave an integration
    unloaded without a word."""
    given = settings.read(INTEGRATIONS_SETTING) if names is None else names
    wanted = tuple(name.strip().lower() for name in given)
    if EVERY in wanted:
        return INTEGRATIONS
    known = known_names()
    unknown = [name for name in wanted if name not in known]
    if unknown:
        named_by = f" (named by {INTEGRATIONS_SETTING})" if names is None else ""
        raise UnknownIntegration(
            f"unknown integration {', '.join(repr(n) for n in unknown)}{named_by}; known: "
            f"{', '.join(known)} (or {EVERY})"
        )
    return tuple(package for package in INTEGRATIONS if package.INTEGRATION in wanted)


def manual_pairings(names: Iterable[str] | None = None) -> tuple[Any, ...]:
    """Every pairing the chosen integrations (``chosen``) make by natural key, as each declares it for
    matching by hand (``<package>.manual_pairs.PAIRINGS``, ``flows.manual_pairs.ManualPairing``), in
    ``INTEGRATIONS`` order: what ``ml-connector xref`` and the desk's match page offer. Read on first use,
    so a command that matches nothing loads none of it. A package pairing nothing by natural key has no
    ``manual_pairs`` module; one whose module fails to import raises, naming it."""
    found: list[Any] = []
    for package in chosen(names):
        name = f"{package.__name__}.manual_pairs"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.extend(module.PAIRINGS)
    return tuple(found)
