"""The ledger's per-record statements, built once with bound parameters instead of once per call.

Every record a flow writes or skips runs a handful of these (the xref look-up, the claim, recording the
target id, its audit event, the release of held records). Built per call, SQLAlchemy spends more CPU
making the statement (``==`` clauses, coercions) and its cache key than SQLite spends running it; a
statement object built once keeps its cache key memoised, so each execution only binds values
(``bench/flow_cpu_100k.py`` measures the difference). The SQL is the same as before: same conditions,
same conflict handling, the database still decides every race.

Parameter names of the xref key are prefixed ``k_`` so they never clash with the columns an UPDATE sets.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from connector_resources.ledger import schema

XREF_KEY = ("integration", "entity", "source_system", "source_key", "target_system")

_x = schema.xref
_q = schema.retry_queue


def _key_match() -> sa.ColumnElement[bool]:
    return sa.and_(*(_x.c[name] == sa.bindparam(f"k_{name}") for name in XREF_KEY))


def key_params(key: dict[str, str]) -> dict[str, str]:
    """An xref key (column -> value) as the bound parameters of the statements below."""
    return {f"k_{name}": value for name, value in key.items()}


# The xref of one source record (get_xref, claim_xref, record_target).
XREF_BY_KEY = sa.select(_x).where(_key_match())

# The xrefs of a page of source keys of one flow (get_xrefs: a write step's look-ups in one query).
XREFS_BY_KEYS = sa.select(_x).where(
    *(_x.c[name] == sa.bindparam(f"k_{name}") for name in XREF_KEY if name != "source_key"),
    _x.c.source_key.in_(sa.bindparam("k_source_keys", expanding=True)),
)

# The xref holding a target id (find_xref_by_target, record_target's duplicate check).
XREF_BY_TARGET = sa.select(_x).where(
    _x.c.integration == sa.bindparam("k_integration"),
    _x.c.entity == sa.bindparam("k_entity"),
    _x.c.target_system == sa.bindparam("k_target_system"),
    _x.c.target_id == sa.bindparam("k_target_id"),
)


def _claim_insert(insert: type[sqlite.Insert] | type[postgresql.Insert]) -> sa.Executable:
    return (
        insert(_x)
        .values(
            **{name: sa.bindparam(f"k_{name}") for name in XREF_KEY},
            state="pending",
            manual=False,
            created_at=sa.bindparam("now"),
            updated_at=sa.bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=list(XREF_KEY))
    )


# The intent to write a source record (state pending), unless its row exists; per dialect (ON CONFLICT).
CLAIM_INSERT = {"sqlite": _claim_insert(sqlite.insert), "postgresql": _claim_insert(postgresql.insert)}


def _flow_keys_match() -> sa.ColumnElement[bool]:
    """One flow's rows (every key column but the source key) whose source key is in ``k_source_keys``."""
    return sa.and_(
        *(_x.c[name] == sa.bindparam(f"k_{name}") for name in XREF_KEY if name != "source_key"),
        _x.c.source_key.in_(sa.bindparam("k_source_keys", expanding=True)),
    )


def _take_lease(rows: sa.ColumnElement[bool]) -> sa.Executable:
    """The lease of ``rows`` without a target id taken when free, expired, the owner's own or one it
    inherits (``mine``); returns the rows taken."""
    return (
        sa.update(_x)
        .where(
            rows,
            _x.c.target_id.is_(None),
            sa.or_(
                _x.c.lease_owner.is_(None),
                _x.c.lease_owner.in_(sa.bindparam("mine", expanding=True)),
                _x.c.lease_expires_at <= sa.bindparam("now"),
            ),
        )
        .values(lease_owner=sa.bindparam("owner"), lease_expires_at=sa.bindparam("expires_at"))
        .returning(*_x.c)
    )


TAKE_LEASE = _take_lease(_key_match())  # one source record's (``claim_xref``)
TAKE_LEASES = _take_lease(_flow_keys_match())  # a page of one flow's source records (``claim_xrefs``)

# Leases a page of a flow's unwritten source keys holds now that are not ``mine`` (``claim_xrefs``: a
# lapsed one taken over is logged, a finished run's is taken at once).
LEASES_OF_OTHERS = sa.select(_x.c.source_key, _x.c.lease_owner, _x.c.lease_expires_at).where(
    _flow_keys_match(),
    _x.c.target_id.is_(None),
    _x.c.lease_owner.is_not(None),
    _x.c.lease_owner.not_in(sa.bindparam("mine", expanding=True)),
)

# ``owner``'s leases on a page of one flow's source keys ended, where no target id was recorded.
RELEASE_LEASES = (
    sa.update(_x)
    .where(_flow_keys_match(), _x.c.target_id.is_(None), _x.c.lease_owner == sa.bindparam("owner"))
    .values(lease_owner=None, lease_expires_at=None)
)


def _record_target(row: sa.ColumnElement[bool]) -> sa.Executable:
    return (
        sa.update(_x)
        .where(row, sa.or_(_x.c.target_id.is_(None), _x.c.target_id == sa.bindparam("new_target_id")))
        .values(
            target_id=sa.bindparam("new_target_id"),
            content_hash=sa.bindparam("new_hash"),
            state="synced",
            updated_at=sa.bindparam("now"),
            lease_owner=None,
            lease_expires_at=None,
        )
    )


# The target id recorded (unless another one is) with the hash written; the write is done, the lease ends.
# A target id that is another source record's fails on the unique index (``uq_mlc_xref_target``).
RECORD_TARGET = _record_target(_key_match()).returning(*_x.c)  # by the source record's key
RECORD_TARGET_BY_ID = _record_target(_x.c.id == sa.bindparam("k_id")).returning(*_x.c)  # the row just claimed

# The same update for many records at once (``Ledger.record_written``): executemany takes no RETURNING.
RECORD_TARGET_MANY = _record_target(_key_match())

# What a page of one flow's source keys hold now (``record_written`` reads its updates back).
TARGETS_BY_KEYS = sa.select(_x.c.source_key, _x.c.target_id, _x.c.content_hash).where(
    *(_x.c[name] == sa.bindparam(f"k_{name}") for name in XREF_KEY if name != "source_key"),
    _x.c.source_key.in_(sa.bindparam("k_source_keys", expanding=True)),
)

# ``owner``'s lease ended without a target id (its write failed).
RELEASE_LEASE = (
    sa.update(_x)
    .where(_key_match(), _x.c.lease_owner == sa.bindparam("owner"))
    .values(lease_owner=None, lease_expires_at=None)
)

# One audit event; executed with the row's values as parameters.
AUDIT_INSERT = sa.insert(schema.audit_event)

# Audit events of a batch, every column but the id named (``driver_batch``, ``Ledger.record_written``).
AUDIT_INSERT_ROWS = sa.insert(schema.audit_event).values(
    {column.name: sa.bindparam(column.name) for column in schema.audit_event.c if column.name != "id"}
)

# The items held on a dependency made due now, returned as they are now.
RELEASE_HELD = (
    sa.update(_q)
    .where(_q.c.status == "held", _q.c.depends_on == sa.bindparam("k_depends_on"))
    .values(
        status="failed",
        next_attempt_at=sa.bindparam("now"),
        reason=sa.bindparam("new_reason"),
        updated_at=sa.bindparam("now"),
    )
    .returning(*_q.c)
)
