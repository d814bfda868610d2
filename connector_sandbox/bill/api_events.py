"""Webhook management API under ``/connect-events/v3`` (reference 2.10).

Subscription creation requires ``X-Idempotent-Key: <UUID4>``; at most 10 subscriptions per
organization; a second subscription with the same events and URL is refused. The ``securityKey`` is
in the creation answer only (rotation returns a new one). Missing devKey/sessionId headers are 400
and invalid ones 401 on this API, as documented.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from . import errors
from .formats import now_ms
from .pipeline import Call, api_route, json_object, ok
from .validation import Checker
from .webhooks import EVENT_CATALOG, EVENT_VERSION, Subscription

EVENTS = "/connect-events"


def _subscription(call: Call) -> Subscription:
    found = call.state.hub.subscriptions.get(call.param("id"))
    if found is None or found.org_id != call.org:
        raise errors.error(404, errors.NO_DATA_FOR_ID, f"No subscription with id {call.param('id')!r}")
    return found


def _check(call: Call, body: dict[str, Any], check: Checker, *, partial: bool) -> dict[str, Any]:
    readonly = ("id", "organizationId", "createdTime", "updatedTime")
    check.unknown(body, "", ("name", "status", "events", "notificationUrl"), readonly)
    fields: dict[str, Any] = {}
    name = check.text(body, "name", "", required=not partial, limit="subscription.name")
    if name is not None:
        fields["name"] = name
    status = check.obj(body, "status", "")
    if status is not None:
        check.unknown(status, "status.", ("enabled",))
        enabled = check.boolean(status, "enabled", "status.")
        if enabled is not None:
            fields["enabled"] = enabled
    if "events" in body or not partial:
        events = check.objects(body, "events", "is required: a non-empty list of {type, version}")
        if events is not None:
            clean, seen = [], set()
            for path, event in events:
                check.unknown(event, path, ("type", "version"))
                kind = check.text(event, "type", path, required=True, choices=EVENT_CATALOG)
                version = check.text(event, "version", path, required=True, choices=(EVENT_VERSION,))
                if kind and version and (kind, version) in seen:
                    check.fail(path + "type", f"{kind} is listed twice")
                seen.add((kind, version))
                clean.append({"type": kind, "version": version})
            fields["events"] = clean
    url = check.text(body, "notificationUrl", "", required=not partial)
    if url is not None:
        parts = urlsplit(url)
        allowed = ("https",) if call.settings.webhooks.require_https else ("https", "http")
        if parts.scheme not in allowed or not parts.netloc:
            check.fail("notificationUrl", f"{url!r} is not an absolute {' or '.join(allowed)} URL")
        fields["notificationUrl"] = url
    return fields


def _duplicate(
    call: Call, url: str, events: list[dict[str, str]], exclude: str | None = None
) -> Subscription | None:
    wanted = {(event["type"], event["version"]) for event in events}
    for existing in call.state.hub.of_org(call.org):
        same_events = {(event["type"], event["version"]) for event in existing.events} == wanted
        if existing.id != exclude and existing.notification_url == url and same_events:
            return existing
    return None


async def catalog(call: Call) -> Response:
    # The collection's 'Get events catalog' answer: each type with the list of its ``versions``.
    return ok([{"type": kind, "versions": [EVENT_VERSION]} for kind in EVENT_CATALOG])


async def create(call: Call) -> Response:
    key = call.request.headers.get("X-Idempotent-Key")
    try:
        if not key or uuid.UUID(key).version != 4:
            raise ValueError
    except ValueError:
        raise errors.validation([f"X-Idempotent-Key: header must be a UUID4, got {key!r}"]) from None
    hub = call.state.hub
    remembered = hub.idempotency.get((call.org, key))
    if remembered is not None and call.settings.variants.idempotent_key_replay:
        return ok(remembered[1], remembered[0])
    body = json_object(call.body)
    check = Checker("subscription", strict=call.strict)
    fields = _check(call, body, check, partial=False)
    check.raise_if_any()
    if len(hub.of_org(call.org)) >= call.settings.webhooks.max_subscriptions_per_org:
        limit = call.settings.webhooks.max_subscriptions_per_org
        raise errors.error(
            400, errors.LIMIT_EXCEEDED, f"An organization can have at most {limit} subscriptions"
        )
    twin = _duplicate(call, fields["notificationUrl"], fields["events"])
    if twin is not None:
        raise errors.error(
            400, errors.DUPLICATE, f"Subscription {twin.id} already sends these events to this URL"
        )
    ms = now_ms()
    subscription = Subscription(
        id=str(uuid.UUID(int=call.state.rng.getrandbits(128), version=4)),
        org_id=call.org,
        name=fields["name"],
        enabled=fields.get("enabled", True),
        events=fields["events"],
        notification_url=fields["notificationUrl"],
        created_ms=ms,
        updated_ms=ms,
        security_key=hub.new_key(),
    )
    hub.add(subscription)
    answer = {**subscription.body(), "securityKey": subscription.security_key}
    hub.idempotency[(call.org, key)] = (201, answer)
    call.state.keep_webhooks()
    return ok(answer, 201)


async def list_subscriptions(call: Call) -> Response:
    # A list page, as the collection's 'Get list of subscriptions' says (``max``, ``page``; ``nextPage``
    # only): every subscription of an organization fits on one (10 at most).
    return ok({"results": [subscription.body() for subscription in call.state.hub.of_org(call.org)]})


async def get_subscription(call: Call) -> Response:
    return ok(_subscription(call).body())


async def update(call: Call) -> Response:
    subscription = _subscription(call)
    body = json_object(call.body)
    check = Checker(f"subscription {subscription.id}", strict=call.strict)
    fields = _check(call, body, check, partial=True)
    check.raise_if_any()
    url = fields.get("notificationUrl", subscription.notification_url)
    events = fields.get("events", subscription.events)
    twin = _duplicate(call, url, events, exclude=subscription.id)
    if twin is not None:
        raise errors.error(
            400, errors.DUPLICATE, f"Subscription {twin.id} already sends these events to this URL"
        )
    subscription.name = fields.get("name", subscription.name)
    subscription.notification_url, subscription.events = url, events
    if "enabled" in fields:
        subscription.enabled = fields["enabled"]
        subscription.disabled_reason = None if subscription.enabled else "disabled by the client"
    subscription.updated_ms = now_ms()
    call.state.keep_webhooks()
    return ok(subscription.body())


async def delete(call: Call) -> Response:
    call.state.hub.remove(_subscription(call).id)
    call.state.keep_webhooks()
    return Response(status_code=204)


async def rotate_key(call: Call) -> Response:
    subscription = _subscription(call)
    key = call.state.hub.rotate_key(subscription)
    call.state.keep_webhooks()
    return ok({"securityKey": key})


async def send_test(call: Call) -> Response:
    """Deliver one signed test event now; the answer reports what the receiver said."""
    subscription = _subscription(call)
    body = json_object(call.body if call.body is not None else {})
    check = Checker("test event", strict=False)
    kind = check.text(body, "eventType", "", required=True, choices=EVENT_CATALOG)
    check.text(body, "version", "", choices=(EVENT_VERSION,))
    check.raise_if_any()
    assert kind is not None
    sample = {key: value for key, value in body.items() if key not in ("eventType", "version")}
    outcome = await asyncio.to_thread(
        call.state.hub.send_test, subscription, kind, sample or {"id": "sample"}
    )
    return ok({"eventId": outcome.event_id, "statusCode": outcome.status_code, "delivered": outcome.ok})


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


async def history(call: Call) -> Response:
    """Delivery history, newest first, paged like every v3 list (``max`` <= 100, ``page``)."""
    subscription = _subscription(call)
    params = call.request.query_params
    try:
        size = int(params.get("max", call.settings.default_page_size))
        token = params.get("page")
        offset = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["o"] if token else 0
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.validation(["max/page: not a valid page size or page token"]) from None
    if not 1 <= size <= call.settings.max_page_size:
        raise errors.validation([f"max: must be between 1 and {call.settings.max_page_size}, got {size}"])
    entries = call.state.hub.history_of(subscription.id)
    entries.sort(key=lambda entry: (entry["createdTime"], entry["id"]), reverse=True)
    page = entries[offset : offset + size]
    answer: dict[str, Any] = {}
    if offset + size < len(entries):
        answer["nextPage"] = _page_token(offset + size)
    if offset and call.settings.variants.prev_page:
        answer["prevPage"] = _page_token(max(0, offset - size))
    answer["results"] = page
    return ok(answer)


def routes() -> list:
    base = "/v3/subscriptions"
    return [
        api_route("/v3/events/catalog", catalog, ["GET"], prefix=EVENTS),
        api_route(base, create, ["POST"], prefix=EVENTS),
        api_route(base, list_subscriptions, ["GET"], prefix=EVENTS),
        api_route(base + "/{id}", get_subscription, ["GET"], prefix=EVENTS),
        api_route(base + "/{id}", update, ["PATCH"], prefix=EVENTS),
        api_route(base + "/{id}", delete, ["DELETE"], prefix=EVENTS),
        # The collection and the changelog (2024-05-20) spell it ``security_key``; nothing publishes a hyphen.
        api_route(base + "/{id}/security_key", rotate_key, ["POST"], prefix=EVENTS),
        api_route(base + "/{id}/test", send_test, ["POST"], prefix=EVENTS),
        api_route("/v3/events/subscription/{id}", history, ["GET"], prefix=EVENTS),
    ]
