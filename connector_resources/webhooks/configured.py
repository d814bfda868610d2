"""The webhook sources of a deployment, built from the connection settings (secrets resolved here)."""

from __future__ import annotations

from connector_resources.settings import system
from connector_resources.vault import resolve_secret
from connector_resources.webhooks.sources import WebhookSource, bill_source, coupa_source, procore_source


def configured_sources() -> dict[str, WebhookSource]:
    """One source per webhook endpoint: ``/webhooks/<name>``."""
    coupa = system("coupa").values()
    coupa_secret = resolve_secret(coupa["webhook_secret"])
    procore_token = resolve_secret(system("procore").values()["webhook_token"])
    return {
        "coupa_invoices": coupa_source("coupa_invoices", "invoices", secret=coupa_secret),
        "coupa_payments": coupa_source("coupa_payments", "payments", secret=coupa_secret),
        "procore": procore_source("procore", token=procore_token),
        "bill": bill_source("bill", security_key=resolve_secret(system("bill").values()["webhook_key"])),
    }
