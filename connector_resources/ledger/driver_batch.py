"""A statement run for many rows on the database driver's own cursor, inside a SQLAlchemy transaction.

Why: ``Ledger.record_written`` records a write step's batch of written records with two statements for
many rows (the target ids, the audit events). Through SQLAlchemy's ``executemany`` each row costs about
25 us of parameter processing per statement (``construct_params``, a type processor per value), which was
most of what a written record cost beyond its claim. Here the statement is compiled once per dialect by
SQLAlchemy (same SQL, same conditions), its typed values (the batch's one timestamp) are converted once
per batch with the column type's own bind processor, so they are stored exactly as SQLAlchemy would store
them, and the rows go to the driver as plain tuples or dicts: ``sqlite3``'s ``executemany``, psycopg2's
``execute_batch`` (updates, one round trip per 100 rows) or ``execute_values`` (an insert of many rows in
one statement). The cursor is the transaction's own connection, so the rows commit or roll back with it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

PAGE = 100  # rows per round trip on PostgreSQL


class DriverBatch:
    """``statement`` compiled for ``dialect``; ``run`` executes it for many rows of named values."""

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect, *, insert: bool = False) -> None:
        compiled = statement.compile(dialect=dialect)
        self.dialect = dialect.name
        self.insert = insert
        self.names: list[str] = list(compiled.positiontup or []) if compiled.positional else []
        self.sql = compiled.string
        if insert and self.dialect == "postgresql":
            # execute_values fills one "VALUES %s" with every row: the row template names the values.
            head, _, _ = self.sql.partition(" VALUES ")
            self.sql = f"{head} VALUES %s"
        self._processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        # The statement's own constants (``state='synced'``, ``lease_owner=NULL``): the same in every row.
        used = self.names if compiled.positional else [n for n in compiled.binds if f"%({n})s" in self.sql]
        self.constants = {
            name: None if bind.value is None else self.typed(name, bind.value)
            for name, bind in compiled.binds.items()
            if not bind.required and name in used
        }
        # The positional values of a row, in one C call (a tuple even for a single name).
        self._pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*self.names)
            if len(self.names) > 1
            else lambda row: tuple(row[n] for n in self.names)
        )
        if insert and self.dialect == "postgresql":
            self.columns = list(compiled.binds)
            self._every = operator.itemgetter(*self.columns)
            self.template = "(" + ", ".join(f"%({name})s" for name in self.columns) + ")"

    def typed(self, name: str, value: Any) -> Any:
        """``value`` as the driver receives it for parameter ``name`` (the column type's bind processor):
        convert a value shared by the whole batch once, not per row."""
        processor = self._processors.get(name)
        return value if processor is None else processor(value)

    def run(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Execute for ``rows`` (values already ``typed``) on ``conn``'s driver connection. Returns the
        rows the statements changed in all, where the driver counts them for a whole batch (sqlite3's
        ``executemany`` sums them), else -1 (psycopg2's batches count only their last statement)."""
        if not rows:
            return 0
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if self.dialect == "sqlite":
                cursor.executemany(self.sql, map(self._row_tuple, rows))
                return int(cursor.rowcount)
            if self.constants:
                rows = [{**self.constants, **row} for row in rows]
            if self.insert:
                from psycopg2.extras import execute_values

                template, values = self._folded(cursor, rows)
                execute_values(cursor, self.sql, values, template=template, page_size=PAGE)
            else:
                from psycopg2.extras import execute_batch

                execute_batch(cursor, self.sql, rows, page_size=PAGE)
            return -1
        finally:
            cursor.close()

    def _folded(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> tuple[str, Sequence[Any]]:
        """PostgreSQL inserts: the row template with each value every row shares (a batch's flow, run,
        action and time) quoted into it once by the driver, and the rows as their other values only.
        Why: psycopg2 quotes every value of every row; an audit event has thirteen, of which a batch's
        rows differ in three or four."""
        if len(rows) < 2 or len(self.columns) < 2:
            return self.template, rows
        first = rows[0]
        # Columns with one distinct value (the ledger's values are text, None or a timestamp, which never
        # compare equal across those types): the rows transposed, each column's values in one set.
        by_column = zip(*map(self._every, rows), strict=True)
        shared = {name for name, values in zip(self.columns, by_column, strict=True) if len(set(values)) == 1}
        varying = [name for name in self.columns if name not in shared]
        if not varying:
            return self.template, rows
        parts = [
            cursor.mogrify("%s", (first[name],)).decode().replace("%", "%%") if name in shared else "%s"
            for name in self.columns
        ]
        pick = operator.itemgetter(*varying)
        values = [pick(row) for row in rows] if len(varying) > 1 else [(row[varying[0]],) for row in rows]
        return "(" + ", ".join(parts) + ")", values

    def _row_tuple(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """A row's values in the statement's positional order, its constants filled in."""
        return self._pick({**self.constants, **row} if self.constants else row)


class ValuesUpdate:
    """PostgreSQL: the target ids and hashes of many written records of one flow recorded by one
    ``UPDATE ... FROM (VALUES ...) RETURNING`` (``Ledger.record_written``), same conditions as
    ``statements.RECORD_TARGET``: the row of each source key, unless it holds another target id.

    Why: as an ``execute_batch`` of one UPDATE per record, psycopg2 quotes eight values per record and
    the batch needs a query to read back which rows were updated. Here a record is three values, and
    the rows updated come back from the statement itself. A target id that is another record's fails
    the statement on the unique index, as the per-record update would.
    """

    def __init__(self, table: sa.Table, queue: sa.Table) -> None:
        # Each row updated comes back with whether retry-queue items are held on it (their depends_on is
        # its dependency key, ``ledger.dependency_key``), so the batch needs no query of its own for that.
        self.sql = (
            f"UPDATE {table.name} AS x SET target_id = v.target_id, content_hash = v.content_hash, "
            "state = 'synced', updated_at = %(now)s, lease_owner = NULL, lease_expires_at = NULL "
            "FROM (VALUES __VALUES__) AS v(source_key, target_id, content_hash) "
            "WHERE x.integration = %(integration)s AND x.entity = %(entity)s "
            "AND x.source_system = %(source_system)s AND x.target_system = %(target_system)s "
            "AND x.source_key = v.source_key AND (x.target_id IS NULL OR x.target_id = v.target_id) "
            f"RETURNING x.source_key, EXISTS (SELECT 1 FROM {queue.name} AS q WHERE q.status = 'held' "
            "AND q.depends_on = x.integration || ':' || x.entity || ':' || x.source_system || ':' "
            "|| x.source_key)"
        )

    def run(
        self, conn: sa.Connection, flow: Mapping[str, Any], rows: Sequence[tuple[str, str, str]]
    ) -> dict[str, bool]:
        """Record ``rows`` (source key, target id, content hash) of ``flow`` (integration, entity,
        source_system, target_system, and ``now`` as the driver takes it); the source keys updated, each
        with whether items are held on it."""
        from psycopg2.extras import execute_values

        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            # The flow's values quoted by the driver once; the VALUES list is execute_values' own %s.
            head = cursor.mogrify(self.sql, dict(flow)).decode().replace("%", "%%")
            sql = head.replace("__VALUES__", "%s")
            found = execute_values(cursor, sql, rows, template="(%s, %s, %s)", page_size=PAGE, fetch=True)
        finally:
            cursor.close()
        return {row[0]: bool(row[1]) for row in found}


def held_on(conn: sa.Connection, table: sa.Table, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` have items held on them in ``table`` (the retry queue), on the driver's cursor:
    a query per batch of written records (``Ledger.held_on``), whose expanding IN costs SQLAlchemy more
    CPU than the database spends on it. ``keys`` go as bound values only (one placeholder each)."""
    if not keys:
        return set()
    dialect = conn.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    sql = (
        f"SELECT DISTINCT depends_on FROM {table.name} "
        f"WHERE status = 'held' AND depends_on IN ({', '.join([mark] * len(keys))})"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(keys))
        return {row[0] for row in cursor.fetchall()}
    finally:
        cursor.close()
