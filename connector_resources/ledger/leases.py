"""Leases: how long a claim on a source record lasts, who holds it, and ending it.

A claim (``XrefStore.claim_xref``) gives one run the exclusive right to create a record; this module
keeps the settings for how long that right lasts, records which process holds each owner's leases (so a
killed holder's leases are taken over at once, ``ended_owners``) and ends leases: released by their
owner, or lapsed with a held record waiting on them. Separate from the cross-references themselves
because it is the part that reasons about processes and time, not about what was written.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from connector_resources import settings
from connector_resources.ledger import schema, statements
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.keyed import FlowPage, RecordKey, by_flow_page, by_record
from connector_resources.ledger.records import QueueItem, Xref, _aware, _now, _text
from connector_resources.process_identity import ProcessIdentity

# How long a claim (lease) on a source record lasts. It must outlive one record's write: a search and a
# create, each an HTTP call that gives up after its deadline (300 s; Fusion 600 s) retries included, and
# the writer renews it before the create. A killed run's lease ends after this long.
LEASE_MINUTES_ENV = "ML_LEDGER_LEASE_MINUTES"
DEFAULT_LEASE = timedelta(minutes=30)
# How long a writer that finds a record leased by another run waits for it before holding the record in
# the retry queue instead: a typical write takes well under a second, a stuck one much longer.
LEASE_WAIT_ENV = "ML_LEDGER_LEASE_WAIT_SECONDS"
DEFAULT_LEASE_WAIT = timedelta(seconds=60)


# How long a process's record as a lease holder is kept (``Ledger._hold``): far beyond any lease, so a
# record is only pruned once every lease it could vouch for has lapsed by itself.
HOLDERS_KEPT = timedelta(days=2)


def _live(row: Any, now: datetime) -> bool:
    """Whether a lease row (an ``Xref``, or a row with ``lease_expires_at``) is held and not expired."""
    return row.lease_expires_at is not None and row.lease_expires_at > now


def _duration(env: str, unit: str, default: timedelta, environ: Mapping[str, str] | None) -> timedelta:
    raw = settings.given(env, environ)
    if not raw:
        return default
    return _parsed_duration(env, unit, raw)


@functools.lru_cache(maxsize=64)
def _parsed_duration(env: str, unit: str, raw: str) -> timedelta:
    """``raw`` as a duration: asked for at every claim, so each text the setting takes is parsed once."""
    return timedelta(**{unit: settings.read(env, {env: raw})})


def lease_length(environ: Mapping[str, str] | None = None) -> timedelta:
    """How long a claim on a source record lasts (``ML_LEDGER_LEASE_MINUTES``, default 30)."""
    return _duration(LEASE_MINUTES_ENV, "minutes", DEFAULT_LEASE, environ)


def lease_wait(environ: Mapping[str, str] | None = None) -> timedelta:
    """How long a writer waits for another run's lease (``ML_LEDGER_LEASE_WAIT_SECONDS``, default 60)."""
    return _duration(LEASE_WAIT_ENV, "seconds", DEFAULT_LEASE_WAIT, environ)


