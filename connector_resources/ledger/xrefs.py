"""Cross-references: looking up a source record's counterpart, and claiming a record before its create.

The look-ups (one record, a page of them, by target id, for an operator) and the claims that record the
intent to write (and take the lease) before anything is created in the target. Recording what was
written is ``targets``; manual matches are ``matches``; leases themselves are ``leases``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema, statements
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.keyed import FlowPage, RecordKey, by_flow_page, by_record
from connector_resources.ledger.leases import _live, lease_length
from connector_resources.ledger.records import (
    LedgerInputError,
    Recording,
    Xref,
    XrefLeased,
    _fits,
    _now,
    _text,
    _xref_label,
)
from connector_resources.redaction import get_logger

log = get_logger("ledger")


class XrefStore(LedgerBase):
    """Cross-reference look-ups and claims (a mixin of ``Ledger``)."""

    def _xref_key(
        self, integration: str, entity: str, source_system: str, source_key: str, target_system: str
    ) -> RecordKey:
        """A record's key as the ledger accepts it; a field it refuses raises ``LedgerInputError``."""
        label = _xref_label(integration, entity, source_system, source_key, target_system)
        key = {
            "integration": _text(label, "integration", integration, schema.NAME_LEN),
            "entity": _text(label, "entity", entity, schema.NAME_LEN),
            "source_system": _text(label, "source_system", source_system, schema.NAME_LEN),
            "source_key": _text(label, "source_key", source_key, schema.KEY_LEN),
            "target_system": _text(label, "target_system", target_system, schema.NAME_LEN),
        }
        return RecordKey(label, key)

    def _flow_page(
        self,
        integration: str,
        entity: str,
        source_system: str,
        source_keys: Iterable[str],
        target_system: str,
    ) -> FlowPage:
        """A page of one flow's source keys, as the page statements take it: the label of its first key,
        the flow's bound parameters (every key column but the source key), and the source keys the ledger
        accepts, each once and in order (one it refuses is left out, for a call of its own to name it in
        its error). The flow's own fields are checked once, not per key; one the ledger refuses leaves no
        key."""
        try:
            self._xref_key(integration, entity, source_system, "key", target_system)
        except LedgerInputError:
            return FlowPage("", {}, [])
        keys = [key for key in dict.fromkeys(source_keys) if _fits(key, schema.KEY_LEN)]
        if not keys:
            return FlowPage("", {}, [])
        label, key = self._xref_key(integration, entity, source_system, keys[0], target_system)
        flow = {name: value for name, value in statements.key_params(key).items() if name != "k_source_key"}
        return FlowPage(label, flow, keys)

    @by_record
    def get_xref(self, record: RecordKey, *, conn: sa.Connection | None = None) -> Xref | None:
        """The cross-reference for a source record, or None if it was never seen."""
        with self._read(conn) as c:
            row = c.execute(statements.XREF_BY_KEY, record.params).first()
        return Xref(**row._mapping) if row else None

    @by_flow_page
    def get_xrefs(self, records: FlowPage) -> dict[str, Xref | None]:
        """The cross-references of many source records of one flow in one query (a write step's page of
        look-ups; ``get_xref`` costs a connection checkout and a transaction per record). Every key
        looked up is in the result, None if never seen; a key the ledger would refuse (too long) is left
        out, so the caller looks it up alone and gets its error naming the record."""
        _, params, valid = records
        if not valid:
            return {}
        found: dict[str, Xref | None] = dict.fromkeys(valid)
        with self._read(None) as c:
            for start in range(0, len(valid), 500):  # bound parameters per statement stay modest
                rows = c.execute(
                    statements.XREFS_BY_KEYS, {**params, "k_source_keys": valid[start : start + 500]}
                )
                for row in rows:
                    found[row.source_key] = Xref(**row._mapping)
        return found

    def find_xref_by_target(
        self,
        integration: str,
        entity: str,
        target_system: str,
        target_id: str,
        *,
        conn: sa.Connection | None = None,
    ) -> Xref | None:
        """The source record a target id belongs to (for webhooks and adopt-on-retry)."""
        label = f"xref {integration}/{entity} {target_system}:{target_id}"
        params = {
            "k_integration": _text(label, "integration", integration, schema.NAME_LEN),
            "k_entity": _text(label, "entity", entity, schema.NAME_LEN),
            "k_target_system": _text(label, "target_system", target_system, schema.NAME_LEN),
            "k_target_id": _text(label, "target_id", target_id, schema.KEY_LEN),
        }
        with self._read(conn) as c:
            row = c.execute(statements.XREF_BY_TARGET, params).first()
            if row is not None:
                return Xref(**row._mapping)
            pending = self._unrecorded.get((integration, entity, target_system, target_id))
            if pending is None:
                return None
            # Written by this process's write step, its target id still in the step's batch: its row as
            # the flush will leave it, so "is this target another record's?" gets the same answer as once
            # it is recorded (a match is never adopted by a second record, nor updated over the first).
            pending_key = self._xref_key(
                pending.integration,
                pending.entity,
                pending.source_system,
                pending.source_key,
                pending.target_system,
            )
            claimed = c.execute(statements.XREF_BY_KEY, pending_key.params).first()
        if claimed is None or claimed.target_id is not None:
            return None
        return replace(
            Xref(**claimed._mapping),
            target_id=pending.target_id,
            content_hash=pending.content_hash,
            state="synced",
            lease_owner=None,
            lease_expires_at=None,
        )

    def note_unrecorded(self, recording: Recording) -> None:
        """``recording`` is written to its target and waits in a write step's batch (``flows.deferred``):
        until ``forget_unrecorded``, ``find_xref_by_target`` answers for its target id as if recorded."""
        with self._unrecorded_lock:
            key = (recording.integration, recording.entity, recording.target_system, recording.target_id)
            self._unrecorded[key] = recording

    def forget_unrecorded(self, recordings: Iterable[Recording]) -> None:
        """These are recorded now (or queued as failed): the database answers for them again."""
        with self._unrecorded_lock:
            for recording in recordings:
                key = (recording.integration, recording.entity, recording.target_system, recording.target_id)
                if self._unrecorded.get(key) is recording:
                    del self._unrecorded[key]

    def xrefs_for(self, record_id: str, *, conn: sa.Connection | None = None) -> list[Xref]:
        """Every cross-reference whose source key or target id is ``record_id`` (operator look-ups).

        An operator holding "4343" or "C-100" does not know which integration or system it belongs
        to; this answers for all of them. Flows use ``get_xref`` / ``find_xref_by_target``.
        """
        _text("xref look-up", "record_id", record_id, schema.KEY_LEN)
        t = schema.xref
        query = (
            sa.select(t)
            .where(sa.or_(t.c.source_key == record_id, t.c.target_id == record_id))
            .order_by(t.c.integration, t.c.entity, t.c.id)
        )
        return self._xrefs(query, conn)

    def written_unmarked(
        self,
        integration: str,
        entity: str,
        source_system: str,
        target_system: str,
        *,
        flow: str,
        mark_system: str,
        limit: int = 1000,
        conn: sa.Connection | None = None,
    ) -> list[Xref]:
        """Records written to the target (target id known) whose source was not marked yet, oldest first.

        A source that wants to hear back (Coupa's ``exported`` flag) is marked by a separate call after
        the write; that call is recorded as an ``update`` audit event of ``flow`` on ``mark_system``.
        Asking the ledger, not the run, for what is still unmarked covers every path a record reached
        the target by (a run, a replay, a crash between the write and the mark) with one query.
        """
        label = f"xref {integration}/{entity} {source_system} -> {target_system}"
        x, e = schema.xref, schema.audit_event
        marked = (
            sa.select(e.c.id)
            .where(
                e.c.source_id == x.c.source_key,
                e.c.integration == x.c.integration,
                e.c.flow == _text(label, "flow", flow, schema.FLOW_LEN),
                e.c.action == "update",
                e.c.target_system == _text(label, "mark_system", mark_system, schema.NAME_LEN),
            )
            .exists()
        )
        query = (
            sa.select(x)
            .where(
                x.c.integration == _text(label, "integration", integration, schema.NAME_LEN),
                x.c.entity == _text(label, "entity", entity, schema.NAME_LEN),
                x.c.source_system == _text(label, "source_system", source_system, schema.NAME_LEN),
                x.c.target_system == _text(label, "target_system", target_system, schema.NAME_LEN),
                x.c.target_id.is_not(None),
                ~marked,
            )
            .order_by(x.c.id)
            .limit(limit)
        )
        return self._xrefs(query, conn)

    @by_record
    def claim_xref(
        self,
        record: RecordKey,
        *,
        owner: str | None = None,
        lease: timedelta | None = None,
        inherits: Collection[str] = (),
        gone: Callable[[str], bool] | None = None,
        first: Callable[[sa.Connection], object] | None = None,
        conn: sa.Connection | None = None,
    ) -> Xref:
        """Record the intent to write a source record (state ``pending``) unless a row exists; with
        ``owner``, also take the record's exclusive lease: only its owner may create it in the target.

        ``first`` runs first in the claim's transaction (a write step's deferred records,
        ``flows.deferred``): they become durable with the claim, in one commit. ``XrefLeased`` is raised
        after that commit, so what ``first`` wrote stays written.

        Recording the intent *before* the create is what makes a crash recoverable: a pending row
        with no target id tells the next attempt to search the target for a record to adopt before
        creating another. Two processes claiming at once both get the same single row.

        The lease is what keeps two runs of one flow and partition from both creating the record (no
        target offers idempotency keys, and BILL has no duplicate check at all). ``owner`` (a run id, or
        a replay's id) gets it when it is free, expired (a killed run's), already its own (a step retry
        renews it), held by one of ``inherits`` (finished runs this run re-executes), or held by an owner
        that has ended: every process holding it has (``ended_owners``), or ``gone`` says so (a run
        Dagster reports finished); it lasts ``lease`` (default ``lease_length()``). Anyone else's live
        lease raises ``XrefLeased`` naming the holder: the caller must not create. A record that already
        has a target id is returned unleased (there is nothing to create; the caller skips or updates).
        One conditional UPDATE decides, so the database, not the callers' timing, picks the single
        winner, on SQLite and PostgreSQL alike.
        """
        label, params = record.label, record.params
        now = _now()
        length, mine = timedelta(0), [owner]
        if owner is not None:
            _text(label, "owner", owner, schema.RUN_ID_LEN)
            length = lease_length() if lease is None else lease
            if not isinstance(length, timedelta) or length <= timedelta(0):
                raise LedgerInputError(f"{label}: field 'lease' must be a positive timedelta, got {lease!r}")
            mine += [_text(label, "inherits", other, schema.RUN_ID_LEN) for other in inherits]
        with self._write(conn) as c:
            if first is not None:
                first(c)
            c.execute(statements.CLAIM_INSERT[self._dialect], {**params, "now": now})
            before = Xref(**c.execute(statements.XREF_BY_KEY, params).one()._mapping)
            if owner is None or before.target_id is not None:
                return before
            self._hold(c, owner, now)
            other = before.lease_owner if before.lease_owner not in mine else None
            ended = self._owner_ended(c, other, before, now, gone)
            take = {
                **params,
                "mine": [*mine, other] if ended else mine,
                "now": now,
                "owner": owner,
                "expires_at": now + length,
            }
            row = c.execute(statements.TAKE_LEASE, take).first()  # the row as taken, or None
            taken = row is not None
            if row is None:
                row = c.execute(statements.XREF_BY_KEY, params).one()
            after = Xref(**row._mapping)
        if taken:
            if other is not None:
                log.warning(
                    "%s: took over the lease of %s, which %s without a target id recorded; searching the "
                    "target before creating",
                    after.label,
                    other,
                    "ended with its run or process" if ended else f"expired at {before.lease_expires_at}",
                )
            return after
        if after.target_id is not None:  # written by the other run meanwhile: nothing to create
            return after
        until = f"{after.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC" if after.lease_expires_at else "?"
        raise XrefLeased(
            f"{after.label} is being written by {after.lease_owner} (lease until {until}); not created "
            "again by this writer, which would duplicate it in the target",
            owner=after.lease_owner,
            expires_at=after.lease_expires_at,
        )

    @by_flow_page
    def claim_xrefs(
        self,
        records: FlowPage,
        *,
        owner: str,
        inherits: Collection[str] = (),
        gone: Callable[[str], bool] | None = None,
        first: Callable[[sa.Connection], object] | None = None,
    ) -> dict[str, Xref]:
        """``claim_xref`` for a page of one flow's source records, in one transaction and one commit: each
        one never seen is recorded as pending, and ``owner`` takes the lease of each one without a target
        id whose lease is free, expired, its own, held by one of ``inherits``, or held by a run ``gone``
        says has ended. Returns the rows whose lease ``owner`` holds now; a key left out (written, leased
        by a live writer, or a value the ledger refuses) is for ``claim_xref`` to decide alone, which waits
        for the other writer or names the record in its error.

        Why: a write step's claims are the one write per record that must be on disk before its create,
        and a commit each is most of the ledger's CPU per record on SQLite (and a round trip or more on
        PostgreSQL). Claimed a page ahead, they become durable in one commit, still before any create. The
        database decides every race as for one claim (one conditional UPDATE), so two runs never both
        hold a record. ``first`` runs first in the transaction (a write step's deferred records)."""
        label, flow, valid = records
        if not valid:
            return {}
        _text(label, "owner", owner, schema.RUN_ID_LEN)
        mine = [owner, *(_text(label, "inherits", other, schema.RUN_ID_LEN) for other in inherits)]
        now = _now()
        expires_at = now + lease_length()
        taken: dict[str, Xref] = {}
        others: dict[str, Any] = {}  # leases of other owners found on the page, before it was claimed
        ended: dict[str, bool] = {}  # other owners, and whether ``gone`` says their run has ended
        with self.transaction() as c:
            if first is not None:
                first(c)
            self._hold(c, owner, now)
            insert = statements.CLAIM_INSERT[self._dialect]
            c.execute(insert, [{**flow, "k_source_key": source_key, "now": now} for source_key in valid])
            for start in range(0, len(valid), 500):  # bound parameters per statement stay modest
                page = {**flow, "k_source_keys": valid[start : start + 500], "mine": mine}
                rows = c.execute(statements.LEASES_OF_OTHERS, page).all()
                others.update((row.source_key, row) for row in rows)
                new = {row.lease_owner for row in rows if _live(row, now)} - ended.keys()
                dead = self.ended_owners(new, conn=c)
                for other in new:
                    ended[other] = other in dead or (gone is not None and gone(other))
                finished = sorted(other for other, is_gone in ended.items() if is_gone)
                take = {**page, "mine": mine + finished, "now": now, "owner": owner, "expires_at": expires_at}
                for row in c.execute(statements.TAKE_LEASES, take):
                    taken[row.source_key] = Xref(**row._mapping)
        for source_key in taken.keys() & others.keys():
            before = others[source_key]
            log.warning(
                "%s: took over the lease of %s, which %s without a target id recorded; searching the "
                "target before creating",
                taken[source_key].label,
                before.lease_owner,
                "ended with its run or process"
                if ended.get(before.lease_owner)
                else f"expired at {before.lease_expires_at}",
            )
        return taken
