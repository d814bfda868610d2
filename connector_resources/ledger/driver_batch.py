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
            self.template = "(" + ", ".join(f"%({name})s" for name in compiled.binds) + ")"

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

                execute_values(cursor, self.sql, rows, template=self.template, page_size=PAGE)
            else:
                from psycopg2.extras import execute_batch

                execute_batch(cursor, self.sql, rows, page_size=PAGE)
            return -1
        finally:
            cursor.close()

    def _row_tuple(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """A row's values in the statement's positional order, its constants filled in."""
        return self._pick({**self.constants, **row} if self.constants else row)
