"""Mapping tables kept in the ledger: rows, a version per table, and every change with who, when and why.

Why here and not in a file: the people who fix a refused record's mapping are AP clerks at the exceptions
desk, not whoever can edit a ConfigMap. The ledger owns a table from its first import on (a configured CSV
is imported once, ``seed_mapping``); after that every change goes through ``change_mapping``: checked for
a viewer and a note, refused when someone else saved the table since the editor read it (the version), and
written in one transaction with its history rows (old -> new) and the operator action, or not at all.
What a valid row is (its format, the target's master data) is the caller's to check before it saves: the
ledger knows no system.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.operator_actions import Operator, OperatorStore, _note
from connector_resources.ledger.records import LedgerInputError, MappingUse, _now, _text
from connector_resources.redaction import redact

__all__ = ["MappingChange", "MappingInfo", "MappingStore", "MappingUse", "StaleMapping", "SEEDED_BY"]

SEEDED_BY = "ml-connector (first use)"  # the actor of a table's first import from its configured file


class StaleMapping(LedgerInputError):
    """The table was saved by someone else after the editor read it: their rows would be overwritten."""


@dataclass(frozen=True, slots=True)
class MappingInfo:
    """A table the ledger holds: its version (1 on import, +1 a save), where it was first imported from and
    that file's fingerprint, when, and how many rows it has."""

    mapping: str
    version: int
    origin: str
    content_hash: str
    created_at: datetime
    updated_at: datetime
    rows: int


@dataclass(frozen=True, slots=True)
class MappingChange:
    """One row's change: ``old_value`` None is an added row, ``new_value`` None a deleted one."""

    id: int
    at: datetime
    actor: str
    role: str
    mapping: str
    version: int
    map_key: str
    old_value: str | None
    new_value: str | None
    note: str
    origin: str


