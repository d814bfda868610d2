"""Oracle Fusion Cloud ERP REST API simulator (written from ``docs/reference/oracle-fusion.md`` only).

A sandbox "pod": the ``/fscmRestApi/resources/{version}`` ADF REST API for suppliers, purchase
orders, draft purchase orders, requisitions, invoices, payables payments, account combinations and
value sets, plus the identity domain's ``/oauth2/v1/token`` on the same port. It shares no code or
models with ml-connector's client: it is the yardstick the client is measured against. README.md in
this folder documents routes, settings, operator routes and every deliberate variant.
"""

from __future__ import annotations

from collections.abc import Callable

from .app import create_app
from .settings import BehaviourSettings, FaultSettings, FusionSandboxSettings, FusionUser, OAuthClient

SETTINGS = FusionSandboxSettings  # what the registry builds the app with (``connector_sandbox.registry``)

__all__ = [
    "SETTINGS",
    "BehaviourSettings",
    "FaultSettings",
    "FusionSandboxSettings",
    "FusionUser",
    "OAuthClient",
    "create_app",
    "run_in_thread",
]


def run_in_thread(settings: FusionSandboxSettings) -> tuple[str, Callable[[], None]]:
    """Serve a new sandbox pod on an ephemeral loopback port; returns (``http://host:port``, stop).

    The pod URL is the base: REST under ``/fscmRestApi/resources/11.13.18.05``, the token endpoint at
    ``/oauth2/v1/token``, operator routes under ``/sandbox``.
    """
    from connector_sandbox.serve import serve_in_thread

    return serve_in_thread(create_app(settings), host=settings.host, port=0)
