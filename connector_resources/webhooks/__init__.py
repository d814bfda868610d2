"""The webhook receiver: verify, store durably in the ledger inbox, answer 2xx; nothing slow inline.

The sources it serves are each system's (``connector_resources/<system>/webhook_source.py``); the three
builders are offered here too, imported when asked for, so this package imports no system's; the receiver
is too, so a module that only names an endpoint (``configured.instance_endpoint``, which the definitions
load) does not import Starlette.
"""

from typing import Any

from connector_resources.webhooks.sources import WebhookRejected, WebhookSource, hmac_matches

_LAZY = {
    "create_receiver": "connector_resources.webhooks.receiver",
    "bill_source": "connector_resources.bill.webhook_source",
    "coupa_source": "connector_resources.coupa.webhook_source",
    "procore_source": "connector_resources.procore.webhook_source",
}

__all__ = [
    "WebhookRejected",
    "WebhookSource",
    "bill_source",  # noqa: F822 (offered by __getattr__)
    "coupa_source",  # noqa: F822
    "create_receiver",  # noqa: F822
    "hmac_matches",
    "procore_source",  # noqa: F822
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
