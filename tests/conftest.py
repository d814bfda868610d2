"""Shared fixtures: real databases only.

PostgreSQL is the machine's server at 127.0.0.1:5432 (trust auth, database ``test``), or the URL in
``ML_CONNECTOR_TEST_PG_URL``. Each test gets its own schema, dropped afterwards, so runs never see
each other's rows. Without a reachable server the PostgreSQL tests skip with a clear message, except
in CI (``CI=true``), where they fail: a green CI must mean the PostgreSQL path ran.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import alembic.script
import alembic.util
import alembic.util.pyfiles
import pytest
import sqlalchemy as sa
import waiting
from unavailable import unavailable

from connector_resources.ledger import Ledger

# Every Dagster test instance (``instance_for_test``: run, event log and schedule storages) and every ledger
# a test opens reads its alembic revision scripts afresh: Dagster's 100-odd files imported for each storage,
# about 40% of an instance's 0.3 s of CPU, paid thousands of times a suite. A revision script is a plain
# module (its ids and its upgrade and downgrade functions), so the test process imports each once, keyed by
# path, mtime and size (a script a test writes or changes is read anew). Only files of a ``versions``
# folder: ``env.py`` runs the migrations when it is loaded, so it is loaded every time as before.
_load_python_file = alembic.util.pyfiles.load_python_file
_REVISION_SCRIPTS: dict[tuple[str, int, int], object] = {}


def _revision_script_once(dir_: str, filename: str):
    if os.path.basename(os.path.normpath(dir_)) != "versions":
        return _load_python_file(dir_, filename)
    path = os.path.join(dir_, filename)
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _REVISION_SCRIPTS:
        _REVISION_SCRIPTS[key] = _load_python_file(dir_, filename)
    return _REVISION_SCRIPTS[key]


alembic.util.pyfiles.load_python_file = _revision_script_once
alembic.util.load_python_file = _revision_script_once  # the name alembic.script.base calls

# Each storage then builds its revision map (the graph of those scripts) afresh, several times per instance:
# a pathlib resolve and a load per script per map, 37% of a test instance's CPU in a profile. The map is a
# pure function of the scripts, so a process keeps one per folder whose scripts (names, mtimes, sizes) are
# unchanged; a folder whose scripts change gets a new one.
_script_directory_init = alembic.script.ScriptDirectory.__init__
_REVISION_MAPS: dict[tuple, object] = {}


def _mtime_and_size(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_mtime_ns, stat.st_size


def _scripts_stamp(script: alembic.script.ScriptDirectory) -> tuple:
    stamp = []
    for folder in script._version_locations:
        with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
            stamp += sorted((e.path, *_mtime_and_size(e.stat())) for e in entries)
    return tuple(stamp)


def _revision_map_once(self: alembic.script.ScriptDirectory, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    _script_directory_init(self, *args, **kwargs)
    key = (self.dir, tuple(self.version_locations), self.sourceless, self.recursive_version_locations)
    self.revision_map = _REVISION_MAPS.setdefault((*key, _scripts_stamp(self)), self.revision_map)


alembic.script.ScriptDirectory.__init__ = _revision_map_once

# A Dagster SQLite instance opens a connection per stored event and commits each with fsyncs (rollback
# journal, synchronous FULL): on a loaded disk that was half the wall time of an in-process run (a world's
# run of two assets, 3 runs in each of 5 instances: 60 s against 28-38 s without them, the same CPU).
# A test's throwaway instance never has to outlive a power cut, so in this process its files (and only
# its files: the ledger keeps its FULL, the code under test) skip the fsyncs. A process crash still loses
# nothing (SQLite hands every write to the OS before it returns); locking between connections is unchanged.
_DAGSTER_SQLITE_FILES = (("history", "runs.db"), ("schedules", "schedules.db"))


def _is_dagster_storage(path: str) -> bool:
    file = Path(path)
    return (file.parent.name, file.name) in _DAGSTER_SQLITE_FILES or (
        file.suffix == ".db" and file.parent.name == "runs" and file.parent.parent.name == "history"
    )


@sa.event.listens_for(sa.engine.Engine, "connect")
def _dagster_storage_without_fsync(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    [(_, _, path)] = dbapi_connection.execute("PRAGMA database_list").fetchall()
    if path and _is_dagster_storage(path):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


# What makes a test file end to end: it starts a simulator, a Dagster run or another process. Such files
# carry the ``e2e`` marker, so a quick loop skips them (``pytest -m "not e2e"``) while ``make test`` runs all.
E2E_SIGNS = ("_world import", "serve_in_thread", "run_in_thread", "dagster_server", "step_processes",
             "subprocess", "materialize(", "execute_in_process(", "sandbox_server")  # fmt: skip
_E2E_FILES: dict[str, bool] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of an end-to-end file ``e2e`` (decided once per file, from its source)."""
    for item in items:
        path = str(item.path)
        if path not in _E2E_FILES:
            text = item.path.read_text(encoding="utf-8") if item.path.suffix == ".py" else ""
            _E2E_FILES[path] = any(sign in text for sign in E2E_SIGNS)
        if _E2E_FILES[path]:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test stopped inside a named phase (``waiting.phase``, ``waiting.wait_until``: a run, a
    child process, a wait) says which, under its traceback; pytest-timeout's "Timeout >N s" names none."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and waiting.left:
        report.sections.append(("phase", f"stopped in: {waiting.left[0]}"))
    waiting.left.clear()  # a phase a test left by an exception it expected says nothing


