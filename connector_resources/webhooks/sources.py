"""How each system's webhook deliveries are authenticated and identified.

A ``WebhookSource`` answers three questions about a delivery: is it genuine (``verify`` raises
``WebhookRejected`` otherwise), what is its event ID (the dedupe key in the inbox: a redelivery or a
replay of the same event stores nothing new), and when did it happen (``occurred_at``, read from the
field the source's reference documents and checked against the source's ``freshness`` window, so a
delivery without its event time, from the future or older than the sender's retry span is refused).
Verification always compares in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connector_resources.webhooks.freshness import (
    BILL_MAX_AGE,
    COUPA_MAX_AGE,
    DEFAULT_FUTURE_SKEW,
    PROCORE_MAX_AGE,
    EventTimeMissing,
    Freshness,
    parse_event_time,
)
from connector_resources.webhooks.live_secret import LiveSecret


class WebhookRejected(Exception):
    """The delivery is not authentic (or not acceptable); the receiver answers 401 and stores nothing."""


Headers = Mapping[str, str]
# The delivery headers kept with every event (``headers_of_interest``); a signed source adds its signature's.
KEPT_HEADERS = ("content-type", "user-agent")


@dataclass(frozen=True)
class WebhookSource:
    name: str
    verify: Callable[[Headers, bytes], None]
    event_id: Callable[[Headers, Any], str]
    # When the event happened, from the field the source documents; raises ``EventTimeMissing`` when the
    # delivery lacks it. No default: every source must say where its time is. None only for a source
    # whose reference documents no event time at all (its README row must then say it is not age-checked).
    occurred_at: Callable[[Headers, Any], datetime] | None
    freshness: Freshness
    headers_of_interest: tuple[str, ...] = field(default=KEPT_HEADERS)


def hmac_matches(
    secret: str, body: bytes, presented: str, *, encoding: str = "hex", prefix: str = ""
) -> bool:
    """True when ``presented`` is ``prefix`` + HMAC-SHA256(secret, body) in ``encoding`` (hex or base64)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    value = presented.strip()
    if prefix:
        if not value.startswith(prefix):
            return False
        value = value[len(prefix) :]
    if encoding == "hex":
        value = value.lower()
    return hmac.compare_digest(value.encode(), expected.encode())


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


def parse_json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


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
