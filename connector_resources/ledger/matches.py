"""Manual matches: an operator's pairing of a source record with an existing target record.

Entered, listed and forgotten by people (``ml-connector xref``), never overwritten by the flows; kept
apart from the automated cross-reference paths so the rules that protect them read in one place.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.keyed import RecordKey, by_record
from connector_resources.ledger.records import LedgerInputError, Xref, _natural, _now, _text
from connector_resources.redaction import get_logger

log = get_logger("ledger")


def _pairing(
    target_id: str | None, content_hash: str | None, *, entered_by: str | None, note: str | None
) -> dict[str, Any]:
    """The xref columns that say which target a source record is paired with and who said so: a
    person's match (``entered_by``), or none at all (no target id: pending until a flow pairs it)."""
    return {
        "target_id": target_id,
        "content_hash": content_hash,
        "state": "pending" if target_id is None else "synced",
        "manual": entered_by is not None,
        "entered_by": entered_by,
        "note": note,
        "updated_at": _now(),
    }


def _listing_order(x: Xref) -> tuple[Any, ...]:
    """``ml-connector xref list``'s order: by entity, source system, then source key as a person counts."""
    return (x.entity, x.source_system, _natural(x.source_key), x.id)


class ManualMatchStore(LedgerBase):
    """Manual matches of cross-references (a mixin of ``Ledger``)."""

    @by_record
    def set_manual_override(
        self,
        record: RecordKey,
        target_id: str,
        *,
        entered_by: str,
        note: str = "",
        conn: sa.Connection | None = None,
    ) -> Xref:
        """A user's match of a source record to an existing target record (e.g. a vendor match).

        Manual rows are never overwritten by automated writes (``record_target`` raises instead).
        Re-pointing to another target forgets the content hash, because nothing is known about what
        that record holds: the next sync sends an update rather than skipping. The caller records
        the matching audit event (it knows the flow and the run).
        """
        label, key = record
        _text(label, "target_id", target_id, schema.KEY_LEN)
        _text(label, "entered_by", entered_by, schema.KEY_LEN)
        if not isinstance(note, str):
            raise LedgerInputError(f"{label}: field 'note' must be a string, got {type(note).__name__}")
        t = schema.xref
        with self._write(conn) as c:
            current = self.claim_xref(**key, conn=c)
            self._check_target_free(current, target_id, c)
            keep_hash = current.content_hash if current.target_id == target_id else None
            update = (
                sa.update(t)
                .where(t.c.id == current.id)
                .values(_pairing(target_id, keep_hash, entered_by=entered_by, note=note))
            )
            try:
                with c.begin_nested():
                    c.execute(update)
            except IntegrityError:
                self._check_target_free(current, target_id, c)
                raise
            latest = self.get_xref(**key, conn=c)
            assert latest is not None
        log.info("manual match %s = %s entered by %s", latest.label, target_id, entered_by)
        return latest

    def manual_matches(
        self, integration: str, entity: str | None = None, *, conn: sa.Connection | None = None
    ) -> list[Xref]:
        """Every manual match of ``integration`` (of ``entity`` only, when given), by entity and source key.

        What ``ml-connector xref list`` shows: who entered each match, when, and why (the note).
        """
        label = f"manual matches of {integration}"
        t = schema.xref
        query = sa.select(t).where(
            t.c.integration == _text(label, "integration", integration, schema.NAME_LEN),
            t.c.manual.is_(True),
        )
        if entity is not None:
            query = query.where(t.c.entity == _text(label, "entity", entity, schema.NAME_LEN))
        return sorted(self._xrefs(query, conn), key=_listing_order)

    @by_record
    def unmatch_xref(
        self,
        record: RecordKey,
        *,
        only_manual: bool = True,
        conn: sa.Connection | None = None,
    ) -> Xref | None:
        """Forget a source record's target: the row stays (its history reads on), but it is no longer
        manual, has no target id and no content hash, so the flows match the record again on their next
        run. Returns the row as it was before, or None when there was nothing to forget (no row, no
        target, or, with ``only_manual``, a row a flow made: deleting a manual match must never undo a
        flow's pair). The caller records the audit event (it knows who asked and why).

        ``only_manual=False`` is for an operator replacing a pair a flow made with a manual match of the
        same records (``ml-connector xref set --replace``).
        """
        label, key = record
        t = schema.xref
        with self._write(conn) as c:
            current = self.get_xref(**key, conn=c)
            if current is None or current.target_id is None or (only_manual and not current.manual):
                return None
            forget = (
                sa.update(t)
                .where(t.c.id == current.id, t.c.target_id == current.target_id)
                .values(_pairing(None, None, entered_by=None, note=None))
            )
            if c.execute(forget).rowcount != 1:  # changed meanwhile: the caller looks again
                return None
        log.info(
            "%s: target %s forgotten (was %s)",
            label,
            current.target_id,
            "manual" if current.manual else "a flow's",
        )
        return current