PG_URL = os.environ.get("ML_CONNECTOR_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


_LEDGER_ENVS = ("ML_CONNECTOR_DB_URL", "ML_CONNECTOR_HOME", "DAGSTER_HOME")


@pytest.fixture(autouse=True)
def _process_sessions_end_with_the_test() -> Iterator[None]:
    """Each test starts without this process's kept JDE AIS sessions (``InProcessTokenStore``): what a
    step process gives back at its exit, given back after each test, so none adopts another's (a
    simulator restarted between tests has forgotten them)."""
    yield
    from connector_resources.token_store import release_process_tokens

    release_process_tokens()


@pytest.fixture(autouse=True)
def _ledger_home_of_its_own(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that says nothing about where the ledger is gets a ``DAGSTER_HOME`` of its own, not the
    checkout's ``./.dagster_home``: what one test imports there (a mapping table, which the ledger keeps
    from its first use on) must not reach the next. A Dagster test instance still sets its own home for its
    runs; a test or module that names a ledger or home keeps it."""
    if any(os.environ.get(name) for name in _LEDGER_ENVS):
        yield
        return
    home = request.getfixturevalue("tmp_path_factory").mktemp("home")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        yield
    finally:
        if os.environ.get("DAGSTER_HOME") == str(home):
            del os.environ["DAGSTER_HOME"]


def _pg_reachable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not usable here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of a reachable PostgreSQL; skip (locally) or fail (CI) when there is none."""
    problem = _pg_reachable(PG_URL)
    if problem:
        unavailable(f"PostgreSQL at {PG_URL} is not reachable ({problem}); set ML_CONNECTOR_TEST_PG_URL")
    return PG_URL


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of its own, dropped after the test."""
    schema = f"mlc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = sa.engine.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Runs a test once on SQLite and once on PostgreSQL: the ledger must behave the same on both."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    """A ledger on ``db_url`` (SQLite, then PostgreSQL), its connections closed afterwards; a module that
    needs another (a module-scoped one, the CLI's) defines its own ``ledger``."""
    led = Ledger(db_url)
    yield led
    led.dispose()


@pytest.fixture
def pg_database(pg_url):
    """A fresh PostgreSQL database (for a Dagster instance), dropped after the test: ``(url, name)``."""
    name = f"mlc_dagster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    url = sa.engine.make_url(pg_url)
    try:
        yield url, name
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :n"),
                {"n": name},
            )
            conn.execute(sa.text(f'drop database if exists "{name}"'))
        admin.dispose()


class ContractBreaches:
    """The breaches of the vendors' contracts a test caused, for a test that sends a known-bad request on
    purpose and asserts the simulator refused it naming the field."""

    def __init__(self) -> None:
        from connector_sandbox.contracts import recorded_breaches

        self._since = len(recorded_breaches())

    def seen(self):  # type: ignore[no-untyped-def]
        from connector_sandbox.contracts import recorded_breaches

        return recorded_breaches(self._since)


@pytest.fixture
def contract_breaches() -> ContractBreaches:
    return ContractBreaches()


@pytest.fixture(autouse=True)
def _vendor_contracts_kept(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every request a client sends a simulator in this process is checked against the vendor's contract,
    and every answer a simulator gives: a test that caused a breach fails naming the system, the endpoint
    and the field, unless it asked for ``contract_breaches`` (it sends a known-bad request on purpose)."""
    from connector_sandbox.contracts import recorded_breaches

    since = len(recorded_breaches())
    yield
    if "contract_breaches" in request.fixturenames:
        return
    seen = recorded_breaches(since)
    if seen:
        words = sorted({b.words for b in seen})
        pytest.fail(
            "the vendors' contracts were broken:\n" + "\n".join(f"  {w}" for w in words), pytrace=False
        )


@pytest.fixture
def behind_the_contract(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, contract_breaches: ContractBreaches
) -> Iterator[ContractBreaches]:
    """For a test of a simulator's own checks of requests its vendor's contract already refuses (its wording,
    its variants, the order of its refusals): the contract records instead of refusing, so the request
    reaches the simulator, and what the simulator answers must still be what the vendor gives, unless the
    test is marked ``off_contract_answer`` (a simulator variant whose answer the vendor's material does not
    show, kept until it is settled). The contract's own refusals are tested in
    ``tests/sandbox/test_<system>_contract.py``."""
    from connector_sandbox.contracts.middleware import STRICTNESS_ENV

    monkeypatch.setenv(STRICTNESS_ENV, "record")
    yield contract_breaches
    if request.node.get_closest_marker("off_contract_answer") is not None:
        return
    answers = sorted({b.words for b in contract_breaches.seen() if b.side == "answer"})
    assert not answers, "the simulator answered what its vendor never does:\n" + "\n".join(answers)
