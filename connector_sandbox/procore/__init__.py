"""Procore REST API simulator (written from ``docs/reference/procore.md`` only).

See README.md in this folder for routes, settings, admin endpoints and the choices made where
the reference is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from .app import create_app
from .settings import ProcoreSandboxSettings

SETTINGS = ProcoreSandboxSettings  # what the registry builds the app with (``connector_sandbox.registry``)

__all__ = ["SETTINGS", "ProcoreSandboxSettings", "create_app", "run_in_thread"]


def run_in_thread(settings: ProcoreSandboxSettings | None = None) -> tuple[str, Callable[[], None]]:
    """Serve a new sandbox on an ephemeral loopback port; returns (``http://host:port``, stop).

    The same base URL is the OAuth host (``/oauth/token``) and the API host (``/rest/v1.0/...``); the
    operator routes live under ``/sandbox``.
    """
    from connector_sandbox.serve import serve_in_thread

    settings = settings or ProcoreSandboxSettings()
    return serve_in_thread(create_app(settings), host=settings.host, port=0)
