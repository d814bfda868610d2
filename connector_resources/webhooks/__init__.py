"""The webhook receiver: verify, store durably in the ledger inbox, answer 2xx; nothing slow inline."""

from connector_resources.webhooks.receiver import create_receiver
from connector_resources.webhooks.sources import (
    WebhookRejected,
    WebhookSource,
    bill_source,
    coupa_source,
    hmac_matches,
    procore_source,
)

__all__ = [
    "WebhookRejected",
    "WebhookSource",
    "bill_source",
    "coupa_source",
    "create_receiver",
    "hmac_matches",
    "procore_source",
]
