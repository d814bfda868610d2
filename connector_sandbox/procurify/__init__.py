"""Procurify API simulator (written from ``docs/reference/procurify.md`` only).

See README.md in this folder for routes, settings, operator routes and the choices made
where the reference is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from .app import create_app
from .settings import ProcurifySandboxSettings

SETTINGS = ProcurifySandboxSettings  # what the registry builds the app with (``connector_sandbox.registry``)

# The simulator's face: the app, its settings, a server on a free port. The parts of the settings
# (its application, faults, behaviour variants) are imported from ``.settings``.
__all__ = ["SETTINGS", "ProcurifySandboxSettings", "create_app", "run_in_thread"]


def run_in_thread(settings: ProcurifySandboxSettings | None = None) -> tuple[str, Callable[[], None]]:
    """Serve a new sandbox on an ephemeral loopback port; returns (``http://127.0.0.1:<port>``, stop).

    The base URL is the customer host: the API is at ``<base>/api/...``, the token at
    ``<base>/oauth/token`` and the operator routes at ``<base>/sandbox/...``.
    """
    from connector_sandbox.serve import serve_in_thread

    settings = settings or ProcurifySandboxSettings()
    return serve_in_thread(create_app(settings), host=settings.host, port=0)
