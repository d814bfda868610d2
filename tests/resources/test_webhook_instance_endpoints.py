"""The receiver's endpoints for an instance on a connection of its own (``configured_sources(instances=)``):
each of the system's sources again under ``<instance>_<source>``, verified with the instance's own secret;
none when its connection names no webhook secret of its own; a name claimed twice refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connector_resources import configured_settings
from connector_resources.webhooks import WebhookRejected
from connector_resources.webhooks.configured import configured_sources, instance_endpoint


@pytest.fixture
def connections(monkeypatch):
    """Connect instances as loading them does (``configured_settings.connect``); forgotten afterwards."""
    monkeypatch.setenv("ML_COUPA_WEBHOOK_AUTH", "hmac")  # the signed variant: each endpoint its own key
    monkeypatch.setenv("ML_COUPA_WEBHOOK_SECRET", "deployment-secret")
    monkeypatch.setenv("WEST_COUPA_SECRET", "west-secret")
    try:
        yield configured_settings.connect
    finally:
        configured_settings.forget()


def _signed(secret: str, body: bytes) -> dict[str, str]:
    return {"x-coupa-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_an_instance_with_its_own_secret_gets_its_systems_endpoints_verified_with_it(connections):
    connections(
        "west", {"ML_COUPA_URL": "https://west.invalid", "ML_COUPA_WEBHOOK_SECRET": "env:WEST_COUPA_SECRET"}
    )
    connections("east", {"ML_COUPA_URL": "https://east.invalid"})  # no secret of its own: no endpoint
    sources = configured_sources(instances=["west", "east", "jde_bill"])
    assert instance_endpoint("west", "coupa_invoices") == "west_coupa_invoices"
    assert {"west_coupa_invoices", "west_coupa_payments"} <= set(sources)
    assert not any(name.startswith(("east_", "jde_bill_")) for name in sources)
    own = sources["west_coupa_invoices"]
    assert own.name == "west_coupa_invoices"
    body = b'{"id": 1, "updated-at": "2026-01-01T00:00:00Z"}'
    own.verify(_signed("west-secret", body), body)
    with pytest.raises(WebhookRejected):
        own.verify(_signed("deployment-secret", body), body)
    sources["coupa_invoices"].verify(_signed("deployment-secret", body), body)  # the deployment's, unchanged


def test_an_endpoint_claimed_twice_is_refused(connections):
    connections("west", {"ML_COUPA_WEBHOOK_SECRET": "env:WEST_COUPA_SECRET"})
    with pytest.raises(ValueError, match=r"/webhooks/west_coupa_invoices is declared twice"):
        configured_sources(instances=["west", "west"])
    with pytest.raises(ValueError, match="not an environ"):
        configured_sources({}, instances=["west"])
