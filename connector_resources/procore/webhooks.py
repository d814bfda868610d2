"""Procore webhooks: managing hooks and triggers, authenticating deliveries, reading their payloads.

Procore signs nothing (reference §2.10: no HMAC; guides that mention ``X-Procore-Signature`` invent
it). A delivery is authentic when it carries exactly the ``destination_headers`` registered with the
hook (we register ``Authorization: Bearer <webhook token>``), over HTTPS. ``verify_procore_delivery``
is that check, in constant time, and it is the receiver's only line of defence, so it refuses when
nothing is expected and when a header arrives twice.

Management (``ProcoreWebhooks``, from ``session.webhooks``) follows the project's rule for writes: a
hook or trigger is searched before it is created (``ensure_hook`` by namespace, one per app;
``ensure_triggers`` by resource and event), and a create whose answer is lost is resolved by listing
again. Hook answers echo the destination headers; the copies returned here have their values masked
so they can be logged or stored.

Payload versions (v2 default, v3 adds ``related_resources``, v4 renames ``event_type`` -> ``reason``
and ``resource_name`` -> ``resource_type``, ids as strings, no ``ulid``) are read by
``parse_procore_event`` into one ``ProcoreEvent``. Deliveries repeat: dedupe on ``dedupe_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from connector_resources.procore.entities import API, RESOURCE_ENTITIES
from connector_resources.procore.errors import (
    ProcoreError,
    ProcoreNotFoundError,
    ProcoreOutcomeUnknownError,
    ProcoreValidationError,
)
from connector_resources.procore.paging import parse_timestamp
from connector_resources.redaction import MASK, get_logger, register_secret

if TYPE_CHECKING:
    from connector_resources.procore.session import ProcoreSession

log = get_logger("ml_connector.procore.webhooks")

EVENT_TYPES = ("create", "update", "delete")
DELIVERY_STATUSES = ("any", "successful", "discarded", "failing")
_NAMESPACE = re.compile(r"^[a-z0-9-]+$")
_HOOKS = f"{API}/webhooks/hooks"


# -- authenticating a delivery -----------------------------------------------------------------------


def delivery_headers(token: str) -> dict[str, str]:
    """The destination headers this connector registers: ``Authorization: Bearer <token>``."""
    if not token:
        raise ValueError("the webhook token is empty; set ML_PROCORE_WEBHOOK_TOKEN")
    register_secret(token)
    return {"Authorization": f"Bearer {token}"}


def verify_procore_delivery(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], expected_headers: Mapping[str, str]
) -> bool:
    """True when ``headers`` (a delivery's, any case) carry every expected header exactly once with
    exactly the expected value. Compared with ``hmac.compare_digest`` and without stopping at the
    first mismatch, so timing does not reveal how much of a token was right. Nothing expected, an
    empty expected value, or a repeated header -> False."""
    if not expected_headers:
        return False
    pairs = headers.items() if isinstance(headers, Mapping) or hasattr(headers, "items") else headers
    received: dict[str, list[str]] = {}
    for name, value in pairs:  # type: ignore[union-attr]
        received.setdefault(str(name).lower(), []).append(str(value))
    ok = True
    for name, value in expected_headers.items():
        want = str(value or "").encode("utf-8")
        got = received.get(str(name).lower(), [])
        candidate = got[0].encode("utf-8") if len(got) == 1 else b""
        same = hmac.compare_digest(candidate, want)
        ok = ok and same and bool(want) and len(got) == 1
    return ok


# -- reading a delivery ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcoreEvent:
    """One webhook event, whatever its payload version. ``entity`` is the connector's entity name
    (``vendors``, ``commitments`` ...) or None for resources the connector does not read;
    ``parent_id`` is the parent record of a line-item event (v3+ ``related_resources``)."""

    dedupe_key: str
    resource_name: str
    event_type: str
    resource_id: int | str
    entity: str | None
    company_id: int | str | None = None
    project_id: int | str | None = None
    user_id: int | str | None = None
    source_application_id: str | None = None
    timestamp: datetime | None = None
    api_version: str = ""
    parent_id: int | str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def is_from(self, application_id: str) -> bool:
        """Whether this event reports our own write (filter those to avoid sync loops)."""
        return bool(application_id) and self.source_application_id == application_id


def _id(value: Any) -> int | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def parse_procore_event(payload: Mapping[str, Any]) -> ProcoreEvent:
    """A delivery body as a ``ProcoreEvent``; ``ProcoreValidationError`` naming the missing field."""
    if not isinstance(payload, Mapping):
        raise ProcoreValidationError(
            f"a Procore delivery must be a JSON object, got {type(payload).__name__}",
            fields={"body": ["is not a JSON object"]},
        )
    label = f"delivery {payload.get('ulid') or payload.get('id') or '(no id)'}"
    resource_name = payload.get("resource_name") or payload.get("resource_type")
    event_type = payload.get("event_type") or payload.get("reason")
    resource_id = _id(payload.get("resource_id"))
    missing = {
        name: ["is missing"]
        for name, value in (
            ("resource_name", resource_name),
            ("event_type", event_type),
            ("resource_id", resource_id),
        )
        if value in (None, "")
    }
    if missing:
        raise ProcoreValidationError(
            f"Procore {label}: " + "; ".join(f"field {k!r} is missing" for k in missing),
            record=label,
            fields=missing,
        )
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), Mapping) else {}
    if payload.get("ulid"):
        key = f"ulid:{payload['ulid']}"
    elif payload.get("id") not in (None, ""):
        key = f"id:{payload['id']}"
    else:  # no id at all: the content is the identity
        key = (
            "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
        )
    related = payload.get("related_resources")
    parent = None
    if isinstance(related, list) and related and isinstance(related[0], Mapping):
        parent = _id(related[0].get("id"))
    try:
        stamp: datetime | None = parse_timestamp(payload.get("timestamp"))
    except ValueError:
        stamp = None
    project = payload.get("project_id")
    if project in (None, ""):
        project = metadata.get("source_project_id")
    app = metadata.get("source_application_id")
    return ProcoreEvent(
        dedupe_key=key,
        resource_name=str(resource_name),
        event_type=str(event_type).lower(),
        resource_id=resource_id,  # type: ignore[arg-type]
        entity=RESOURCE_ENTITIES.get(str(resource_name)),
        company_id=_id(payload.get("company_id") or metadata.get("source_company_id")),
        project_id=_id(project),
        user_id=_id(payload.get("user_id") or metadata.get("source_user_id")),
        source_application_id=str(app) if app not in (None, "") else None,
        timestamp=stamp,
        api_version=str(payload.get("api_version") or ""),
        parent_id=parent,
        raw=dict(payload),
    )


# -- managing hooks and triggers ---------------------------------------------------------------------


@dataclass(frozen=True)
class HookSync:
    """The answer of ``ensure_hook``: the hook (header values masked) and what was done."""

    hook: dict[str, Any]
    action: Literal["created", "adopted", "updated"]

    @property
    def id(self) -> int | str:
        return _id(self.hook["id"])  # type: ignore[return-value]


@dataclass(frozen=True)
class TriggerSync:
    """The answer of ``ensure_triggers``: triggers created now and the ones already there."""

    created: list[dict[str, Any]]
    existing: list[dict[str, Any]]


def _masked(hook: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(hook)
    headers = out.get("destination_headers")
    if isinstance(headers, Mapping):
        out["destination_headers"] = {k: MASK for k in headers}
    return out


def _pair(trigger: Mapping[str, Any]) -> tuple[str, str]:
    inner = trigger.get("trigger") if isinstance(trigger.get("trigger"), Mapping) else trigger
    name = inner.get("resource_name") or inner.get("resource_type") or ""
    event = inner.get("event_type") or inner.get("reason") or ""
    return str(name), str(event).lower()


class ProcoreWebhooks:
    """Hook and trigger management for the session's company (reference §2.10)."""

    def __init__(self, session: ProcoreSession, token: Callable[[], str] | None = None) -> None:
        self._session = session
        self._token = token

    @property
    def _company(self) -> dict[str, Any]:
        return {"company_id": self._session.company_id}

    def default_headers(self) -> dict[str, str]:
        """``Authorization: Bearer <webhook token>`` from the resource's ``webhook_token`` setting."""
        if self._token is None:
            raise ValueError("no webhook token configured; pass destination_headers or set webhook_token")
        return delivery_headers(self._token())

    def resources(self) -> list[str]:
        """The ``resource_name`` values this company's triggers accept (``/webhooks/resources``)."""
        rows = self._session.rows_of(
            f"{API}/webhooks/resources", self._company, what="list webhook resources", paginated=False
        )
        names = []
        for row in rows:
            # The SDK's WebhooksResource names the resource under ``tools``; name / resource_name kept
            # for servers that answer in the older shape.
            name = row.get("tools") or row.get("name") or row.get("resource_name")
            if name:
                names.append(str(name))
        return names

    def list_hooks(self, namespace: str = "*") -> list[dict[str, Any]]:
        """The company's hooks in ``namespace`` (``*`` = all), header values masked."""
        return [_masked(h) for h in self._raw_hooks(namespace)]

    def _raw_hooks(self, namespace: str) -> list[dict[str, Any]]:
        return list(
            self._session.rows_of(
                _HOOKS, {**self._company, "namespace": namespace}, what="list webhook hooks", paginated=False
            )
        )

    @staticmethod
    def _check_namespace(namespace: str) -> None:
        if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
            raise ProcoreValidationError(
                f"webhook namespace {namespace!r} must be lowercase letters, digits and dashes",
                record=f"hook {namespace!r}",
                fields={"namespace": ["must be lowercase letters, digits and dashes"]},
            )

    def create_hook(
        self,
        namespace: str,
        destination_url: str,
        destination_headers: Mapping[str, str] | None = None,
        *,
        api_version: str = "v2",
    ) -> dict[str, Any]:
        """Create a company hook (one namespace per app). Prefer ``ensure_hook``: a lost answer
        raises ``ProcoreOutcomeUnknownError``."""
        self._check_namespace(namespace)
        headers = dict(destination_headers) if destination_headers is not None else self.default_headers()
        for value in headers.values():
            register_secret(value)
        body = {
            **self._company,
            "hook": {
                "api_version": api_version,
                "namespace": namespace,
                "destination_url": destination_url,
                "destination_headers": headers,
            },
        }
        response = self._session.call(
            "POST",
            _HOOKS,
            body=body,
            what="create webhook hook",
            record=f"hook {namespace!r}",
            idempotent=False,
        )
        return _masked(self._session.object_of(response, "create webhook hook"))

    def update_hook(self, hook_id: int | str, **changes: Any) -> dict[str, Any]:
        """Change a hook's fields (``destination_url``, ``destination_headers``, ``api_version``);
        sent as idempotent: absolute values."""
        headers = changes.get("destination_headers")
        if isinstance(headers, Mapping):
            for value in headers.values():
                register_secret(value)
        response = self._session.call(
            "PATCH",
            f"{_HOOKS}/{hook_id}",
            body={**self._company, "hook": changes},
            what="update webhook hook",
            record=f"hook {hook_id}",
            idempotent=True,
        )
        return _masked(self._session.object_of(response, "update webhook hook"))

    def delete_hook(self, hook_id: int | str) -> None:
        """Delete a hook (its undelivered events go with it); a hook already gone is fine."""
        try:
            self._session.call(
                "DELETE",
                f"{_HOOKS}/{hook_id}",
                params=self._company,
                what="delete webhook hook",
                record=f"hook {hook_id}",
            )
        except ProcoreNotFoundError:
            log.info("procore hook %s was already gone", hook_id)

    def ensure_hook(
        self,
        namespace: str,
        destination_url: str,
        destination_headers: Mapping[str, str] | None = None,
        *,
        api_version: str = "v2",
    ) -> HookSync:
        """The company hook in ``namespace`` pointing at ``destination_url`` with these headers:
        adopted when it is already so, updated when its URL or headers differ, else created."""
        self._check_namespace(namespace)
        headers = dict(destination_headers) if destination_headers is not None else self.default_headers()
        for value in headers.values():
            register_secret(value)
        existing = self._find_hook(namespace)
        if existing is None:
            try:
                return HookSync(
                    self.create_hook(namespace, destination_url, headers, api_version=api_version), "created"
                )
            except (ProcoreOutcomeUnknownError, ProcoreValidationError):
                existing = self._find_hook(namespace)  # created after all, or a hook raced us
                if existing is None:
                    raise
        current_headers = existing.get("destination_headers")
        if existing.get("destination_url") == destination_url and current_headers == headers:
            return HookSync(_masked(existing), "adopted")
        updated = self.update_hook(
            existing["id"],
            destination_url=destination_url,
            destination_headers=headers,
            api_version=api_version,
        )
        return HookSync(updated, "updated")

    def _find_hook(self, namespace: str) -> dict[str, Any] | None:
        hooks = [h for h in self._raw_hooks(namespace) if h.get("namespace") in (None, namespace)]
        return hooks[0] if hooks else None

    def list_triggers(self, hook_id: int | str) -> list[dict[str, Any]] | None:
        """The hook's triggers, or None when this server has no trigger list (the reference only
        documents creating them)."""
        try:
            return list(
                self._session.rows_of(
                    f"{_HOOKS}/{hook_id}/triggers",
                    self._company,
                    what=f"list triggers of hook {hook_id}",
                    paginated=False,  # the SDK lists no paging parameters for triggers
                )
            )
        except ProcoreError as exc:
            if exc.status in (404, 405):
                return None
            raise

    def create_trigger(
        self, hook_id: int | str, resource_name: str, event_type: str, *, api_version: str = "v2"
    ) -> dict[str, Any]:
        """One trigger: deliver ``event_type`` events of ``resource_name`` to the hook."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"event_type {event_type!r} is not one of {', '.join(EVENT_TYPES)}")
        body = {
            **self._company,
            "api_version": api_version,
            "trigger": {"resource_name": resource_name, "event_type": event_type},
        }
        response = self._session.call(
            "POST",
            f"{_HOOKS}/{hook_id}/triggers",
            body=body,
            what="create webhook trigger",
            record=f"trigger {resource_name}/{event_type} of hook {hook_id}",
            idempotent=False,
        )
        return self._session.object_of(response, "create webhook trigger")

    def ensure_triggers(
        self,
        hook_id: int | str,
        resource_names: Sequence[str],
        event_types: Sequence[str] = EVENT_TYPES,
    ) -> TriggerSync:
        """Triggers for every (resource, event) pair: listed first, only the missing ones created.

        Resource names are checked against ``resources()`` when the server lists them (the names of
        commitments, requisitions etc. are unconfirmed), so a wrong name fails here, by name.
        """
        bad_events = [e for e in event_types if e not in EVENT_TYPES]
        if bad_events:
            raise ValueError(f"event types {bad_events} are not among {', '.join(EVENT_TYPES)}")
        try:
            known = set(self.resources())
        except ProcoreNotFoundError:
            known = set()
        unknown = [n for n in resource_names if known and n not in known]
        if unknown:
            raise ProcoreValidationError(
                f"hook {hook_id}: Procore has no webhook resource named {', '.join(map(repr, unknown))}; "
                f"this company offers: {', '.join(sorted(known))}",
                record=f"hook {hook_id}",
                fields={"resource_name": [f"{n!r} is not offered" for n in unknown]},
            )
        listed = self.list_triggers(hook_id)
        existing = list(listed or [])
        have = {_pair(t) for t in existing}
        created = []
        for name in resource_names:
            for event in event_types:
                if (name, event) in have:
                    continue
                try:
                    created.append(self.create_trigger(hook_id, name, event))
                except (ProcoreValidationError, ProcoreOutcomeUnknownError) as exc:
                    relisted = self.list_triggers(hook_id)
                    if relisted is not None and (name, event) in {_pair(t) for t in relisted}:
                        continue  # it exists: created by the lost attempt, or it was a duplicate
                    if relisted is None and isinstance(exc, ProcoreValidationError) and _is_duplicate(exc):
                        continue
                    raise
                have.add((name, event))
        return TriggerSync(created=created, existing=existing)

    def deliveries(self, hook_id: int | str, status: str = "any") -> Iterator[dict[str, Any]]:
        """The hook's delivery log (``filters[status]``: any, successful, discarded, failing), one call:
        the SDK pages this log by ``page_start`` / ``page_size``, not ``page`` / ``per_page``, so the
        newest page the server gives by default is what is read."""
        if status not in DELIVERY_STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(DELIVERY_STATUSES)}")
        yield from self._session.rows_of(
            f"{_HOOKS}/{hook_id}/deliveries",
            {**self._company, "filters[status]": status},
            what=f"list deliveries of hook {hook_id}",
            paginated=False,
        )


def _is_duplicate(exc: ProcoreValidationError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("taken", "already", "duplicate", "exists"))
