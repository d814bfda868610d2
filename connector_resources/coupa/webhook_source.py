"""Coupa's call-outs as a webhook source of the receiver (``connector_resources.webhooks``): how a call-out
is authenticated (``callout_auth``: Basic, an OAuth bearer from the token URL the receiver serves, or the
project's HMAC signature), identified and dated. Coupa's declaration (``system.py``) builds one per call-out
resource from the settings.

Coupa documents no call-out retry policy (failed call-outs are listed for an operator to resend), so the
default window is 24 hours; a later resend is covered by the 15-minute polling fallback.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connector_resources.coupa.callout_auth import DEFAULT_SCHEME, token_endpoint, verifier
from connector_resources.webhooks.freshness import DEFAULT_FUTURE_SKEW, Freshness, parse_event_time
from connector_resources.webhooks.sources import (
    KEPT_HEADERS,
    Headers,
    WebhookSource,
    hmac_matches,
)

COUPA_MAX_AGE = timedelta(hours=24)


def coupa_source(
    name: str,
    resource: str,
    *,
    secret: str | None = None,
    scheme: str | None = None,
    header: str = "X-Coupa-Signature",
    encoding: str = "hex",
    prefix: str = "",
    basic_username: str | None = None,
    basic_password: str | None = None,
    time_field: str = "updated-at",
    max_age: timedelta = COUPA_MAX_AGE,
    future_skew: timedelta = DEFAULT_FUTURE_SKEW,
) -> WebhookSource:
    """A Coupa call-out for ``resource`` (invoices or payments).

    ``scheme`` is how Coupa's call-out endpoint is configured (``callout_auth``): ``basic`` (the user name
    and password), ``oauth2`` (a bearer token this source's token URL issued to the client id
    ``basic_username`` with the secret ``basic_password``) or ``hmac`` (the project's own signature of the
    body in ``header``, hex/base64 with ``prefix``, with Basic checked too when a user name is set). Left
    None it is ``hmac`` when a secret is given, else ``basic``. The default payload is the record
    itself, so the event ID is ``resource:id:updated-at`` (one version of one record); an envelope payload's
    ``event-id`` is used when present.

    The call-out payload format is unconfirmed, so the event-time field is a setting
    (``ML_COUPA_WEBHOOK_TIME_FIELD``): looked up on the payload, then on an envelope's ``data`` record.
    The default is the record's documented ``updated-at`` (when the change being announced was made).
    """
    if scheme is None:
        scheme = "hmac" if secret else DEFAULT_SCHEME

    def signed(headers: Headers, body: bytes) -> bool:
        assert secret
        presented = headers.get(header.lower(), "")
        return bool(presented) and hmac_matches(secret, body, presented, encoding=encoding, prefix=prefix)

    verify = verifier(
        name,
        resource,
        scheme,
        username=basic_username,
        password=basic_password,
        hmac_check=signed if secret else None,
    )
    token = None
    if scheme == "oauth2":
        assert basic_username and basic_password
        token = token_endpoint(name, resource, basic_username, basic_password)

    def event_id(_headers: Headers, payload: Any) -> str:
        if not isinstance(payload, dict):
            raise ValueError("body is not a JSON object")
        if payload.get("event-id"):
            return str(payload["event-id"])
        record = payload.get("data") if isinstance(payload.get("data"), dict) else payload
        if record.get("id") is None or not record.get("updated-at"):
            raise ValueError("body has no id / updated-at")
        return f"{resource}:{record['id']}:{record['updated-at']}"

    def occurred_at(_headers: Headers, payload: Any) -> datetime:
        value = payload.get(time_field) if isinstance(payload, dict) else None
        record = payload.get("data") if isinstance(payload, dict) else None
        if value in (None, "") and isinstance(record, dict):
            value = record.get(time_field)
        return parse_event_time(value, time_field)

    kept = (*KEPT_HEADERS, header.lower()) if scheme == "hmac" else KEPT_HEADERS
    return WebhookSource(
        name, verify, event_id, occurred_at, Freshness(max_age, future_skew), kept, token=token
    )
