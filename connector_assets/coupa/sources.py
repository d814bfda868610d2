"""Coupa's source steps: one session per step, as every system's (``saas.entities.read_with_session``),
but a polled entity the flows read (``poll_fields.POLL_FIELDS``) is asked for with Coupa's ``fields=``, so
the poll moves the fields the flows read instead of whole documents with every association hydrated.
How many bytes that saves: docs/performance.md, "Coupa polls ask for the fields the flows read"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connector_assets.coupa.poll_fields import POLL_FIELDS
from connector_assets.runtime.incremental import DayRead
from connector_assets.saas.entities import SourceRead, read_sessions


class _Polled:
    """A Coupa session as the SaaS reader reads it: the fields of ``POLL_FIELDS`` for the entities there,
    whole documents for the others."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def iter_changed(self, entity: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        return self.session.iter_changed(entity, start, end, fields=POLL_FIELDS.get(entity))

    def iter_all(self, entity: str) -> Iterator[dict[str, Any]]:
        return self.session.iter_all(entity, fields=POLL_FIELDS.get(entity))


def read_polled(read: SourceRead, client: Any) -> tuple[list[DayRead], int, dict[str, Any]]:
    """One session for the step, ``_Polled``; the step's metadata says which fields it asked for."""
    wanted = POLL_FIELDS.get(read.spec.entity)
    with client.session() as session:
        reads = read_sessions(read, {read.spec.entity: _Polled(session)})
        extra = {
            "updated_field": read.updated_field(session),
            "fields": json.dumps(wanted, separators=(",", ":")) if wanted else "whole documents",
            **session.metrics.as_metadata(),
        }
        return reads, session.pages, extra


READER = read_polled
