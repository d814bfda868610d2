"""Recording what was written: a target id and content hash per source record, one or a batch.

The step after the create: store the target id the moment it is known (``record_target``), or a write
step's whole batch with its audit events in one go (``record_written``), refusing anything that would
give a source two targets or a target two sources (``XrefConflict``). Kept apart from the claims
(``xrefs``) because the batch path carries its own driver-level statements and conflict handling.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from connector_resources.ledger import schema, statements
from connector_resources.ledger.audit import _AUDIT_FIELDS, _AUDIT_OWN, _AUDIT_SHARED, _audit_own
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.driver_batch import DriverBatch, ValuesUpdate
from connector_resources.ledger.driver_batch import held_on as driver_held_on
from connector_resources.ledger.keyed import RecordKey, by_record
from connector_resources.ledger.records import (
    LedgerInputError,
    Recorded,
    Recording,
    Xref,
    XrefConflict,
    _fits,
    _now,
    _text,
    _xref_label,
    dependency_key,
)
from connector_resources.redaction import redact

# ``record_written``'s update on PostgreSQL: one statement per flow, returning the rows it updated.
_VALUES_UPDATE = ValuesUpdate(schema.xref, schema.retry_queue)


class TargetStore(LedgerBase):
    """Recording target ids and content hashes (a mixin of ``Ledger``)."""

    @by_record
    def record_target(
        self,
        record: RecordKey,
        target_id: str,
        content_hash: str,
        *,
        conn: sa.Connection | None = None,
    ) -> Xref:
        """Store the target id (the moment it is known) and the hash of what was written; ends the lease.

        Writing the same target id again (an update) just refreshes the hash. A *different* target
        id for the same source, or a target id that already belongs to another source, raises
        ``XrefConflict``: both mean a duplicate in the target system. A manual match is never
        overwritten: recording any other target id for it raises, the same target id keeps it manual.
        The decision is taken by the database (a conditional UPDATE and the unique index), so it
        holds when two processes race; a conflict leaves the caller's transaction usable.
        """
        label, key = record
        _text(label, "target_id", target_id, schema.KEY_LEN)
        _text(label, "content_hash", content_hash, schema.HASH_LEN)
        update = {**record.params, "new_target_id": target_id, "new_hash": content_hash, "now": _now()}
        with self._write(conn) as c:
            # One statement in the usual case (the row was claimed before the create): the conditional
            # UPDATE refuses another target id, the unique index a target id that is another's.
            moved = self._record_target(c, statements.RECORD_TARGET, update, key)
            if moved is None:  # never claimed (a manual path), or it holds another target id
                current = self.get_xref(**key, conn=c) or self.claim_xref(**key, conn=c)
                if current.target_id is not None and current.target_id != target_id:
                    raise self._different_target(current, target_id)
                self._check_target_free(current, target_id, c)
                moved = self._record_target(
                    c, statements.RECORD_TARGET_BY_ID, {**update, "k_id": current.id}, key
                )
                if moved is None:
                    # Another process recorded a different target between our claim and our update.
                    latest = self.get_xref(**key, conn=c)
                    assert latest is not None  # claimed above, in this transaction
                    raise self._different_target(latest, target_id)
        return moved

    def _record_target(
        self, c: sa.Connection, statement: sa.Executable, params: dict[str, Any], key: dict[str, str]
    ) -> Xref | None:
        """Run one of the ``RECORD_TARGET`` updates; the row as recorded, or None if it matched none.

        On PostgreSQL in a savepoint, so a unique violation (another source won the target meanwhile)
        does not poison the caller's transaction; SQLite undoes only the failing statement, never the
        transaction, so it needs none (two statements fewer). A unique violation on the target index
        becomes the ``XrefConflict`` naming the other source record."""
        try:
            with c.begin_nested() if self._dialect == "postgresql" else nullcontext():
                row = c.execute(statement, params).first()
        except IntegrityError:
            current = self.get_xref(**key, conn=c)
            if current is not None:
                self._check_target_free(current, params["new_target_id"], c)
            raise  # not the target index after all: let the real error surface
        return Xref(**row._mapping) if row is not None else None

    def record_written(self, recordings: Sequence[Recording], *, conn: sa.Connection) -> Recorded:
        """Record many written records at once in ``conn``'s transaction (a write step's deferred batch,
        ``flows.deferred``): each one's target id and hash, and its audit event. Returns, per recording,
        whether it was recorded (one that was not is left exactly as it was, for ``record_target`` and
        ``audit`` to record alone: they raise its conflict, or adopt a row that was never claimed), and
        which of those recorded have retry-queue items held on them (so only those pay for a release).

        Why a batch: recording one record costs two statements, and on PostgreSQL each is a round trip
        whose CPU (kernel and driver, about 150 us over loopback) is many times a record's mapping. Here,
        on SQLite, the updates are one ``executemany`` whose summed row count shows whether every one was
        recorded (a query reads them back only when it does not), then one query for the held items; on
        PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` per flow returns the rows it updated, each with
        whether items are held on it (``driver_batch.ValuesUpdate``). The audit events are one
        ``executemany`` or one multi-row INSERT. A unique violation (a target id that is another source
        record's) fails the whole update; then nothing here is recorded (on PostgreSQL the savepoint
        undoes it; on SQLite the rows updated before it hold the same values ``record_target`` writes
        again), and each is recorded alone, where the conflict is named.
        """
        done = [False] * len(recordings)
        nothing = Recorded(done, frozenset())
        updates: list[dict[str, Any]] = []
        audits: dict[int, dict[str, Any]] = {}
        update, insert = self._driver_batches()
        now = _now()  # one time for the batch, converted for the driver once
        stamped, at = update.typed("now", now), insert.typed("at", now)
        flows: set[tuple[str, str, str, str]] = set()  # flow keys checked (a batch has one, or a few)
        shared: dict[tuple[Any, ...], dict[str, Any]] = {}  # audit rows by the fields a batch shares
        masked: dict[str, str] = {}  # each distinct reason of the batch, secrets masked once
        keys: set[tuple[str, ...]] = set()
        for n, item in enumerate(recordings):
            try:  # a value the ledger refuses: left for record_target, whose error names the record
                flow = self._flow_key(item)
                if flow not in flows:
                    self._xref_key(*flow[:3], item.source_key, flow[3])
                    flows.add(flow)
                if not (
                    _fits(item.source_key, schema.KEY_LEN)
                    and _fits(item.target_id, schema.KEY_LEN)
                    and _fits(item.content_hash, schema.HASH_LEN)
                ):  # the label is built only for the error that names the record and the field
                    label = _xref_label(*flow[:3], item.source_key, flow[3])
                    _text(label, "source_key", item.source_key, schema.KEY_LEN)
                    _text(label, "target_id", item.target_id, schema.KEY_LEN)
                    _text(label, "content_hash", item.content_hash, schema.HASH_LEN)
                audits[n] = self._batch_audit_row(item, shared, masked, at)
            except LedgerInputError:
                continue
            keys.add(flow + (item.source_key,))
            updates.append(
                {
                    "k_integration": item.integration,
                    "k_entity": item.entity,
                    "k_source_system": item.source_system,
                    "k_source_key": item.source_key,
                    "k_target_system": item.target_system,
                    "new_target_id": item.target_id,
                    "new_hash": item.content_hash,
                    "now": stamped,
                }
            )
        if not updates:
            return nothing
        by_values = self._dialect == "postgresql" and len(keys) == len(updates)
        updated: dict[tuple[str, ...], bool] = {}  # by_values: what the statement returned
        changed = 0  # else: how many rows the updates changed
        try:
            with conn.begin_nested() if self._dialect == "postgresql" else nullcontext():
                if by_values:
                    updated = self._update_by_values(conn, updates)
                else:
                    changed = update.run(conn, updates)
        except (IntegrityError, self.engine.dialect.dbapi.IntegrityError):  # type: ignore[union-attr]
            return nothing
        held: frozenset[str] | None = None
        if by_values:  # the statement returned the rows it updated, and which have items held on them
            for n in audits:
                item = recordings[n]
                done[n] = self._flow_key(item) + (item.source_key,) in updated
            held = frozenset(
                dependency_key(*key[:3], key[4]) for key, waited_on in updated.items() if waited_on
            )
        elif changed == len(updates) == len(keys):
            # Each update matches one row at most (the xref key is unique) and no key came twice, so a
            # total equal to the number of updates means every one of them was recorded as given.
            for n in audits:
                done[n] = True
        else:
            recorded = self._recorded_targets(recordings, [n for n in audits], conn)
            for n in audits:
                item = recordings[n]
                done[n] = recorded.get(self._flow_key(item) + (item.source_key,)) == (
                    item.target_id,
                    item.content_hash,
                )
        insert.run(conn, [audits[n] for n in audits if done[n]])
        if held is None:
            recorded = [recordings[n] for n in audits if done[n]]
            held = self.held_on(
                [dependency_key(r.integration, r.entity, r.source_system, r.source_key) for r in recorded],
                conn=conn,
            )
        return Recorded(done, held)

    @staticmethod
    def _update_by_values(conn: sa.Connection, updates: list[dict[str, Any]]) -> dict[tuple[str, ...], bool]:
        """PostgreSQL: ``updates`` recorded by one ``ValuesUpdate`` statement per flow; the flow keys +
        source keys it updated, each with whether items are held on it."""
        by_flow: dict[tuple[str, str, str, str, Any], list[tuple[str, str, str]]] = {}
        for row in updates:
            flow = (row["k_integration"], row["k_entity"], row["k_source_system"], row["k_target_system"])
            by_flow.setdefault((*flow, row["now"]), []).append(
                (row["k_source_key"], row["new_target_id"], row["new_hash"])
            )
        updated: dict[tuple[str, ...], bool] = {}
        for (integration, entity, source_system, target_system, now), rows in by_flow.items():
            flow = {
                "integration": integration,
                "entity": entity,
                "source_system": source_system,
                "target_system": target_system,
                "now": now,
            }
            for source_key, waited_on in _VALUES_UPDATE.run(conn, flow, rows).items():
                updated[(integration, entity, source_system, target_system, source_key)] = waited_on
        return updated

    def _driver_batches(self) -> tuple[DriverBatch, DriverBatch]:
        """``record_written``'s two statements, compiled once for this ledger's database."""
        if self._batches is None:
            dialect = self.engine.dialect
            self._batches = (
                DriverBatch(statements.RECORD_TARGET_MANY, dialect),
                DriverBatch(statements.AUDIT_INSERT_ROWS, dialect, insert=True),
            )
        return self._batches

    def _batch_audit_row(
        self,
        item: Recording,
        shared: dict[tuple[Any, ...], dict[str, Any]],
        masked: dict[str, str],
        at: Any,
    ) -> dict[str, Any]:
        """``item``'s audit row: the fields it shares with the batch's other records (flow, action, run)
        are checked once per distinct set (``shared``), its own (source id, target id, reason) each time,
        except what ``record_written`` checked already (its source key and target id) and a reason seen
        earlier in the batch (``masked``: masked once)."""
        audit = item.audit
        if audit.keys() <= _AUDIT_FIELDS:  # the usual event: its shared fields read in one C call
            key: tuple[Any, ...] = (len(audit), *map(audit.get, _AUDIT_SHARED))
        else:  # a field ``audit`` does not take: ``_audit_values`` names it in its error
            key = (len(audit), *(value for field, value in audit.items() if field not in _AUDIT_OWN))
        template = shared.get(key)
        if template is None:
            template = shared[key] = self._audit_values(**{**audit, "target_id": item.target_id})
        source_id, reason, detail = audit.get("source_id"), audit.get("reason", ""), audit.get("detail")
        if source_id == item.source_key and detail is None and isinstance(reason, str):
            if reason not in masked:
                masked[reason] = redact(reason)
            own = {
                "source_id": source_id,
                "target_id": item.target_id,
                "reason": masked[reason],
                "detail": None,
            }
        else:
            own = _audit_own(
                f"audit event {audit['integration']}/{audit['flow']} {item.source_key}",
                source_id,
                item.target_id,
                reason,
                detail,
            )
        return {**template, **own, "at": at}

    @staticmethod
    def _flow_key(item: Recording) -> tuple[str, str, str, str]:
        return (item.integration, item.entity, item.source_system, item.target_system)

    def _recorded_targets(
        self, recordings: Sequence[Recording], indexes: list[int], conn: sa.Connection
    ) -> dict[tuple[str, ...], tuple[str | None, str | None]]:
        """(flow key + source key) -> (target id, content hash) as the ledger holds them now."""
        by_flow: dict[tuple[str, str, str, str], list[str]] = {}
        for n in indexes:
            by_flow.setdefault(self._flow_key(recordings[n]), []).append(recordings[n].source_key)
        found: dict[tuple[str, ...], tuple[str | None, str | None]] = {}
        for flow, keys in by_flow.items():
            integration, entity, source_system, target_system = flow
            params = {
                "k_integration": integration,
                "k_entity": entity,
                "k_source_system": source_system,
                "k_target_system": target_system,
            }
            for start in range(0, len(keys), 500):
                rows = conn.execute(
                    statements.TARGETS_BY_KEYS, {**params, "k_source_keys": keys[start : start + 500]}
                )
                for source_key, target_id, content_hash in rows:
                    found[flow + (source_key,)] = (target_id, content_hash)
        return found

    def held_on(self, depends_on: Collection[str], *, conn: sa.Connection) -> frozenset[str]:
        """Which of these dependency keys have retry-queue items held on them: one query for a batch of
        written records, so only those with something waiting pay for a release (``release_held_items``)."""
        keys = sorted({key for key in depends_on if len(key) <= schema.DEPENDS_ON_LEN})
        held: set[str] = set()
        for start in range(0, len(keys), 500):
            held |= driver_held_on(conn, schema.retry_queue, keys[start : start + 500])
        return frozenset(held)

    def _check_target_free(self, current: Xref, target_id: str, conn: sa.Connection) -> None:
        holder = self.find_xref_by_target(
            current.integration, current.entity, current.target_system, target_id, conn=conn
        )
        if holder is not None and holder.id != current.id:
            raise XrefConflict(
                f"{current.target_system} {current.entity} {target_id} is already the counterpart of "
                f"{holder.source_system}:{holder.source_key}; it cannot also be recorded for "
                f"{current.source_system}:{current.source_key} ({current.label}). One of the two is a "
                "duplicate: fix the match, then re-run.",
                recorded_target_id=target_id,
                attempted_target_id=target_id,
                other_source_key=holder.source_key,
            )

    @staticmethod
    def _different_target(current: Xref, attempted: str) -> XrefConflict:
        how = f"a manual match entered by {current.entered_by}" if current.manual else "recorded"
        return XrefConflict(
            f"{current.label} already has target id {current.target_id} ({how}); refusing to record "
            f"{attempted} as well. The target system probably holds a duplicate: check both records, "
            "then correct the match.",
            recorded_target_id=current.target_id,
            attempted_target_id=attempted,
        )
