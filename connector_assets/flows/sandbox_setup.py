"""What ``make dev`` asks of each integration package for the embedded sandboxes: a one-time set-up and,
optionally, the people who act on documents each round. The simulators are seeded apart, so only the
package knows its set-up (its ``sandbox.SANDBOX``); nothing here acts on a configured (real) system.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

SANDBOX_MODULE = "sandbox"


class SandboxPeople(Protocol):
    """People of a sandbox who act on the connector's documents, one step per activity round."""

    def round(self) -> Any: ...


@dataclass(frozen=True)
class IntegrationSandbox:
    """An integration's part of ``make dev``: ``set_up(sandboxes, ledger_url)`` once the simulators run;
    ``people(sandboxes, ledger_url)`` its people (None off the sandbox), whose ``play(people)`` plays one
    round and says, never raises, what went wrong (the next round tries again)."""

    set_up: Callable[[list, str], Any]
    people: Callable[[list, str], SandboxPeople | None] | None = None
    play: Callable[[Any], Any] | None = None


def integration_sandboxes(packages: Iterable[str]) -> list[IntegrationSandbox]:
    """The ``SANDBOX`` of each integration package (by module name) with a ``sandbox`` module, in order."""
    found = []
    for package in packages:
        name = f"{package}.{SANDBOX_MODULE}"
        if importlib.util.find_spec(name) is None:
            continue
        found.append(importlib.import_module(name).SANDBOX)
    return found


def embedded(sandboxes: list, *systems: str) -> dict[str, Any] | None:
    """The running simulators by key when every one of ``systems`` is embedded and none is real; else None."""
    from connector_resources.settings import SYSTEMS

    running = {r.spec.key: r for r in sandboxes}
    if any(key not in running for key in systems):
        return None
    if any(SYSTEMS[key].is_configured() for key in systems):
        return None
    return running


def export_unless_set(defaults: Mapping[str, str]) -> dict[str, str]:
    """``defaults`` exported for Dagster unless the operator set them (theirs win); returns what was set."""
    from connector_resources import settings

    chosen = {env: text for env, text in defaults.items() if not settings.given(env)}
    for env, text in chosen.items():
        settings.export(env, text)
    return chosen