class MappingStore(OperatorStore):
    """Mapping tables (a mixin of ``Ledger``)."""

    def mapping_info(self, mapping: str, *, conn: sa.Connection | None = None) -> MappingInfo | None:
        """The table's state, or None while the ledger does not hold it (never imported)."""
        return self.mapping_infos(conn=conn, only=mapping).get(mapping)

    def mapping_infos(
        self, *, conn: sa.Connection | None = None, only: str | None = None
    ) -> dict[str, MappingInfo]:
        """Every table the ledger holds, with its row count, by name."""
        m, r = schema.mapping, schema.mapping_row
        rows = sa.select(sa.func.count()).where(r.c.mapping == m.c.mapping).scalar_subquery()
        query = sa.select(m, rows.label("rows")).order_by(m.c.mapping)
        if only is not None:
            query = query.where(m.c.mapping == only)
        with self._read(conn) as c:
            return {row.mapping: MappingInfo(**row._mapping) for row in c.execute(query)}

    def mapping_rows(self, mapping: str, *, conn: sa.Connection | None = None) -> dict[str, str] | None:
        """``{key: value}`` of the table, or None while the ledger does not hold it."""
        m, r = schema.mapping, schema.mapping_row
        with self._read(conn) as c:
            if c.execute(sa.select(m.c.version).where(m.c.mapping == mapping)).first() is None:
                return None
            query = sa.select(r.c.map_key, r.c.value).where(r.c.mapping == mapping).order_by(r.c.map_key)
            return {row.map_key: row.value for row in c.execute(query)}

    def mapping_state(
        self, mapping: str, *, conn: sa.Connection | None = None
    ) -> tuple[MappingInfo | None, dict[str, str] | None]:
        """The table's state and rows read together (one connection), so the rows are the version's: what a
        mapping step compares its staged snapshot with. ``(None, None)`` while the ledger does not hold it."""
        with self._read(conn) as c:
            return self.mapping_info(mapping, conn=c), self.mapping_rows(mapping, conn=c)

    def note_mapping_use(
        self, mapping: str, version: int, run_id: str, *, conn: sa.Connection | None = None
    ) -> None:
        """``run_id`` mapped with ``version`` of ``mapping``: kept once (the first time it was noted)."""
        values = {
            "mapping": _text("mapping use", "mapping", mapping, schema.FLOW_LEN),
            "version": int(version),
            "run_id": _text("mapping use", "run_id", run_id, schema.RUN_ID_LEN),
            "at": _now(),
        }
        insert = self._insert(schema.mapping_use).values(**values)
        with self._write(conn) as c:
            c.execute(insert.on_conflict_do_nothing(index_elements=["mapping", "version", "run_id"]))

    def mapping_uses(
        self, mapping: str, *, limit: int = 20, conn: sa.Connection | None = None
    ) -> list[MappingUse]:
        """The latest runs that mapped with ``mapping``, latest first, with the version each used."""
        u = schema.mapping_use
        query = (
            sa.select(u.c.version, u.c.run_id, u.c.at)
            .where(u.c.mapping == mapping)
            .order_by(u.c.at.desc(), u.c.version.desc(), u.c.run_id)
            .limit(limit)
        )
        with self._read(conn) as c:
            return [MappingUse(version=row.version, run_id=row.run_id, at=row.at) for row in c.execute(query)]

    def seed_mapping(self, mapping: str, rows: Mapping[str, str], *, origin: str, content_hash: str) -> bool:
        """Import ``rows`` as the table's version 1, once: False (nothing written) when the ledger holds the
        table already, so two processes starting together import it once and a later file never overwrites
        what operators saved since."""
        _text("mapping table", "mapping", mapping, schema.FLOW_LEN)
        now = _now()
        with self._write(None) as conn:
            inserted = conn.execute(
                self._insert(schema.mapping)
                .values(
                    mapping=mapping,
                    version=1,
                    origin=origin,
                    content_hash=content_hash,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["mapping"])
            ).rowcount
            if not inserted:
                return False
            added: dict[str, tuple[str | None, str | None]] = {k: (None, v) for k, v in rows.items()}
            self._put_rows(conn, mapping, 1, added, SEEDED_BY, now)
            self._history(conn, mapping, 1, added, SEEDED_BY, "system", now,
                          note=f"imported from {origin}", origin="first use")  # fmt: skip
        return True

    def change_mapping(
        self,
        mapping: str,
        changes: Mapping[str, str | None],
        *,
        by: Operator,
        note: str,
        origin: str,
        expected_version: int | None = None,
    ) -> MappingInfo:
        """Set (``value``) or delete (None) rows and bump the table's version, with the history and the
        operator action, in one transaction. Rows set to the value they have already are left out; nothing
        left is refused (``LedgerInputError``). ``expected_version``: the version the editor read; another
        save since is refused (``StaleMapping``). A table the ledger does not hold yet starts at version 1
        (``mappings import`` before any run)."""
        table = _text("mapping table", "mapping", mapping, schema.FLOW_LEN)
        note = _note(by, "map", f"mapping table {table}", note)
        m = schema.mapping
        now = _now()
        with self._write(None) as conn:
            current = self.mapping_rows(table, conn=conn)
            info = self.mapping_info(table, conn=conn)
            if expected_version is not None and (info.version if info else 0) != expected_version:
                by_whom = self.mapping_history(table, limit=1, conn=conn)
                who = f" by {by_whom[0].actor} at {by_whom[0].at:%Y-%m-%d %H:%M} UTC" if by_whom else ""
                raise StaleMapping(
                    f"mapping table {table} was saved{who} after you opened it (version "
                    f"{info.version if info else 0}, you read {expected_version}): reload it and make your "
                    "change again"
                )
            rows = current or {}
            diff: dict[str, tuple[str | None, str | None]] = {}
            for key, value in changes.items():
                _text(f"mapping table {table}", "key", key, schema.KEY_LEN)
                if value is not None:
                    _text(f"mapping table {table} key {key}", "value", value, 10_000)
                if rows.get(key) != value:
                    diff[key] = (rows.get(key), value)
            if not diff:
                raise LedgerInputError(
                    f"mapping table {table}: nothing to change (every row has that value already)"
                )
            version = (info.version if info else 0) + 1
            if info is None:
                conn.execute(
                    sa.insert(m).values(
                        mapping=table,
                        version=version,
                        origin=origin,
                        content_hash="",
                        created_at=now,
                        updated_at=now,
                    )  # fmt: skip
                )
            else:
                conn.execute(sa.update(m).where(m.c.mapping == table).values(version=version, updated_at=now))
            self._put_rows(conn, table, version, diff, by.actor, now)
            self._history(conn, table, version, diff, by.actor, by.role, now, note=note, origin=origin)
            conn.execute(
                sa.insert(schema.operator_action).values(
                    at=now,
                    actor=by.actor,
                    role=by.role,
                    action="map",
                    integration=table.split("/")[0],
                    flow=None,
                    item_id=None,
                    source_key=table,
                    note=note,
                    detail=json.dumps({"version": version, "changes": redact(_said(diff))}),
                )  # fmt: skip
            )
            info = self.mapping_info(table, conn=conn)
        assert info is not None
        return info

    def mapping_history(
        self, mapping: str, *, key: str | None = None, limit: int = 100, conn: sa.Connection | None = None
    ) -> list[MappingChange]:
        """The table's changes, latest first (of one row with ``key``)."""
        h = schema.mapping_change
        query = sa.select(h).where(h.c.mapping == mapping).order_by(h.c.id.desc()).limit(limit)
        if key is not None:
            query = query.where(h.c.map_key == key)
        with self._read(conn) as c:
            return [MappingChange(**row._mapping) for row in c.execute(query)]

    @staticmethod
    def _put_rows(
        conn: sa.Connection,
        mapping: str,
        version: int,
        diff: Mapping[str, tuple[str | None, str | None]],
        actor: str,
        now: datetime,
    ) -> None:
        """The rows ``diff`` names replaced by their new values (a None value: the row is gone)."""
        r = schema.mapping_row
        keys = list(diff)
        for first in range(0, len(keys), 500):  # bounded IN lists, whatever the size of an import
            conn.execute(
                sa.delete(r).where(r.c.mapping == mapping, r.c.map_key.in_(keys[first : first + 500]))
            )
        kept = [
            {
                "mapping": mapping,
                "map_key": key,
                "value": new,
                "version": version,
                "actor": actor,
                "updated_at": now,
            }
            for key, (_, new) in diff.items()
            if new is not None
        ]
        if kept:
            conn.execute(sa.insert(r), kept)

    @staticmethod
    def _history(
        conn: sa.Connection,
        mapping: str,
        version: int,
        diff: Mapping[str, tuple[str | None, str | None]],
        actor: str,
        role: str,
        now: datetime,
        *,
        note: str,
        origin: str,
    ) -> None:
        if diff:
            conn.execute(
                sa.insert(schema.mapping_change),
                [
                    {
                        "at": now,
                        "actor": actor,
                        "role": role,
                        "mapping": mapping,
                        "version": version,
                        "map_key": key,
                        "old_value": old,
                        "new_value": new,
                        "note": note,
                        "origin": origin,
                    }  # fmt: skip
                    for key, (old, new) in diff.items()
                ],
            )


def _said(diff: Mapping[str, tuple[str | None, str | None]], most: int = 20) -> str:
    """``6100: 1.4310 -> 1.4320; 6200: (none) -> 1.5000`` for the operator action's detail."""
    parts = [
        f"{key}: {old or '(none)'} -> {new or '(deleted)'}" for key, (old, new) in list(diff.items())[:most]
    ]
    more = f"; and {len(diff) - most} more" if len(diff) > most else ""
    return "; ".join(parts) + more
