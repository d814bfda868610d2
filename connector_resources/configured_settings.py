"""An instance's own connections: the systems it reaches otherwise than the deployment does.

Why here, below the component layer: a system's resource is built from that system's settings
(``ML_BILL_ORG_ID`` ...), and a further instance may name another account in its ``connections``
(another BILL organization); inside ``scope(instance)`` its values stand for those settings, over the
environment, which configures the deployment's one connection. An instance's own settings are not here:
they are read from the component object (``IntegrationType.setting``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar


def forget() -> None:
    """Drop every instance's own connections: for a test building instances of its own after another."""
    _CONNECTIONS.clear()


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
