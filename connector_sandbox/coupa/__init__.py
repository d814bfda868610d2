"""Coupa Core API simulator (written from ``docs/reference/coupa.md`` only).

README.md in this folder documents routes, settings, admin endpoints and every choice made
where the reference is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from .app import create_app
from .settings import CoupaSandboxSettings

SETTINGS = CoupaSandboxSettings  # what the registry builds the app with (``connector_sandbox.registry``)

__all__ = ["SETTINGS", "CoupaSandboxSettings", "create_app", "run_in_thread"]


def run_in_thread(settings: CoupaSandboxSettings | None = None) -> tuple[str, Callable[[], None]]:
    """Serve a new sandbox on an ephemeral loopback port; returns (``http://host:port``, stop).

    The instance URL has no path: the API is at ``<url>/api``, tokens at ``<url>/oauth2/token`` and the
    operator routes at ``<url>/sandbox``.
    """
    from connector_sandbox.serve import serve_in_thread

    settings = settings or CoupaSandboxSettings()
    return serve_in_thread(create_app(settings), host=settings.host, port=0)
