"""The webhook receiver: verify, store durably in the ledger inbox, answer 2xx; nothing slow inline.

The sources it serves are each system's (``connector_resources/<system>/webhook_source.py``); the three
builders are offered here too, imported when asked for, so this package imports no system's.
"""

from typing import Any

from connector_resources.webhooks.receiver import create_receiver
from connector_resources.webhooks.sources import WebhookRejected, WebhookSource, hmac_matches

_BUILDERS = {
    "bill_source": "connector_resources.bill.webhook_source",
    "coupa_source": "connector_resources.coupa.webhook_source",
    "procore_source": "connector_resources.procore.webhook_source",
}

__all__ = [
    "WebhookRejected",
    "WebhookSource",
    "bill_source",  # noqa: F822 (offered by __getattr__)
    "coupa_source",  # noqa: F822
    "create_receiver",
    "hmac_matches",
    "procore_source",  # noqa: F822
]


def __getattr__(name: str) -> Any:
    if name in _BUILDERS:
        import importlib

        return getattr(importlib.import_module(_BUILDERS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
