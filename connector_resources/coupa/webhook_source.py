"""Coupa's call-outs as a webhook source of the receiver (``connector_resources.webhooks``): how a call-out
is verified, identified and dated. Coupa's declaration (``system.py``) builds one per call-out resource from
the settings.

Coupa documents no call-out retry policy (failed call-outs are listed for an operator to resend), so the
default window is 24 hours; a later resend is covered by the 15-minute polling fallback.
"""

from __future__ import annotations

import base64
import hmac
from datetime import datetime, timedelta
from typing import Any

from connector_resources.webhooks.freshness import DEFAULT_FUTURE_SKEW, Freshness, parse_event_time
from connector_resources.webhooks.sources import (
    KEPT_HEADERS,
    Headers,
    WebhookRejected,
    WebhookSource,
    hmac_matches,
)

COUPA_MAX_AGE = timedelta(hours=24)


def _basic_matches(header: str, username: str, password: str) -> bool:
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def coupa_source(
    name: str,
    resource: str,
    *,
    secret: str | None,
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

    Coupa documents no call-out signature; ml-connector's call-outs are configured to send an
    HMAC-SHA256 of the body (header, hex/base64 and prefix configurable), and basic auth is checked
    too when a user name is set. At least one of the two must be configured. The default payload is the
    record itself, so the event ID is ``resource:id:updated-at`` (one version of one record); an
    envelope payload's ``event-id`` is used when present.

    The call-out payload format is unconfirmed, so the event-time field is a setting
    (``ML_COUPA_WEBHOOK_TIME_FIELD``): looked up on the payload, then on an envelope's ``data`` record.
    The default is the record's documented ``updated-at`` (when the change being announced was made).
    """
    if not secret and not basic_username:
        raise ValueError(
            f"webhook source {name}: configure an HMAC secret or basic auth, or nothing is verified"
        )

    def verify(headers: Headers, body: bytes) -> None:
        if secret:
            presented = headers.get(header.lower(), "")
            if not presented or not hmac_matches(secret, body, presented, encoding=encoding, prefix=prefix):
                raise WebhookRejected(f"{name}: missing or wrong {header}")
        authorization = headers.get("authorization", "")
        if basic_username and not _basic_matches(authorization, basic_username, basic_password or ""):
            raise WebhookRejected(f"{name}: wrong basic credentials")

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

    return WebhookSource(
        name, verify, event_id, occurred_at, Freshness(max_age, future_skew), (*KEPT_HEADERS, header.lower())
    )
