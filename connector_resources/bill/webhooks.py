"""BILL webhooks: the signature check, the body reader, and subscription management.

Signature (reference §2.10, confirmed): header ``x-bill-sha-signature`` =
``base64(HMAC-SHA256(key=subscription securityKey, msg=raw request body))``. It must be checked over
the bytes as received (re-serialising the JSON would change them) and compared in constant time.
No timestamp is signed, so replays are caught by deduplicating on ``metadata.eventId``.

Subscriptions live on a separate base (``.../connect-events``) with the same ``devKey`` +
``sessionId`` headers. Creating one needs an ``X-Idempotent-Key`` (UUID4): the one write in BILL that
can be retried safely, so it is, with the same key. The ``securityKey`` is shown once, in the create
answer (or by rotating it); it is registered as a secret the moment it is seen, and the caller must
store it (the credential vault) since BILL will never show it again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connector_resources.bill.errors import BillDataError, BillInputError, BillNotFoundError
from connector_resources.redaction import register_secret

if TYPE_CHECKING:
    from connector_resources.bill.session import BillSession

SIGNATURE_HEADER = "x-bill-sha-signature"
# Reference 2.10: "Max 10 subscriptions per org" (a create beyond it is refused).
MAX_SUBSCRIPTIONS_PER_ORG = 10


def verify_bill_signature(body: bytes, header: str, security_key: str) -> bool:
    """True when ``header`` is the base64 HMAC-SHA256 of ``body`` under ``security_key``.

    Constant-time; any malformed input (empty header or key, not base64) is simply False.
    """
    if not isinstance(body, bytes | bytearray) or not header or not security_key:
        return False
    try:
        received = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(security_key.encode("utf-8"), bytes(body), hashlib.sha256).digest()
    return hmac.compare_digest(expected, received)


def parse_webhook_body(body: bytes) -> dict[str, Any]:
    """A delivery's JSON (amounts as Decimal) as a dict, also when BILL sends it as a JSON *string*
    holding the JSON (the docs say payloads are "JSON-escaped and presented as a string"; whether
    live deliveries do that is ambiguous, so both are read). ``BillDataError`` otherwise."""
    try:
        payload: Any = json.loads(body, parse_float=Decimal)
        if isinstance(payload, str):
            payload = json.loads(payload, parse_float=Decimal)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise BillDataError("BILL webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise BillDataError(f"BILL webhook body is a JSON {type(payload).__name__}, not an object")
    return payload


def _event(value: Any, index: int) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"type": value.strip(), "version": "1"}
    if isinstance(value, Mapping) and isinstance(value.get("type"), str) and value["type"].strip():
        return {"type": value["type"].strip(), "version": str(value.get("version") or "1")}
    raise BillInputError(f"subscription: events[{index}] must be an event type such as 'bill.updated'")


class SubscriptionsMixin:
    """Webhook subscription management for ``BillSession`` (uses its ``_call`` with ``events=True``)."""

    def create_subscription(
        self: BillSession,
        *,
        name: str,
        events: Sequence[str | Mapping[str, Any]],
        notification_url: str,
        enabled: bool = True,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Subscribe ``notification_url`` to ``events`` (``"bill.updated"`` or ``{type, version}``).

        Returns BILL's subscription including the one-time ``securityKey`` (already registered as a
        secret; store it in the vault). Retried with the same ``X-Idempotent-Key`` (a UUID4, made
        here unless given), so a lost answer cannot make a second subscription.
        """
        if not name or not name.strip():
            raise BillInputError("subscription: name is required")
        if not notification_url or not notification_url.startswith(("https://", "http://")):
            raise BillInputError(f"subscription {name!r}: notificationUrl must be an http(s) URL")
        if isinstance(events, str | Mapping) or not events:
            raise BillInputError(f"subscription {name!r}: events needs at least one event type")
        key = idempotency_key or str(uuid.uuid4())
        try:
            if uuid.UUID(key).version != 4:
                raise ValueError
        except ValueError:
            raise BillInputError(f"subscription {name!r}: X-Idempotent-Key must be a UUID4") from None
        body = {
            "name": name.strip(),
            "status": {"enabled": bool(enabled)},
            "events": [_event(e, i) for i, e in enumerate(events)],
            "notificationUrl": notification_url,
        }
        record = f"webhook subscription {name.strip()!r} for {notification_url}"
        payload = self._call(
            "POST",
            "v3/subscriptions",
            what=f"create {record}",
            record=record,
            body=body,
            headers={"X-Idempotent-Key": key},
            idempotent=True,
            events=True,
        )
        subscription = self._object(payload)
        security_key = subscription.get("securityKey")
        if isinstance(security_key, str):
            register_secret(security_key)
        return subscription

    def list_subscriptions(self: BillSession) -> list[dict[str, Any]]:
        """This organization's subscriptions (BILL never shows their keys again)."""
        payload = self._call("GET", "v3/subscriptions", what="list webhook subscriptions", events=True)
        rows = payload.get("results") if isinstance(payload, Mapping) else payload
        if not isinstance(rows, list):
            raise BillDataError("BILL answered the subscription list with something other than a list")
        return [row for row in rows if isinstance(row, dict)]

    def find_subscriptions(self: BillSession, *, notification_url: str) -> list[dict[str, Any]]:
        """Subscriptions delivering to ``notification_url`` (to adopt one made by an earlier run)."""
        return [s for s in self.list_subscriptions() if s.get("notificationUrl") == notification_url]

    def update_subscription(
        self: BillSession,
        subscription_id: str,
        *,
        enabled: bool | None = None,
        events: Sequence[str | Mapping[str, Any]] | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """PATCH what is given of a subscription: its status, its event list, its name. BILL refuses an
        event list that would make it a duplicate of another subscription to the same URL."""
        body: dict[str, Any] = {}
        changes: list[str] = []
        if enabled is not None:
            body["status"] = {"enabled": bool(enabled)}
            changes.append("enable" if enabled else "disable")
        if events is not None:
            if isinstance(events, str | Mapping) or not events:
                raise BillInputError(f"subscription {subscription_id}: events needs at least one event type")
            body["events"] = [_event(e, i) for i, e in enumerate(events)]
            changes.append("change the events of")
        if name is not None:
            if not name.strip():
                raise BillInputError(f"subscription {subscription_id}: name cannot be blank")
            body["name"] = name.strip()
            changes.append("rename")
        if not body:
            raise BillInputError(f"subscription {subscription_id}: nothing to update")
        payload = self._call(
            "PATCH",
            f"v3/subscriptions/{quote(subscription_id)}",
            what=f"{' and '.join(changes)} webhook subscription {subscription_id}",
            body=body,
            idempotent=True,
            events=True,
        )
        return self._object(payload)

    def delete_subscription(self: BillSession, subscription_id: str) -> bool:
        """Delete a subscription; False when BILL had none with that id (already deleted)."""
        try:
            self._call(
                "DELETE",
                f"v3/subscriptions/{quote(subscription_id)}",
                what=f"delete webhook subscription {subscription_id}",
                events=True,
            )
        except BillNotFoundError:
            return False
        return True

    def rotate_security_key(self: BillSession, subscription_id: str) -> str:
        """A new signing key for a subscription (used from the next delivery on); registered as a
        secret. ``POST /v3/subscriptions/{id}/security_key`` with an ``X-Idempotent-Key`` (UUID4), as the
        collection's 'Create a security key' and the 2024-05-20 changelog give it; retried with the same
        key, so a lost answer does not rotate twice."""
        payload = self._call(
            "POST",
            f"v3/subscriptions/{quote(subscription_id)}/security_key",
            what=f"rotate the key of webhook subscription {subscription_id}",
            headers={"X-Idempotent-Key": str(uuid.uuid4())},
            idempotent=True,
            events=True,
        )
        key = payload.get("securityKey") if isinstance(payload, Mapping) else None
        if not isinstance(key, str) or not key:
            raise BillDataError(f"BILL rotated the key of subscription {subscription_id} but sent none")
        register_secret(key)
        return key


def subscription_event_types(subscription: Mapping[str, Any]) -> tuple[str, ...]:
    """The event types a subscription (as BILL lists it) delivers, sorted; versions left out."""
    events = subscription.get("events")
    if not isinstance(events, list):
        return ()
    kinds = (e.get("type") if isinstance(e, Mapping) else e for e in events)
    return tuple(sorted({k for k in kinds if isinstance(k, str) and k}))


def subscription_enabled(subscription: Mapping[str, Any]) -> bool:
    """Whether BILL delivers to the subscription now (``status.enabled``; BILL turns it off itself when
    a delivery's retries are exhausted)."""
    status = subscription.get("status")
    return bool(status.get("enabled")) if isinstance(status, Mapping) else False
