"""BILL's webhook notifications as a webhook source of the receiver (``connector_resources.webhooks``): how
a delivery is verified, identified and dated. BILL's declaration (``system.py``) builds its one endpoint from
the settings.

BILL's retry span is not documented, and a refused delivery is retried until BILL gives up and DISABLES the
subscription (all notifications stop): the default window is 3 days, so only a delivery far outside any
plausible retry span is refused. The time is the entity's ``updatedTime`` (the documented payload carries
no event time of its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connector_resources.webhooks.freshness import (
    DEFAULT_FUTURE_SKEW,
    EventTimeMissing,
    Freshness,
    parse_event_time,
)
from connector_resources.webhooks.live_secret import LiveSecret
from connector_resources.webhooks.sources import KEPT_HEADERS, Headers, WebhookRejected, WebhookSource

BILL_MAX_AGE = timedelta(days=3)


def bill_source(
    name: str,
    *,
    security_key: str | LiveSecret,
    time_field: str = "updatedTime",
    max_age: timedelta = BILL_MAX_AGE,
    future_skew: timedelta = DEFAULT_FUTURE_SKEW,
) -> WebhookSource:
    """BILL: ``x-bill-sha-signature`` = base64 HMAC-SHA256 of the raw body under the subscription's
    securityKey; ``metadata.eventId`` is unique per notification (duplicates happen, so it is the key).

    The documented ``metadata`` carries no time and no timestamp header is signed (reference 2.10), so
    the event time is the entity's own change time: ``time_field`` (``ML_BILL_WEBHOOK_TIME_FIELD``,
    default ``updatedTime``, documented on bill events) of the object named by the event type (``bill``
    for ``bill.updated``). A dotted value (``metadata.x``) is a path from the body's root instead.

    ``security_key`` may be a ``LiveSecret``: the key ``ml-connector bill-webhooks create`` / ``rotate``
    store in the vault is then picked up without a restart (a signed delivery that does not verify
    makes the receiver re-read it once; see ``live_secret``).
    """
    from connector_resources.bill.errors import BillError
    from connector_resources.bill.webhooks import parse_webhook_body, verify_bill_signature

    if not isinstance(security_key, LiveSecret):
        if not security_key:
            raise ValueError(f"webhook source {name}: the BILL securityKey is empty, nothing is verified")
        security_key = LiveSecret.fixed(security_key)
    key = security_key

    def verify(headers: Headers, body: bytes) -> None:
        signature = headers.get("x-bill-sha-signature", "")
        if signature:
            held = key.current()
            if held and verify_bill_signature(body, signature, held):
                return
            fresh = key.refreshed()  # rotated or created since it was read?
            if fresh and verify_bill_signature(body, signature, fresh):
                return
        raise WebhookRejected(f"{name}: missing or wrong x-bill-sha-signature")

    def payload_of(payload: Any) -> dict:
        if isinstance(payload, str):  # BILL may send the JSON as a JSON string
            try:
                return parse_webhook_body(payload.encode())
            except BillError as exc:
                raise ValueError(str(exc)) from None
        if not isinstance(payload, dict):
            raise ValueError("body is not a JSON object")
        return payload

    def event_id(_headers: Headers, payload: Any) -> str:
        metadata = payload_of(payload).get("metadata") or {}
        if not metadata.get("eventId"):
            raise ValueError("body has no metadata.eventId")
        return str(metadata["eventId"])

    def occurred_at(_headers: Headers, payload: Any) -> datetime:
        body = payload_of(payload)
        if "." in time_field:
            value: Any = body
            for part in time_field.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return parse_event_time(value, time_field)
        key, entity = _bill_entity(body)
        if entity is None:
            raise EventTimeMissing(f"no entity object to read {time_field!r} from (keys: {sorted(body)})")
        return parse_event_time(entity.get(time_field), f"{key}.{time_field}")

    return WebhookSource(
        name,
        verify,
        event_id,
        occurred_at,
        Freshness(max_age, future_skew),
        (*KEPT_HEADERS, "x-bill-sha-signature"),
    )


def _bill_entity(body: dict) -> tuple[str, dict | None]:
    """The entity object of a BILL delivery: the key the event type names (``bill`` for ``bill.updated``),
    else the one object beside ``metadata`` (entity keys of some event types are not documented)."""
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    key = str(metadata.get("eventType") or "").split(".", 1)[0]
    if key and isinstance(body.get(key), dict):
        return key, body[key]
    others = [(k, v) for k, v in body.items() if k != "metadata" and isinstance(v, dict)]
    return others[0] if len(others) == 1 else (key or "entity", None)
