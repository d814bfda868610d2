"""Setting values a component instance configures in YAML: between the environment and the default.

Why a layer of its own: a customer says what an integration does in its ``defs.yaml`` (schedules, mapping
tables, posting mode ...), and every reader already asks ``settings.read``; the instance hands its values
in when Dagster's loader builds it (in every process that loads the code location: webserver, daemon, each
run), so the readers need not know where a value came from. The environment still wins: an operator's
override for one process, and what the tests set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class ConflictingConfiguration(ValueError):
    """Two instances configuring one variable differently (they would overwrite each other silently)."""


@dataclass(frozen=True)
class Configured:
    value: str
    by: str  # what configured it: the instance's ``defs.yaml`` path, named when two disagree


_CONFIGURED: dict[str, Configured] = {}


def configure(values: Mapping[str, str], by: str) -> None:
    """Take ``values`` (variable -> text) as configured by ``by``. The same value again is accepted (a
    code location loaded twice in one process); a different one from another instance is refused."""
    for env, value in values.items():
        held = _CONFIGURED.get(env)
        if held is not None and held.value != value and held.by != by:
            raise ConflictingConfiguration(
                f"{env} is configured as {held.value!r} by {held.by} and as {value!r} by {by}"
            )
    for env, value in values.items():
        _CONFIGURED[env] = Configured(value, by)


def configured(env: str) -> str:
    """What an instance configured for ``env`` ("" when none did)."""
    held = _CONFIGURED.get(env)
    return "" if held is None else held.value


def forget(by: str | None = None) -> None:
    """Drop what ``by`` configured (every instance's when None): for a test loading a project of its own."""
    for env in [env for env, held in _CONFIGURED.items() if by is None or held.by == by]:
        del _CONFIGURED[env]
    if by is None:
        _CONNECTIONS.clear()


# -- an instance's own connections -------------------------------------------------------------------------
# A second instance of an integration may reach a system through a connection of its own (another BILL
# organization): its values stand for that system's settings (``ML_BILL_ORG_ID`` ...) inside its scope,
# over the environment, which configures the deployment's one connection.

_CONNECTIONS: dict[str, dict[str, str]] = {}
_SCOPE: ContextVar[str | None] = ContextVar("ml_connector_instance_scope", default=None)


def connect(instance: str, values: Mapping[str, str]) -> None:
    """Take ``values`` (a system setting's variable -> text) as ``instance``'s own connections."""
    _CONNECTIONS[instance] = dict(values)


def connection(instance: str) -> dict[str, str]:
    """The variables ``instance``'s own connections set ({} when it uses the deployment's)."""
    return dict(_CONNECTIONS.get(instance, {}))


@contextmanager
def scope(instance: str | None) -> Iterator[None]:
    """Within the block, ``instance``'s own connections stand for the settings they set (None: none)."""
    token = _SCOPE.set(instance)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(env: str) -> str:
    """What the instance in scope's own connections set for ``env`` ("" when none, or no instance)."""
    instance = _SCOPE.get()
    return "" if instance is None else _CONNECTIONS.get(instance, {}).get(env, "")
