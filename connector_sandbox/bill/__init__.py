"""BILL (bill.com) v3 API simulator, written from ``docs/reference/bill.md`` only.

README.md in this folder documents routes, settings, operator routes and every choice made
where the reference is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from .app import create_app
from .settings import BillSandboxSettings

SETTINGS = BillSandboxSettings  # what the registry builds the app with (``connector_sandbox.registry``)

# The simulator's face: the app, its settings, a server on a free port. The parts of the settings
# (organizations, faults, limits, variants, webhooks) are imported from ``.settings``.
__all__ = ["SETTINGS", "BillSandboxSettings", "create_app", "run_in_thread"]


def run_in_thread(settings: BillSandboxSettings | None = None) -> tuple[str, Callable[[], None]]:
    """Serve a new sandbox on an ephemeral loopback port; returns (``http://host:port/connect``, stop).

    The webhook API is at ``http://host:port/connect-events`` and the operator routes at ``/sandbox``.
    """
    from connector_sandbox.serve import serve_in_thread

    settings = settings or BillSandboxSettings()
    return serve_in_thread(create_app(settings), host=settings.host, port=0, path="/connect")
