"""Procore's hooks as a webhook source of the receiver (``connector_resources.webhooks``): how a delivery is
verified, identified and dated. Procore's declaration (``system.py``) builds its one endpoint from the
settings.

Procore retries for at most 12 hours, then discards (reference 2.10, confirmed): the default window is 13
hours, the 12-hour span plus the last capped (1 h) backoff interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connector_resources.webhooks.freshness import DEFAULT_FUTURE_SKEW, Freshness, parse_event_time
from connector_resources.webhooks.live_secret import LiveSecret
from connector_resources.webhooks.sources import KEPT_HEADERS, Headers, WebhookRejected, WebhookSource

PROCORE_MAX_AGE = timedelta(hours=13)


def procore_source(
    name: str,
    *,
    token: str | LiveSecret,
    max_age: timedelta = PROCORE_MAX_AGE,
    future_skew: timedelta = DEFAULT_FUTURE_SKEW,
) -> WebhookSource:
    """Procore hooks: no signature exists; the registered destination header is the authentication.

    The event ID is the delivery's ``ulid`` (or, for payloads without one, the event's own key), so
    Procore's retries and duplicate deliveries store nothing new. The event time is the payload's
    ``timestamp`` (reference 2.10, every payload version); Procore retries for 12 hours at most.

    ``token`` may be a ``LiveSecret``: the token ``ml-connector procore-webhooks create`` / ``rotate``
    store in the vault is then picked up without a restart (as BILL's key is).
    """
    from connector_resources.procore.errors import ProcoreError
    from connector_resources.procore.webhooks import (
        delivery_headers,
        parse_procore_event,
        verify_procore_delivery,
    )

    if not isinstance(token, LiveSecret):
        delivery_headers(token)  # an empty token verifies nothing: refused here
        token = LiveSecret.fixed(token)
    live = token

    def verify(headers: Headers, _body: bytes) -> None:
        held = live.current()
        if held and verify_procore_delivery(headers, delivery_headers(held)):
            return
        fresh = live.refreshed()  # rotated or created since it was read?
        if fresh and verify_procore_delivery(headers, delivery_headers(fresh)):
            return
        raise WebhookRejected(f"{name}: missing or wrong destination header")

    def event_id(_headers: Headers, payload: Any) -> str:
        try:
            return parse_procore_event(payload).dedupe_key
        except ProcoreError as exc:
            raise ValueError(str(exc)) from None

    def occurred_at(_headers: Headers, payload: Any) -> datetime:
        return parse_event_time(payload.get("timestamp") if isinstance(payload, dict) else None, "timestamp")

    return WebhookSource(name, verify, event_id, occurred_at, Freshness(max_age, future_skew), KEPT_HEADERS)
