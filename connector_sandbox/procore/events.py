"""Webhook events: recorded when a resource changes, fanned out to the hooks whose triggers match.

An event is stored once; each matching hook gets a ``deliveries`` row that the sender works through.
The payload is rendered per hook at delivery time, in the payload format of the hook's ``api_version``
(reference section 2.10):

* v2 (legacy, the default): ``id``, ``ulid``, ``timestamp``, ``metadata``, ``user_id``, ``company_id``,
  ``project_id``, ``api_version``, ``event_type``, ``resource_name``, ``resource_id``;
* v3: v2 plus ``related_resources`` (the parent of line-item resources);
* v4: every id a string, ``reason`` instead of ``event_type``, ``resource_type`` instead of
  ``resource_name``, no ``ulid``.

Company Directory events (Company Vendors / Company Users) carry no ``project_id`` key at all.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from dataclasses import dataclass
from typing import Any

from .store import Store

FIRST_EVENT_ID = 987_650_001
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COMPANY_DIRECTORY = frozenset({"Company Vendors", "Company Users"})
PROJECT_DIRECTORY = frozenset({"Project Vendors", "Project Users"})


def new_ulid(moment: dt.datetime, rng: random.Random) -> str:
    """26-character Crockford base32 ULID: 48-bit millisecond time + 80 random bits."""
    value = (int(moment.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


@dataclass(frozen=True)
class Origin:
    """Who made a change: the app itself (an API write) or a person in the Procore UI (activity)."""

    user_id: int
    application_id: str | None


class EventLog:
    def __init__(self, store: Store, seed: int) -> None:
        self.store = store
        self._rng = random.Random(seed ^ 0xE7E7)
        self._lock = threading.Lock()

    def record(
        self,
        *,
        company_id: int,
        project_id: int | None,
        resource_name: str,
        event_type: str,
        resource_id: int,
        origin: Origin,
        related: list[dict[str, Any]] | None = None,
    ) -> int:
        """Store the event and queue a delivery for every hook with a matching trigger; returns how many."""
        now = dt.datetime.now(dt.UTC)
        if resource_name in COMPANY_DIRECTORY:
            project_id = None
        metadata = {
            "source_user_id": origin.user_id,
            "source_project_id": project_id,
            "source_operation_id": None,
            "source_company_id": company_id,
            "source_application_id": origin.application_id,
        }
        with self._lock:
            ulid = new_ulid(now, self._rng)
        with self.store.transaction() as conn:
            hooks = [
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT h.id FROM hooks h JOIN triggers t ON t.hook_id = h.id "
                    "WHERE t.resource_name = ? AND t.event_type = ? AND "
                    "((h.company_id = ? AND h.project_id IS NULL) OR h.project_id = ?) ORDER BY h.id",
                    (resource_name, event_type, company_id, project_id if project_id is not None else -1),
                )
            ]
            if not hooks:
                return 0  # nobody listens: Procore keeps no event either
            next_id = conn.execute(
                "SELECT COALESCE(MAX(id) + 1, ?) FROM events", (FIRST_EVENT_ID,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO events (id, ulid, timestamp, company_id, project_id, user_id, resource_name, "
                "event_type, resource_id, related, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    next_id,
                    ulid,
                    now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    company_id,
                    project_id,
                    origin.user_id,
                    resource_name,
                    event_type,
                    resource_id,
                    json.dumps(related) if related else None,
                    json.dumps(metadata),
                ),
            )
            created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            conn.executemany(
                "INSERT INTO deliveries (hook_id, event_id, status, created_at) VALUES (?, ?, 'pending', ?)",
                [(hook_id, next_id, created) for hook_id in hooks],
            )
        return len(hooks)


def render_payload(event: dict[str, Any], api_version: str) -> dict[str, Any]:
    """The JSON body Procore would POST for ``event`` to a hook registered with ``api_version``."""
    version = api_version.lstrip("v").split(".")[0]
    metadata = json.loads(event["metadata"])
    directory = event["resource_name"] in COMPANY_DIRECTORY
    if version == "4":
        body: dict[str, Any] = {
            "id": str(event["id"]),
            "timestamp": event["timestamp"],
            "metadata": {k: (str(v) if isinstance(v, int) else v) for k, v in metadata.items()},
            "user_id": str(event["user_id"]),
            "company_id": str(event["company_id"]),
            "api_version": "v4.0",
            "reason": event["event_type"],
            "resource_type": event["resource_name"],
            "resource_id": str(event["resource_id"]),
        }
        if not directory:
            body["project_id"] = None if event["project_id"] is None else str(event["project_id"])
        return body
    body = {
        "id": event["id"],
        "ulid": event["ulid"],
        "timestamp": event["timestamp"],
        "metadata": metadata,
        "user_id": event["user_id"],
        "company_id": event["company_id"],
        "api_version": f"v{version}.0",
        "event_type": event["event_type"],
        "resource_name": event["resource_name"],
        "resource_id": event["resource_id"],
    }
    if not directory:
        body["project_id"] = event["project_id"]
    if version == "3":
        body["related_resources"] = json.loads(event["related"]) if event["related"] else []
    return body
