"""JD Edwards EnterpriseOne AIS server simulator (written from ``docs/reference/jde-ais.md`` only).

See README.md in this folder for routes, settings and the choices made where the reference
is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from .app import create_app
from .settings import JdeSandboxSettings

SETTINGS = JdeSandboxSettings  # what the registry builds the app with (``connector_sandbox.registry``)

__all__ = ["SETTINGS", "JdeSandboxSettings", "create_app", "run_in_thread"]


def run_in_thread(settings: JdeSandboxSettings) -> tuple[str, Callable[[], None]]:
    """Serve a new sandbox on an ephemeral loopback port; returns (``http://host:port/jderest``, stop).

    The operator routes live beside it at ``http://host:port/sandbox``.
    """
    from connector_sandbox.serve import serve_in_thread

    return serve_in_thread(create_app(settings), host=settings.host, port=0, path="/jderest")
