"""What a test hands the replay: a ``Replays`` of its own handlers, alone or beside the deployment's.

The replay reads no registry: ``replay_items`` and ``release_synced`` are handed a ``Replays``, and the
commands that replay (``ml-connector replay``, the desk's background replays, the replay job) ask the
deployment for its own (``Deployment.replays``). A test that replays a flow of its own (``itest``) builds
the ``Replays`` here, and one driving a command gives it that command's view with ``given_to_commands``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from connector_assets.flows.replays import Replays
from connector_resources.replay import ReplayHandler


def replays_of(
    handlers: Mapping[tuple[str, str], ReplayHandler] | None = None,
    *,
    outside: Mapping[Any, Any] | None = None,
    parents: Mapping[Any, Any] | None = None,
) -> Replays:
    """A ``Replays`` of exactly ``handlers`` (by (integration, flow)) and the sweeps' checks given."""
    return Replays(dict(handlers or {}), dict(outside or {}), dict(parents or {}))


def merged(*given: Replays) -> Replays:
    """One ``Replays`` of several (a later one's handler or check of the same key wins)."""
    return Replays(
        {k: v for r in given for k, v in r.handlers.items()},
        {k: v for r in given for k, v in r.outside.items()},
        {k: v for r in given for k, v in r.parents.items()},
    )


def with_deployment(given: Replays | Mapping[tuple[str, str], ReplayHandler]) -> Replays:
    """The deployment's replays (every loaded flow's, on today's settings) with ``given`` (handlers, or a
    ``Replays`` with its checks too) beside or in place of its own: what a command replays with while a
    test stands in for some flows, or builds them on its own resources."""
    from connector_assets.definitions import DEPLOYMENT

    top = given if isinstance(given, Replays) else replays_of(given)
    built = DEPLOYMENT.replays()
    return replace(
        built,
        handlers={**built.handlers, **top.handlers},
        outside={**built.outside, **top.outside},
        parents={**built.parents, **top.parents},
    )


def given_to_commands(monkeypatch: Any, replays: Replays) -> Replays:
    """Make ``ml-connector replay`` and the desk's replays replay with ``replays`` (the replay job is given
    its own as its ``replays`` resource)."""
    import connector_cli.records as records

    monkeypatch.setattr(records, "deployment_replays", lambda: replays)
    return replays
