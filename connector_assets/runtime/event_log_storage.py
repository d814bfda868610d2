"""Dagster's SQLite event log, keeping its database connections open between events (one engine per file,
the least recently used closed beyond ``KEPT_ENGINES``); without the private names it reaches
(``dagster_compat``) a connection per event, with one warning. Why and the numbers: docs/deployment.md,
"The embedded event log: connections kept open".
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from dagster import Field, StringSource
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

from connector_assets.runtime import dagster_compat
from connector_resources import settings

if TYPE_CHECKING:
    from connector_assets.runtime.dagster_compat import ConfigurableClassData

SqliteEventLogStorage = dagster_compat.SqliteEventLogStorage
if SqliteEventLogStorage is None:  # dagster_compat has warned once, saying what to do
    raise ImportError("this Dagster has no SqliteEventLogStorage: remove event_log_storage from dagster.yaml")
_SLOWER = "the embedded event log opens a connection per event (Dagster's own), about 8 ms instead of 2 ms"

# Databases whose engine (and open connection) a process keeps: the index, the runs it is writing or
# reading. Beyond it the least recently used is closed (and reopened when used again).
KEPT_ENGINES = 16


def default_base_dir() -> str:
    """Where Dagster's default SQLite event log lives: ``$DAGSTER_HOME/history/runs``, so an instance
    switched to this class keeps the events it has."""
    home = settings.given("DAGSTER_HOME")
    if not home:
        raise ValueError(
            "KeptConnectionSqliteEventLogStorage: no base_dir in dagster.yaml and DAGSTER_HOME is not set; "
            "set one of them to the instance folder"
        )
    return os.path.join(home, "history", "runs")


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one kept engine and connection per database file, named as the
    ``event_log_storage`` in ``dagster.yaml``; ``base_dir`` defaults to ``$DAGSTER_HOME/history/runs``."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        # Set before Dagster's __init__, which may already connect (a new instance indexes its events).
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._kept: bool | None = None  # whether Dagster's internals are here (``_keeps``), once known
        super().__init__(base_dir or default_base_dir(), inst_data)
        self._keeps()

    def _keeps(self) -> bool:
        """Whether this Dagster has what the kept connections replace or use; asked once per storage (at
        its first connection, inside Dagster's __init__, or at the end of it)."""
        if self._kept is None:
            self._kept = dagster_compat.internals(
                # A method of Dagster's class, or an attribute its __init__ gave this storage.
                lambda name: hasattr(SqliteEventLogStorage, name) or name in vars(self),
                dagster_compat.SQLITE_EVENT_LOG_INTERNALS,
                "SqliteEventLogStorage",
                _SLOWER,
            )
        return self._kept

    @classmethod
    def config_type(cls) -> dict[str, object]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """Dagster's ``_connect`` (under its lock, the database initialized on first use, one
        transaction), on the shard's kept engine instead of a new one."""
        if not self._keeps():
            with super()._connect(shard) as conn:
                yield conn
            return
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            # One kept connection: Dagster holds its lock around each (``_connect``); the few opened
            # beside it (a new database's schema check) are closed when returned.
            pool_size=1,
            max_overflow=4,
            connect_args={"timeout": dagster_compat.SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        self._engines[shard] = engine
        while len(self._engines) > KEPT_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _close_engines(self) -> None:
        if not self._keeps():
            return
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        """Dagster's wipe deletes the run shards' files: close them first."""
        self._close_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()