class LeaseStore(LedgerBase):
    """Lease holders and the ending of leases (a mixin of ``Ledger``)."""

    def _hold(self, c: sa.Connection, owner: str, now: datetime) -> None:
        """Record, in the claim's transaction, that this process holds leases for ``owner``: a lease is
        never on disk without the process that holds it (``ended_owners``). Once per owner and process;
        the first time, rows older than ``HOLDERS_KEPT`` are pruned (their leases lapsed long ago)."""
        key = (owner, os.getpid())
        if key in self._holding:
            return
        h = schema.lease_holder
        if not self._holding:
            c.execute(sa.delete(h).where(h.c.registered_at < now - HOLDERS_KEPT))
        process = ProcessIdentity.current().as_text()
        row = {"owner": owner, "process": process, "registered_at": now}
        c.execute(self._insert(h).values(row).on_conflict_do_nothing())
        self._holding.add(key)

    def _owner_ended(
        self,
        c: sa.Connection,
        other: str | None,
        row: Xref,
        now: datetime,
        gone: Callable[[str], bool] | None,
    ) -> bool:
        """Whether ``other``'s live lease on ``row`` is held by an owner that has ended (``claim_xref``)."""
        if other is None or not _live(row, now):
            return False
        return bool(self.ended_owners([other], conn=c)) or (gone is not None and gone(other))

    def ended_owners(self, owners: Collection[str], *, conn: sa.Connection | None = None) -> set[str]:
        """The lease owners among ``owners`` every one of whose processes has provably ended (killed, or
        exited without ending its leases; ``ProcessIdentity.ended``): their leases are taken over at once.

        An owner with no process recorded (a lease from before this was kept), or with one on another
        host or still running, is not among them: its lease is respected until it ends or expires."""
        wanted = sorted({owner for owner in owners if owner})
        if not wanted:
            return set()
        h = schema.lease_holder
        with self._read(conn) as c:
            rows = c.execute(sa.select(h.c.owner, h.c.process).where(h.c.owner.in_(wanted))).all()
        seen, alive = set(), set()
        for owner, process in rows:
            seen.add(owner)
            identity = ProcessIdentity.parse(process)
            if identity is None or not identity.ended():
                alive.add(owner)
        return seen - alive

    @by_flow_page
    def release_xrefs(self, records: FlowPage, *, owner: str) -> int:
        """End ``owner``'s leases on these source records where no target id was recorded (a write step's
        claims ahead it never used, ``claim_xrefs``); how many ended."""
        label, flow, keys = records
        if not keys:
            return 0
        owner = _text(label, "owner", owner, schema.RUN_ID_LEN)
        released = 0
        with self.transaction() as c:
            for start in range(0, len(keys), 500):
                page = {**flow, "k_source_keys": keys[start : start + 500], "owner": owner}
                released += c.execute(statements.RELEASE_LEASES, page).rowcount
        return released

    @by_record
    def release_xref(self, record: RecordKey, *, owner: str, conn: sa.Connection | None = None) -> bool:
        """End ``owner``'s lease on a source record (its write failed); False if it was not ``owner``'s.

        The next writer then claims at once instead of waiting for the expiry, and searches the target
        before creating (the failed attempt may have created the record after all). Recording the target
        id ends the lease as well (``record_target``).
        """
        params = {**record.params, "owner": _text(record.label, "owner", owner, schema.RUN_ID_LEN)}
        with self._write(conn) as c:
            return c.execute(statements.RELEASE_LEASE, params).rowcount == 1

    def release_lapsed_holds(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        now: datetime | None = None,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Make due the held items that wait for *their own* record while nobody is writing it any more.

        A writer that finds a record leased by another run holds it on the record's own dependency key
        (``XrefLeased``): the holder's write releases it (``release_held``), its failure queues it as
        failed. Only a holder that was killed does neither; once its lease has lapsed, or its holder's
        processes are known to have ended (``ended_owners``), with no target id recorded, this releases
        the record for replay, which takes the claim and searches the target before creating. Returns the
        released items (the caller appends their audit events).
        """
        now = _now() if now is None else _aware("retry queue", "now", now)
        q, x = schema.retry_queue, schema.xref
        own_key = x.c.integration + ":" + x.c.entity + ":" + x.c.source_system + ":" + x.c.source_key
        held = self.queue_filters(
            sa.select(q.c.id, x.c.lease_owner, x.c.lease_expires_at)
            .join(
                x,
                sa.and_(
                    x.c.integration == q.c.integration,
                    x.c.entity == q.c.entity,
                    x.c.source_key == q.c.source_key,
                    own_key == q.c.depends_on,
                ),
            )
            .where(q.c.status == "held", x.c.target_id.is_(None)),
            integration,
            flow,
        )
        reason = (
            f"released at {now:%Y-%m-%d %H:%M:%S} UTC: the run that was writing this record ended without "
            "recording it in the target (it stopped: its process ended, or its lease lapsed); due for "
            "replay, which searches the target before creating"
        )
        with self._write(conn) as c:
            rows = c.execute(held).all()
            ended = self.ended_owners({row.lease_owner for row in rows if _live(row, now)}, conn=c)
            lapsed = sorted(row.id for row in rows if not _live(row, now) or row.lease_owner in ended)
            if not lapsed:
                return []
            release = (
                sa.update(q)
                .where(q.c.id.in_(lapsed), q.c.status == "held")
                .values(status="failed", next_attempt_at=now, reason=reason, updated_at=now)
                .returning(*q.c)
            )
            released = c.execute(release).all()
        return sorted((self.queue_item(row) for row in released), key=lambda item: item.id)
