"""Coupa as the project knows it: its settings, its simulator's port, its ``ml-connector ping`` check, its
change feed (the SaaS source assets) and its call-outs to the webhook receiver
(``connector_resources.system_declaration``). No concurrency pool: its rate limit is paced per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from connector_resources.coupa.callout_auth import SCHEMES
from connector_resources.coupa.entities import ENTITIES
from connector_resources.coupa.resource import CoupaResource, register_coupa_ping
from connector_resources.coupa.session import CoupaSession
from connector_resources.setting_kinds import Choice
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import (
    Needs,
    SaasClient,
    Sandbox,
    System,
    base_url,
    max_age,
    oauth_client,
    webhook_max_age,
)

if TYPE_CHECKING:
    from connector_resources.webhooks.sources import WebhookSource

SANDBOX = Sandbox(8712, activity={"new_invoices": 2, "updated_invoices": 2, "new_payments": 1})
# The resources whose call-outs the receiver takes, each at /webhooks/coupa_<resource>.
CALL_OUTS = ("invoices", "payments")


def _flow_ping(reads: Needs, writes: Needs) -> None:
    """Read each entity the flows read or write (a write searches first) and hold each scope they need."""
    from connector_resources.flow_pings import merged

    register_coupa_ping(merged(reads, writes), writes)


def _paths(entity: str) -> tuple[str, ...]:
    return (f"/{ENTITIES[entity].path}",)


def _webhook_sources(environ: Mapping[str, str] | None, future_skew: timedelta) -> dict[str, WebhookSource]:
    """One endpoint per call-out resource, each verified as ``webhook_auth`` says (Coupa's Basic or OAuth
    bearer, or the project's HMAC signature); an OAuth endpoint serves its token URL beside it."""
    from connector_resources.coupa.webhook_source import coupa_source
    from connector_resources.vault import resolve_secret

    values = SYSTEM.values(environ)
    scheme = SYSTEM.setting("webhook_auth").read(environ)
    auth = {
        "scheme": scheme,
        "secret": resolve_secret(values["webhook_secret"]) if scheme == "hmac" else None,
        "basic_username": values["webhook_username"] if scheme != "hmac" else None,
        "basic_password": resolve_secret(values["webhook_password"]) if scheme != "hmac" else None,
    }
    window = {
        "time_field": values["webhook_time_field"],
        "max_age": max_age(SYSTEM, environ),
        "future_skew": future_skew,
    }
    return {
        f"coupa_{resource}": coupa_source(f"coupa_{resource}", resource, **auth, **window)
        for resource in CALL_OUTS
    }


SYSTEM = System(
    "coupa",
    "Coupa Core API",
    (
        base_url(
            "ML_COUPA_URL", SANDBOX.url(), "instance URL, e.g. https://acme.coupahost.com", account=True
        ),
        *oauth_client("ML_COUPA", "sandbox-coupa-secret"),
        Setting(
            "webhook_auth",
            "ML_COUPA_WEBHOOK_AUTH",
            "basic",
            "how Coupa's call-out endpoint authenticates to the receiver: basic (user name and password), "
            "oauth2 (Coupa fetches a bearer from the receiver's /webhooks/<source>/token with the client "
            "id and secret below) or hmac (a relay signing the body with ML_COUPA_WEBHOOK_SECRET; Coupa "
            "itself signs nothing)",
            kind=Choice(SCHEMES),
        ),
        Setting(
            "webhook_username",
            "ML_COUPA_WEBHOOK_USERNAME",
            "ml-connector-callouts",
            "user name (basic) or client id (oauth2) of Coupa's call-out endpoint",
        ),
        Setting(
            "webhook_password",
            "ML_COUPA_WEBHOOK_PASSWORD",
            "sandbox-coupa-callout",
            "password (basic) or client secret (oauth2) of Coupa's call-out endpoint",
            secret=True,
        ),
        Setting(
            "webhook_secret",
            "ML_COUPA_WEBHOOK_SECRET",
            "sandbox-coupa-webhook",
            "HMAC-SHA256 key of call-outs signed in X-Coupa-Signature (webhook_auth=hmac only)",
            secret=True,
        ),
        Setting(
            "webhook_time_field",
            "ML_COUPA_WEBHOOK_TIME_FIELD",
            "updated-at",
            "call-out field holding the event time (payload format unconfirmed): read on the "
            "payload, then on an envelope's data record",
        ),
        webhook_max_age(
            "ML_COUPA",
            "1440",
            "call-outs whose event time is older are refused (retry policy undocumented; polling "
            "covers later resends)",
        ),
    ),
    resource=CoupaResource,
    sandbox=SANDBOX,
    ping=register_coupa_ping,
    flow_ping=_flow_ping,
    client=SaasClient(CoupaSession, "Coupa", _paths),
    webhooks=_webhook_sources,
)
