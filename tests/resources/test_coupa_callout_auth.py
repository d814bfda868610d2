"""Coupa's call-outs reach the real receiver the ways Coupa documents them, and nothing else is stored.

Coupa signs nothing: a call-out endpoint is set up with HTTP Basic credentials, or with OAuth 2.0 client
credentials for which Coupa first fetches a bearer from the endpoint's token URL (Basic
``base64url(client_id:client_secret)``, form ``grant_type=client_credentials``; Compass, "OAuth 2.0 for Call
Outs"). The receiver serves that token URL itself (``/webhooks/<source>/token``). The project's HMAC
signature stays as the ``hmac`` variant. Each variant is sent by the Coupa simulator's own call-out sender
to the real receiver over HTTP and lands in a real SQLite ledger; forged and unauthenticated deliveries
store nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from connector_resources.ledger import Ledger
from connector_resources.webhooks import WebhookRejected, coupa_source, create_receiver
from connector_resources.webhooks.configured import configured_sources
from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
from connector_sandbox.coupa.settings import FaultSettings
from connector_sandbox.serve import serve_in_thread

pytestmark = pytest.mark.timeout(120)

USER, PASSWORD = "coupa-callouts", "callout-pass-9f2c"
SOURCE = "coupa_invoices"


@pytest.fixture(scope="module")
def coupa() -> Iterator[str]:
    base, stop = run_in_thread(
        CoupaSandboxSettings(
            scale=0.02, faults=FaultSettings(rate_limit_enabled=False), callouts={"auto_deliver": False}
        )
    )
    yield base
    stop()


@pytest.fixture
def receiver(tmp_path) -> Iterator[Callable[..., tuple[str, Ledger]]]:
    """A real receiver over one Coupa invoices source built with ``auth`` on a fresh SQLite ledger."""
    stops = []

    def start(**auth: Any) -> tuple[str, Ledger]:
        ledger = Ledger(f"sqlite:///{tmp_path / f'ledger{len(stops)}.sqlite'}")
        url, stop = serve_in_thread(
            create_receiver({SOURCE: coupa_source(SOURCE, "invoices", **auth)}, ledger)
        )
        stops.append(stop)
        return url, ledger

    yield start
    for stop in stops:
        stop()


def _deliver(coupa: str, subscription: dict[str, Any], settings: dict[str, Any] | None = None) -> list[dict]:
    """Subscribe, send one fresh invoice's call-out, and return the simulator's record of the delivery."""
    admin = f"{coupa}/sandbox"
    requests.post(
        f"{admin}/settings", json={"callouts": {"sign": False, **(settings or {})}}, timeout=10
    ).raise_for_status()
    answer = requests.post(f"{admin}/callouts", json={"resource": "invoices", **subscription}, timeout=10)
    answer.raise_for_status()
    subscription_id = answer.json()["id"]
    try:
        changed = requests.post(f"{admin}/activity", json={"updated_invoices": 1}, timeout=30).json()
        [invoice] = changed["updated"]["invoices"]
        sent = requests.post(
            f"{admin}/callouts/deliver",
            json={"resource": "invoices", "ids": [invoice], "wait_seconds": 10},
            timeout=30,
        ).json()
        return [{**d, "invoice": invoice} for d in sent["deliveries"]]
    finally:
        requests.delete(f"{admin}/callouts/{subscription_id}", timeout=10)


def _stored(ledger: Ledger) -> list[int]:
    return [json.loads(e.body)["id"] for e in ledger.inbox_pending(source=SOURCE, limit=100)]


def test_basic_auth_callouts_are_stored_and_wrong_credentials_refused(coupa, receiver):
    url, ledger = receiver(scheme="basic", basic_username=USER, basic_password=PASSWORD)
    hook = {"url": f"{url}/webhooks/{SOURCE}", "auth": "basic"}
    [ok] = _deliver(coupa, {**hook, "username": USER, "password": PASSWORD})
    assert ok["status_code"] == 200 and _stored(ledger) == [ok["invoice"]]
    [forged] = _deliver(coupa, {**hook, "username": USER, "password": "guessed"})
    [bare] = _deliver(coupa, {**hook, "auth": "none"})
    assert forged["status_code"] == bare["status_code"] == 401
    assert _stored(ledger) == [ok["invoice"]]  # nothing more


def test_oauth_callouts_fetch_a_bearer_from_the_receivers_own_token_url(coupa, receiver):
    url, ledger = receiver(scheme="oauth2", basic_username=USER, basic_password=PASSWORD)
    token_url = f"{url}/webhooks/{SOURCE}/token"
    hook = {"url": f"{url}/webhooks/{SOURCE}", "auth": "oauth2", "token_url": token_url, "client_id": USER}
    [ok] = _deliver(coupa, {**hook, "client_secret": PASSWORD})
    assert ok["status_code"] == 200 and _stored(ledger) == [ok["invoice"]]
    # A wrong client secret gets no token, so the call-out never goes out; nothing is stored.
    [refused] = _deliver(coupa, {**hook, "client_secret": "guessed"})
    assert refused["ok"] is False and "token URL answered 401" in refused["error"]
    assert _stored(ledger) == [ok["invoice"]]


def test_the_token_url_speaks_client_credentials_and_its_tokens_are_its_own(receiver):
    url, ledger = receiver(scheme="oauth2", basic_username=USER, basic_password=PASSWORD)
    token_url = f"{url}/webhooks/{SOURCE}/token"
    pair = base64.urlsafe_b64encode(f"{USER}:{PASSWORD}".encode()).decode()  # as Coupa encodes it
    basic = {"Authorization": f"Basic {pair}"}
    issued = requests.post(token_url, data={"grant_type": "client_credentials"}, headers=basic, timeout=10)
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    reply = issued.json()
    assert reply["token_type"] == "bearer" and reply["expires_in"] > 0 and reply["access_token"]
    as_json = requests.post(token_url, json={"grant_type": "client_credentials"}, headers=basic, timeout=10)
    assert as_json.status_code == 200
    wrong = requests.post(token_url, data={"grant_type": "password"}, headers=basic, timeout=10)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "unsupported_grant_type")
    stranger = requests.post(
        token_url, data={"grant_type": "client_credentials"}, auth=(USER, "x"), timeout=10
    )
    assert (stranger.status_code, stranger.json()["error"]) == (401, "invalid_client")

    stamp = datetime.now(UTC).isoformat()
    body = json.dumps({"id": 31, "updated-at": stamp}).encode()
    hook = f"{url}/webhooks/{SOURCE}"
    bearer = {"Authorization": f"Bearer {reply['access_token']}", "Content-Type": "application/json"}
    assert requests.post(hook, data=body, headers=bearer, timeout=10).status_code == 200
    made_up = {"Authorization": "Bearer 9999999999.deadbeef", "Content-Type": "application/json"}
    other = json.dumps({"id": 32, "updated-at": stamp}).encode()
    assert requests.post(hook, data=other, headers=made_up, timeout=10).status_code == 401
    assert requests.post(hook, data=other, auth=(USER, PASSWORD), timeout=10).status_code == 401  # not basic
    assert _stored(ledger) == [31]


def test_the_hmac_variant_is_kept_for_a_signing_relay(coupa, receiver):
    url, ledger = receiver(scheme="hmac", secret="relay-key")
    hook = {"url": f"{url}/webhooks/{SOURCE}", "auth": "none"}
    [ok] = _deliver(coupa, hook, {"sign": True, "signing_secret": "relay-key"})
    assert ok["status_code"] == 200 and _stored(ledger) == [ok["invoice"]]
    [unsigned] = _deliver(coupa, {**hook, "auth": "basic", "username": USER, "password": PASSWORD})
    assert unsigned["status_code"] == 401 and _stored(ledger) == [ok["invoice"]]


def test_the_deployment_takes_what_coupa_documents_by_default(monkeypatch):
    """``ML_COUPA_WEBHOOK_AUTH`` chooses the scheme: Basic unless set; only OAuth serves a token URL."""
    for name in ("ML_COUPA_WEBHOOK_AUTH", "ML_COUPA_WEBHOOK_USERNAME", "ML_COUPA_WEBHOOK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    body = json.dumps({"id": 5, "updated-at": datetime.now(UTC).isoformat()}).encode()
    default = configured_sources({})["coupa_invoices"]
    good = base64.b64encode(b"ml-connector-callouts:sandbox-coupa-callout").decode()
    default.verify({"authorization": f"Basic {good}"}, body)
    assert default.token is None
    oauth = configured_sources({"ML_COUPA_WEBHOOK_AUTH": "oauth2"})["coupa_payments"]
    assert oauth.token is not None
    with pytest.raises(ValueError, match="ML_COUPA_WEBHOOK_AUTH"):
        configured_sources({"ML_COUPA_WEBHOOK_AUTH": "signed"})


def test_an_instance_of_its_own_tenant_needs_its_own_callout_password(monkeypatch):
    """Under Basic, an instance's own connection must name its own call-out password: one naming only an
    HMAC secret would be verified with the deployment's credentials, taking the deployment's tenant's
    call-outs for its own, so it gets no endpoint."""
    from connector_resources import configured_settings

    monkeypatch.delenv("ML_COUPA_WEBHOOK_AUTH", raising=False)
    monkeypatch.setenv("WEST_CALLOUT_PASSWORD", "west-pass")
    try:
        configured_settings.connect("east", {"ML_COUPA_WEBHOOK_SECRET": "env:WEST_CALLOUT_PASSWORD"})
        configured_settings.connect(
            "west",
            {"ML_COUPA_WEBHOOK_USERNAME": "west", "ML_COUPA_WEBHOOK_PASSWORD": "env:WEST_CALLOUT_PASSWORD"},
        )
        sources = configured_sources(instances=["east", "west"])
    finally:
        configured_settings.forget()
    assert not any(name.startswith("east_") for name in sources)
    own = sources["west_coupa_invoices"]
    body = json.dumps({"id": 5, "updated-at": datetime.now(UTC).isoformat()}).encode()
    own.verify({"authorization": "Basic " + base64.b64encode(b"west:west-pass").decode()}, body)
    deployment = "Basic " + base64.b64encode(b"ml-connector-callouts:sandbox-coupa-callout").decode()
    with pytest.raises(WebhookRejected):
        own.verify({"authorization": deployment}, body)
