"""Coupa documents, wherever they came from: a call-out in the webhook inbox (sources ``coupa_invoices`` /
``coupa_payments``) or the day's poll, the fallback for call-outs that never arrived. The shared collector
(``connector_assets.flows.documents``) reads both; what is Coupa's own is here: where the record sits in a
call-out, how its ``updated-at`` reads, how a replay reads the current version back.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.coupa.poll_fields import POLL_FIELDS
from connector_assets.flows.documents import DocumentSource, Version, utc


def coupa_time(value: Any) -> datetime | None:
    """A Coupa timestamp (``2025-03-12T08:01:30-07:00``) as aware UTC, None when absent or unreadable."""
    if isinstance(value, datetime):
        return utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def coupa_day(value: Any) -> str | None:
    """Coupa renders date-only fields as local midnight (``2025-03-10T00:00:00-08:00``): the day is the
    date as written, never converted to UTC (which could move it to the previous day)."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def _record_of(payload: Any) -> dict[str, Any] | None:
    """The Coupa record a call-out carried: the record itself, or an envelope's ``data``."""
    if not isinstance(payload, dict):
        return None
    return payload["data"] if isinstance(payload.get("data"), dict) else payload


def _coupa_source(entity: str) -> DocumentSource:
    """Coupa's ``entity`` as a webhook source: inbox source ``coupa_<entity>`` (the receiver's, in
    ``connector_resources.webhooks``), staged poll asset ``coupa/<entity>``."""
    return DocumentSource(
        name=f"coupa_{entity}",
        asset=asset_key("coupa", entity),
        system="coupa",
        record_of=_record_of,
        changed_at=lambda record: coupa_time(record.get("updated-at")),
        change_field="updated-at",
        unreadable="not a Coupa record with an id and updated-at",
    )


INVOICES = _coupa_source("invoices")
PAYMENTS = _coupa_source("payments")


def current_versions(coupa: Any, entity: str, document_ids: Iterable[str]) -> list[Version]:
    """The documents as Coupa holds them now (a replay maps the latest version, not the queued one)."""
    versions = []
    with coupa.session(flow="polling") as session:
        for document_id in sorted(set(document_ids)):
            if not document_id.isdigit():
                continue
            # The fields the poll asks for: a replay maps what the poll's version would have held.
            record = session.get(entity, document_id, fields=POLL_FIELDS.get(entity))
            changed = coupa_time(record.get("updated-at"))
            if changed is not None:
                versions.append(Version(document_id, changed, record, "poll"))
    return versions
