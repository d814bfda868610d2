"""The webhook sources of a deployment, built from the connection settings (secrets resolved here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from connector_resources import settings
from connector_resources.settings import system
from connector_resources.vault import resolve_secret
from connector_resources.webhooks.live_secret import LiveSecret
from connector_resources.webhooks.sources import WebhookSource, bill_source, coupa_source, procore_source


def future_skew(environ: Mapping[str, str] | None = None) -> timedelta:
    """How far in the future an event time may lie (``ML_WEBHOOK_FUTURE_SKEW_SECONDS``): clock skew."""
    return timedelta(seconds=settings.read("ML_WEBHOOK_FUTURE_SKEW_SECONDS", environ))


def max_age(system_key: str, environ: Mapping[str, str] | None = None) -> timedelta:
    """The oldest event time a source accepts (``ML_<SYSTEM>_WEBHOOK_MAX_AGE_MINUTES``)."""
    return timedelta(minutes=system(system_key).setting("webhook_max_age_minutes").read(environ))


def configured_sources(environ: Mapping[str, str] | None = None) -> dict[str, WebhookSource]:
    """One source per webhook endpoint: ``/webhooks/<name>``."""
    coupa = system("coupa").values(environ)
    bill = system("bill").values(environ)
    procore = system("procore").values(environ)
    skew = future_skew(environ)
    coupa_secret = resolve_secret(coupa["webhook_secret"])
    # Re-read when a delivery does not verify: `ml-connector bill-webhooks create / rotate` store a new
    # key in the vault while the receiver runs (and it may start before the first key exists).
    bill_key = LiveSecret(bill["webhook_key"])
    bill_key.prime()
    procore_token = LiveSecret(procore["webhook_token"])  # likewise `ml-connector procore-webhooks`
    procore_token.prime()
    coupa_window = {
        "time_field": coupa["webhook_time_field"],
        "max_age": max_age("coupa", environ),
        "future_skew": skew,
    }
    return {
        "coupa_invoices": coupa_source("coupa_invoices", "invoices", secret=coupa_secret, **coupa_window),
        "coupa_payments": coupa_source("coupa_payments", "payments", secret=coupa_secret, **coupa_window),
        "procore": procore_source(
            "procore",
            token=procore_token,
            max_age=max_age("procore", environ),
            future_skew=skew,
        ),
        "bill": bill_source(
            "bill",
            security_key=bill_key,
            time_field=bill["webhook_time_field"],
            max_age=max_age("bill", environ),
            future_skew=skew,
        ),
    }
