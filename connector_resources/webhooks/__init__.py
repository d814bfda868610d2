"""The webhook receiver: verify, store durably in the ledger inbox, answer 2xx; nothing slow inline.

The sources it serves are each system's (``connector_resources/<system>/webhook_source.py``); the three
builders are offered here too, imported when asked for, so this package imports no system's; the receiver
is too, so a module that only names an endpoint (``configured.instance_endpoint``, which the definitions
load) does not import Starlette.
"""

from typing import TYPE_CHECKING, Any

from connector_resources.webhooks.sources import WebhookRejected, WebhookSource, hmac_matches

if TYPE_CHECKING:  # what ``__getattr__`` offers, as a type checker and an editor see it
    from connector_resources.bill.webhook_source import bill_source
    from connector_resources.coupa.webhook_source import coupa_source
    from connector_resources.procore.webhook_source import procore_source
    from connector_resources.webhooks.receiver import create_receiver

_LAZY = {
    "create_receiver": "connector_resources.webhooks.receiver",
    "bill_source": "connector_resources.bill.webhook_source",
    "coupa_source": "connector_resources.coupa.webhook_source",
    "procore_source": "connector_resources.procore.webhook_source",
}

__all__ = [
    "WebhookRejected",
    "WebhookSource",
    "bill_source",  # offered by __getattr__
    "coupa_source",
    "create_receiver",
    "hmac_matches",
    "procore_source",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
