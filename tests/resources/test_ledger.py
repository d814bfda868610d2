"""The ledger on real databases: every test that touches data runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from ledger_entries import audited, queued
from racing import race

from connector_resources.ledger import (
    Ledger,
    LedgerInputError,
    LedgerRecordNotFound,
    XrefConflict,
    ledger_url,
    make_engine,
    migrate,
    normalize_url,
    schema,
)
from connector_resources.ledger.engine import alembic_config, describe_url
from connector_resources.project_home import NoProject
from connector_resources.redaction import redact, register_secret

SUPPLIER = ("coupa", "supplier", "JDE", "4343", "coupa")


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    led = Ledger(db_url)
    yield led
    led.dispose()


# ---------------------------------------------------------------- URL and engine


def test_ledger_url_resolution_order(monkeypatch, tmp_path):
    for name in ("ML_CONNECTOR_DB_URL", "ML_CONNECTOR_HOME", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)  # no workspace.yaml here or above, nothing set: refused, nothing made
    looked = f"no workspace.yaml or pyproject.toml with [tool.dg.project] in {outside} or any folder above it"
    with pytest.raises(NoProject, match=re.escape(looked)):
        ledger_url()
    assert list(outside.iterdir()) == []

    (tmp_path / "workspace.yaml").write_text("load_from: []\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # below the project folder: the project's .dagster_home
    assert ledger_url() == f"sqlite:///{tmp_path / '.dagster_home' / 'ledger.sqlite'}"
    assert (tmp_path / ".dagster_home").is_dir() and not (tmp_path / "sub" / ".dagster_home").exists()

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    assert ledger_url() == f"sqlite:///{tmp_path / 'dagster' / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path / "mlc"))
    assert ledger_url() == f"sqlite:///{tmp_path / 'mlc' / 'ledger.sqlite'}"
    assert (tmp_path / "mlc").is_dir()

    monkeypatch.setenv("ML_CONNECTOR_DB_URL", "postgres://u@db.example:5432/ledger")
    assert ledger_url() == "postgresql+psycopg2://u@db.example:5432/ledger"
    assert ledger_url("sqlite:///explicit.sqlite") == "sqlite:///explicit.sqlite"


def test_postgres_urls_name_the_installed_driver():
    assert normalize_url("postgresql://h/db") == "postgresql+psycopg2://h/db"
    assert normalize_url("postgres://h/db") == "postgresql+psycopg2://h/db"
    assert normalize_url("postgresql+psycopg2://h/db") == "postgresql+psycopg2://h/db"
    assert normalize_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_database_password_is_registered_and_masked():
    password = "ledger-pw-5Qx81"
    engine = make_engine(f"postgresql://mlc:{password}@127.0.0.1:1/ledger")  # no connection is made
    try:
        assert engine.dialect.driver == "psycopg2"
        assert password not in describe_url(engine.url)
        assert redact(f"could not connect with {password}") == "could not connect with ***"
    finally:
        engine.dispose()


def test_unsupported_database_is_a_clear_error():
    with pytest.raises(ValueError, match="supports SQLite and PostgreSQL"):
        make_engine("mysql+pymysql://u@h/db")


def test_sqlite_engine_settings(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_a_new_sqlite_file_another_process_is_writing_is_waited_for_not_refused(sqlite_url):
    """Two processes opening a new ledger file at once: the one whose switch to WAL meets the other's write
    lock waits for it (SQLite's busy timeout would not: the switch upgrades a read lock to a write lock)."""
    import sqlite3
    import time

    path = sqlite_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # still a rollback-journal file: the other process holds its write lock
    other.execute("CREATE TABLE other_process (x)")
    release = threading.Timer(0.5, other.execute, ("COMMIT",))
    engine = make_engine(sqlite_url)
    started = time.monotonic()
    release.start()
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert time.monotonic() - started >= 0.4  # it waited for the other's commit
    finally:
        release.join()
        other.close()
        engine.dispose()


def test_in_memory_ledger_is_shared_across_threads():
    led = Ledger("sqlite://")
    try:
        led.record_target(*SUPPLIER, "C-1", "h1")
        seen: queue.Queue[object] = queue.Queue()
        thread = threading.Thread(target=lambda: seen.put(led.get_xref(*SUPPLIER)))
        thread.start()
        thread.join(10)
        assert seen.get_nowait().target_id == "C-1"
    finally:
        led.dispose()


# ---------------------------------------------------------------- migrations


EXPECTED_INDEXES = {
    "mlc_xref": {"uq_mlc_xref_target", "ix_mlc_xref_target", "ix_mlc_xref_source_key"},
    "mlc_audit_event": {
        "ix_mlc_audit_event_source_id",
        "ix_mlc_audit_event_target_id",
        "ix_mlc_audit_event_flow_at",
    },
    "mlc_retry_queue": {"uq_mlc_retry_queue_open", "ix_mlc_retry_queue_due", "ix_mlc_retry_queue_depends_on"},
    "mlc_webhook_inbox": {"ix_mlc_webhook_inbox_pending"},
}


def _schema_diff(engine: sa.Engine, metadata: sa.MetaData) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": schema.belongs_to_ledger, "compare_type": True}
        )
        return compare_metadata(context, metadata)


def test_migrate_twice_is_a_no_op(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        migrate(engine)
        ddl = [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "INSERT"))]
        assert ddl == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        with engine.connect() as conn:
            versions = (
                conn.execute(sa.text(f"SELECT version_num FROM {schema.VERSION_TABLE}")).scalars().all()
            )
        assert versions == [head]
    finally:
        engine.dispose()


def test_migrated_schema_matches_metadata(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        assert _schema_diff(engine, schema.metadata) == []

        # The comparison is not vacuous: metadata with one more index does differ from the database.
        extended = sa.MetaData()
        for table in schema.metadata.tables.values():
            table.to_metadata(extended)
        sa.Index("ix_mlc_xref_note", extended.tables["mlc_xref"].c.note)
        diff = _schema_diff(engine, extended)
        assert [d[0] for d in diff] == ["add_index"]

        inspector = sa.inspect(engine)
        tables = set(inspector.get_table_names())
        assert set(schema.metadata.tables) | {schema.VERSION_TABLE} <= tables
        assert "alembic_version" not in tables  # Dagster's name stays free
        for table, expected in EXPECTED_INDEXES.items():
            assert expected <= {ix["name"] for ix in inspector.get_indexes(table)}, table
        uniques = {uc["name"] for uc in inspector.get_unique_constraints("mlc_xref")}
        assert "uq_mlc_xref_source" in uniques
    finally:
        engine.dispose()


# ---------------------------------------------------------------- cross-references


def test_xref_lifecycle(ledger):
    assert ledger.get_xref(*SUPPLIER) is None
    claimed = ledger.claim_xref(*SUPPLIER)
    assert (claimed.state, claimed.target_id, claimed.manual) == ("pending", None, False)
    assert ledger.claim_xref(*SUPPLIER).id == claimed.id  # claiming again changes nothing

    synced = ledger.record_target(*SUPPLIER, "C-100", "hash-1")
    assert (synced.state, synced.target_id, synced.content_hash) == ("synced", "C-100", "hash-1")
    assert ledger.find_xref_by_target("coupa", "supplier", "coupa", "C-100") == synced

    updated = ledger.record_target(*SUPPLIER, "C-100", "hash-2")  # an update of the same record
    assert (updated.id, updated.content_hash) == (claimed.id, "hash-2")

    with pytest.raises(XrefConflict) as err:
        ledger.record_target(*SUPPLIER, "C-200", "hash-3")
    assert "C-100" in str(err.value) and "C-200" in str(err.value)
    assert (err.value.recorded_target_id, err.value.attempted_target_id) == ("C-100", "C-200")
    assert ledger.get_xref(*SUPPLIER).target_id == "C-100"


def test_xrefs_for_finds_a_record_by_either_id_across_integrations(ledger):
    ledger.record_target(*SUPPLIER, "C-100", "h")
    ledger.record_target("bill", "vendor", "JDE", "4343", "bill", "00n-4343", "h")
    ledger.record_target("coupa", "supplier", "JDE", "5555", "coupa", "4343", "h")  # a target id "4343"
    ledger.claim_xref("coupa", "supplier", "JDE", "6666", "coupa")
    assert [(x.integration, x.source_key, x.target_id) for x in ledger.xrefs_for("4343")] == [
        ("bill", "4343", "00n-4343"),
        ("coupa", "4343", "C-100"),
        ("coupa", "5555", "4343"),
    ]
    assert [x.source_key for x in ledger.xrefs_for("C-100")] == ["4343"]
    assert ledger.xrefs_for("nothing-here") == []


def test_written_unmarked_lists_written_records_until_their_mark_is_audited(ledger):
    key = ("coupa_jde", "invoice", "coupa")
    ledger.record_target(*key, "1", "JDE", "B1", "h1")
    ledger.record_target(*key, "2", "JDE", "B2", "h2")
    ledger.claim_xref(*key, "3", "JDE")  # intent only: not written, so nothing to mark
    ledger.record_target("coupa_jde", "payment", "coupa", "1", "JDE", "P1", "h")  # another entity

    def unmarked() -> list[str]:
        found = ledger.written_unmarked(*key, "JDE", flow="invoices", mark_system="coupa")
        return [x.source_key for x in found]

    assert unmarked() == ["1", "2"]
    # The write's own audit event (target JDE) is not a mark; a mark on the source system is.
    ledger.audit(
        integration="coupa_jde", flow="invoices", action="create", source_id="1", target_system="JDE"
    )
    assert unmarked() == ["1", "2"]
    ledger.audit(
        integration="coupa_jde", flow="invoices", action="update", source_id="1", target_system="coupa"
    )
    assert unmarked() == ["2"]
    assert [
        x.source_key
        for x in ledger.written_unmarked(*key, "JDE", flow="invoices", mark_system="coupa", limit=0)
    ] == []


def test_waited_for_lists_what_held_records_wait_for_by_prefix(ledger):
    def hold(key: str, depends_on: str, status: str = "held") -> None:
        orders = ("jde_coupa", "purchase_orders", "purchase_order")
        queued(ledger, orders, key, "waits", status=status, depends_on=depends_on)

    hold("PO-1", "jde_coupa:supplier:JDE:4343")
    hold("PO-2", "jde_coupa:supplier:JDE:4343")
    hold("PO-3", "jde_coupa:supplier:JDE:12")
    hold("PO-4", "jde_coupa_x:supplier:JDE:99")  # "_" in a prefix is a character, not a wildcard
    hold("PO-5", "jde_coupa:supplier:JDE:77", status="failed")  # not held
    assert ledger.waited_for("jde_coupa:supplier:JDE:") == [
        "jde_coupa:supplier:JDE:12",
        "jde_coupa:supplier:JDE:4343",
    ]
    ledger.release_held("jde_coupa:supplier:JDE:12")
    assert ledger.waited_for("jde_coupa:supplier:JDE:") == ["jde_coupa:supplier:JDE:4343"]
    assert ledger.waited_for("jde_coupa:") == ["jde_coupa:supplier:JDE:4343"]


def test_pending_claims_do_not_collide_on_the_target_index(ledger):
    # Many records may be pending (target id unknown) at once: the target uniqueness is partial.
    for key in ("1", "2", "3"):
        ledger.claim_xref("coupa", "supplier", "JDE", key, "coupa")
    assert ledger.summary()["xrefs_pending"] == 3


def test_target_owned_by_another_source_is_refused(ledger):
    ledger.record_target(*SUPPLIER, "C-100", "h")
    other = ("coupa", "supplier", "JDE", "5555", "coupa")
    with pytest.raises(XrefConflict) as err:
        ledger.record_target(*other, "C-100", "h")
    assert "4343" in str(err.value) and "5555" in str(err.value)
    assert err.value.other_source_key == "4343"
    # The same target id in another entity or integration is a different record: allowed.
    ledger.record_target("coupa", "invoice", "JDE", "5555", "coupa", "C-100", "h")


def test_manual_match_is_never_overwritten(ledger):
    manual = ledger.set_manual_override(*SUPPLIER, "C-7", entered_by="ana@finance", note="same tax id")
    assert (manual.manual, manual.target_id, manual.entered_by, manual.content_hash) == (
        True,
        "C-7",
        "ana@finance",
        None,
    )
    with pytest.raises(XrefConflict, match="manual match entered by ana@finance"):
        ledger.record_target(*SUPPLIER, "C-8", "h")
    kept = ledger.record_target(*SUPPLIER, "C-7", "h-written")  # writing to the matched record is fine
    assert (kept.manual, kept.target_id, kept.content_hash) == (True, "C-7", "h-written")

    ledger.record_target("coupa", "supplier", "JDE", "9000", "coupa", "C-9", "h")
    with pytest.raises(XrefConflict, match="9000"):
        ledger.set_manual_override(*SUPPLIER, "C-9", entered_by="ana@finance")
    repointed = ledger.set_manual_override(*SUPPLIER, "C-10", entered_by="bo@finance")
    assert (repointed.target_id, repointed.content_hash, repointed.entered_by) == ("C-10", None, "bo@finance")


def test_conflict_leaves_the_callers_transaction_usable(ledger):
    ledger.record_target(*SUPPLIER, "C-100", "h")
    other = ("coupa", "supplier", "JDE", "5555", "coupa")
    with ledger.transaction() as conn:
        with pytest.raises(XrefConflict):
            ledger.record_target(*other, "C-100", "h", conn=conn)
        audited(ledger, "coupa", "suppliers", "fail", "5555", "duplicate", conn=conn)
    assert [e.action for e in ledger.history("5555")] == ["fail"]
    assert ledger.get_xref(*other).target_id is None


def test_transaction_rolls_back_everything_on_error(ledger):
    with pytest.raises(RuntimeError), ledger.transaction() as conn:
        ledger.record_target(*SUPPLIER, "C-100", "h", conn=conn)
        ledger.audit(integration="coupa", flow="suppliers", action="create", source_id="4343", conn=conn)
        raise RuntimeError("write to Coupa failed after the ledger rows")
    assert ledger.get_xref(*SUPPLIER) is None
    assert ledger.history("4343") == []


def _race_worker(url: str, name: str, rounds: int, barrier, results) -> None:
    """One of two processes writing the same records at the same moment (runs in a spawned child)."""
    led = Ledger(url, migrate=False)
    outcome: dict[str, str] = {}
    try:
        for i in range(rounds):
            # Same source record, different target ids: both claim, then both record.
            key = ("coupa", "supplier", "JDE", f"race-{i}", "coupa")
            barrier.wait(30)
            led.claim_xref(*key)
            barrier.wait(30)
            try:
                led.record_target(*key, f"{name}-{i}", "h")
                outcome[f"same-source-{i}"] = f"{name}-{i}"
            except XrefConflict:
                outcome[f"same-source-{i}"] = "conflict"
            # Different source records, the same target id.
            barrier.wait(30)
            try:
                led.record_target("coupa", "supplier", "JDE", f"{name}-src-{i}", "coupa", f"shared-{i}", "h")
                outcome[f"same-target-{i}"] = "won"
            except XrefConflict:
                outcome[f"same-target-{i}"] = "conflict"
        results.put((name, outcome))
    except Exception as exc:  # report, so the parent fails with the cause instead of a timeout
        results.put((name, {"error": f"{type(exc).__name__}: {exc}"}))
    finally:
        led.dispose()


def test_two_processes_racing_for_one_record(ledger, db_url):
    rounds = 3
    outcomes = race(_race_worker, lambda name, barrier, results: (db_url, name, rounds, barrier, results), 90)
    assert "error" not in outcomes["A"] and "error" not in outcomes["B"], outcomes
    for i in range(rounds):
        same_source = {outcomes["A"][f"same-source-{i}"], outcomes["B"][f"same-source-{i}"]}
        assert "conflict" in same_source and len(same_source) == 2, same_source  # one winner, one conflict
        winner = (same_source - {"conflict"}).pop()
        assert ledger.get_xref("coupa", "supplier", "JDE", f"race-{i}", "coupa").target_id == winner

        same_target = sorted([outcomes["A"][f"same-target-{i}"], outcomes["B"][f"same-target-{i}"]])
        assert same_target == ["conflict", "won"]
        holder = ledger.find_xref_by_target("coupa", "supplier", "coupa", f"shared-{i}")
        loser = "B" if holder.source_key.startswith("A") else "A"
        assert ledger.get_xref("coupa", "supplier", "JDE", f"{loser}-src-{i}", "coupa") is None


# ---------------------------------------------------------------- audit trail


def test_audit_trail_is_append_only(ledger):
    event_id = ledger.audit(integration="coupa", flow="suppliers", action="create", source_id="4343")
    for statement in (
        "UPDATE mlc_audit_event SET reason = 'rewritten'",
        "DELETE FROM mlc_audit_event",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(sa.text(statement))
    if ledger.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE mlc_audit_event"))
    [event] = ledger.history("4343")
    assert (event.id, event.reason) == (event_id, "")


def test_history_finds_events_by_source_or_target_id(ledger):
    common = {"integration": "coupa", "flow": "suppliers", "entity": "supplier", "source_system": "JDE"}
    ledger.audit(**common, action="fail", source_id="4343", reason="Supplier 4343 has no tax ID in JDE")
    created = {"action": "create", "source_id": "4343", "target_system": "coupa", "target_id": "C-100"}
    detail = {"amount": Decimal("10.05"), "on": datetime(2024, 1, 5, tzinfo=UTC)}
    ledger.audit(**common, **created, run_id="run-1", partition_key="2024-01-05", detail=detail)
    ledger.audit(**common, action="update", source_id="4343", target_id="C-100")
    ledger.audit(**common, action="create", source_id="9999", target_id="C-999")

    by_source = ledger.history("4343")
    assert [e.action for e in by_source] == ["fail", "create", "update"]
    assert by_source[0].reason == "Supplier 4343 has no tax ID in JDE"
    assert by_source[1].detail == {"amount": "10.05", "on": "2024-01-05T00:00:00+00:00"}
    assert (by_source[1].run_id, by_source[1].partition_key) == ("run-1", "2024-01-05")
    assert [e.id for e in ledger.history("C-100")] == [by_source[1].id, by_source[2].id]
    assert all(e.at.tzinfo is UTC for e in by_source)
    assert ledger.history("nothing-here") == []


def test_audit_masks_secrets_and_rejects_unknown_actions(ledger):
    secret = "tok-9fz-4471-audit"
    register_secret(secret)
    detail = {"response": f"bad session {secret}", "status": 401, "nested": [secret]}
    audited(ledger, "bill", "vendors", "fail", "V1", f"BILL answered 401 for session {secret}", detail=detail)
    with ledger.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT reason, detail FROM mlc_audit_event")).one()
    assert secret not in stored.reason and secret not in stored.detail
    assert json.loads(stored.detail) == {"response": "bad session ***", "status": 401, "nested": ["***"]}

    with pytest.raises(LedgerInputError, match="'action'.*'deleted'"):
        ledger.audit(integration="bill", flow="vendors", action="deleted", source_id="V1")


# ---------------------------------------------------------------- retry queue


def _enqueue(ledger: Ledger, key: str = "INV-1", **overrides):
    args = {
        "integration": "coupa",
        "flow": "invoices",
        "entity": "invoice",
        "source_key": key,
        "payload": {"invoice": key, "amount": Decimal("120.50")},
        "reason": "GL account 6100 has no Coupa mapping",
    }
    return ledger.enqueue(**(args | overrides))


def test_enqueue_keeps_one_open_item_per_record(ledger):
    first = _enqueue(ledger, run_id="run-1")  # a failed write is a failed attempt: it counts
    assert (first.status, first.attempts, first.payload["amount"]) == ("failed", 1, "120.50")
    ledger.record_attempt_failure(first.id, "still unmapped", retry_in=timedelta(minutes=5))

    again = _enqueue(ledger, payload={"invoice": "INV-1", "amount": "99.00"}, reason="cost center missing")
    assert again.id == first.id
    assert (again.attempts, again.reason, again.payload["amount"]) == (3, "cost center missing", "99.00")
    held = _enqueue(ledger, status="held", depends_on="coupa:supplier:JDE:1", reason="waits for its supplier")
    assert (held.id, held.attempts, held.status) == (first.id, 3, "held")  # waiting is not failing
    assert again.last_run_id == "run-1"  # no new run id given: keep the last known one
    assert len(ledger.open_items()) == 1

    # Once resolved, a new failure of the same record opens a new item; the old one stays as history.
    ledger.resolve(first.id)
    reopened = _enqueue(ledger)
    assert reopened.id != first.id
    assert [i.id for i in ledger.open_items(status="resolved")] == [first.id]


def test_due_backoff_and_resolve(ledger):
    now = datetime.now(UTC)
    item = _enqueue(ledger)
    assert [i.id for i in ledger.due(now=now + timedelta(seconds=1))] == [item.id]
    assert ledger.due(now=now + timedelta(seconds=1), integration="bill") == []

    failed = ledger.record_attempt_failure(
        item.id, "Coupa timed out", retry_in=timedelta(hours=1), run_id="r2"
    )
    assert (failed.attempts, failed.reason, failed.last_run_id) == (2, "Coupa timed out", "r2")
    assert ledger.due(now=now + timedelta(minutes=30)) == []
    assert [i.id for i in ledger.due(now=now + timedelta(hours=2), flow="invoices")] == [item.id]

    ledger.resolve(item.id)
    ledger.resolve(item.id)  # a second replay resolving the same item is harmless
    assert ledger.due(now=now + timedelta(hours=2)) == []
    with pytest.raises(LedgerInputError, match="resolved"):
        ledger.record_attempt_failure(item.id, "late", retry_in=timedelta(minutes=1))
    with pytest.raises(LedgerRecordNotFound):
        ledger.resolve(123_456)


def test_held_records_wait_for_their_dependency(ledger):
    supplier = "coupa:supplier:JDE:4343"
    held = [_enqueue(ledger, f"INV-{n}", status="held", depends_on=supplier) for n in (1, 2)]
    _enqueue(ledger, "INV-3", status="held", depends_on="coupa:supplier:JDE:7777")
    later = datetime.now(UTC) + timedelta(days=1)
    assert ledger.due(now=later) == []
    assert len(ledger.open_items(status="held")) == 3

    assert ledger.release_held(supplier) == 2
    assert ledger.release_held(supplier) == 0
    assert sorted(i.id for i in ledger.due(now=later)) == sorted(i.id for i in held)
    assert [i.source_key for i in ledger.open_items(status="held")] == ["INV-3"]

    with pytest.raises(LedgerInputError, match="'depends_on'"):
        _enqueue(ledger, "INV-4", status="held")
    ledger.abandon(held[0].id, reason="invoice cancelled in JDE")
    assert held[0].id not in {i.id for i in ledger.open_items()}


def test_released_items_say_so_and_the_overview_counts_the_queue(ledger):
    now = datetime.now(UTC)
    supplier, other = "jde_coupa:supplier:JDE:4343", "jde_coupa:supplier:JDE:12"
    for n in (1, 2, 3):
        _enqueue(ledger, f"PO-{n}", status="held", depends_on=supplier, reason=f"PO-{n} waits for {supplier}")
    _enqueue(ledger, "PO-4", status="held", depends_on=other, reason=f"PO-4 waits for {other}")
    _enqueue(ledger, "INV-9")  # due now
    later = _enqueue(ledger, "INV-8", next_attempt_at=now + timedelta(hours=2))
    overview = ledger.queue_overview()
    assert (overview.due, overview.not_yet_due, overview.held) == (1, 1, 4)
    assert overview.held_by == [(supplier, 3), (other, 1)] and overview.synced == frozenset()
    assert abs(overview.next_attempt_at - later.next_attempt_at) < timedelta(seconds=1)
    assert ledger.queue_overview(integration="bill").held == 0

    # The supplier syncs (a cross-reference with a target id, whoever recorded it): the ledger knows.
    ledger.record_target("jde_coupa", "supplier", "JDE", "4343", "coupa", target_id="C-1", content_hash="h")
    assert ledger.synced_dependencies({supplier, other, "not-a-key"}) == {supplier}
    assert ledger.queue_overview().held_on_synced == 3

    released = ledger.release_held_items(supplier, reason="released: supplier 4343 synced")
    assert [i.source_key for i in released] == ["PO-1", "PO-2", "PO-3"]
    assert all(i.status == "failed" and i.reason == "released: supplier 4343 synced" for i in released)
    assert all(i.attempts == 0 for i in released)  # released, not failed
    assert ledger.release_held(other) == 1
    [default] = ledger.queue_for("PO-4")
    assert default.reason.startswith(f"released: {other} synced at ") and "waits" not in default.reason
    assert ledger.queue_overview().due == 5

    ledger.resolve(released[0].id, reason="replayed: created")
    assert [(i.status, i.reason) for i in ledger.queue_for("PO-1")] == [("resolved", "replayed: created")]


def test_queue_input_errors_name_the_record_and_field(ledger):
    with pytest.raises(LedgerInputError, match=r"coupa/invoices INV-1: field 'payload'.*set"):
        _enqueue(ledger, payload={"lines": {1, 2}})
    with pytest.raises(LedgerInputError, match="'next_attempt_at' must be a timezone-aware"):
        _enqueue(ledger, next_attempt_at=datetime(2024, 1, 1))
    with pytest.raises(LedgerInputError, match="'status'"):
        _enqueue(ledger, status="resolved")


# ---------------------------------------------------------------- cursors


def test_cursor_only_moves_forward(ledger):
    assert ledger.get_cursor("jde", "F4211") is None
    assert ledger.advance_cursor("jde", "F4211", "2024-01-02T00:00:00Z") is True
    assert ledger.advance_cursor("jde", "F4211", "2024-01-01T23:59:59Z") is False
    assert ledger.advance_cursor("jde", "F4211", "2024-01-02T00:00:00Z") is False
    assert ledger.get_cursor("jde", "F4211") == "2024-01-02T00:00:00Z"
    assert ledger.advance_cursor("jde", "F4211", "2024-01-02T00:00:01Z") is True
    assert ledger.get_cursor("jde", "F4211") == "2024-01-02T00:00:01Z"
    # Byte order, not locale order: "_" (0x5F) sorts after "-" (0x2D) and before letters.
    assert ledger.advance_cursor("jde", "F0411", "A-1") is True
    assert ledger.advance_cursor("jde", "F0411", "A_1") is True
    assert ledger.get_cursor("jde", "F0411") == "A_1"
    assert ledger.get_cursor("jde", "F4211") == "2024-01-02T00:00:01Z"  # streams are independent


# ---------------------------------------------------------------- webhook inbox


def test_inbox_stores_each_delivery_once(ledger):
    headers = {"X-Coupa-Signature": "sig-1", "Authorization": "Bearer abc.def", "Cookie": "s=1"}
    assert ledger.inbox_put(source="coupa", event_id="evt-1", body=b'{"id": 1}', headers=headers) is True
    assert ledger.inbox_put(source="coupa", event_id="evt-1", body=b'{"id": "changed"}', headers={}) is False
    assert ledger.inbox_put(source="procore", event_id="evt-1", body=b"\x00\xff", headers={}) is True

    pending = ledger.inbox_pending()
    assert [(e.source, e.event_id) for e in pending] == [("coupa", "evt-1"), ("procore", "evt-1")]
    first = pending[0]
    assert first.body == b'{"id": 1}' and pending[1].body == b"\x00\xff"
    assert first.headers == {"x-coupa-signature": "sig-1"}  # credentials are not kept
    assert ledger.summary()["inbox_pending"] == 2
    assert [e.source for e in ledger.inbox_pending(after_id=first.id)] == ["procore"]
    assert [e.source for e in ledger.inbox_pending(source="coupa")] == ["coupa"]

    ledger.inbox_mark(first.id, status="failed", error="mapping table unreadable")
    ledger.inbox_mark(first.id, status="processed")
    assert [e.source for e in ledger.inbox_pending()] == ["procore"]
    with ledger.engine.connect() as conn:
        row = conn.execute(sa.select(schema.webhook_inbox).where(schema.webhook_inbox.c.id == first.id)).one()
    assert (row.status, row.attempts, row.error) == ("processed", 2, None)
    assert row.processed_at.tzinfo is UTC

    with pytest.raises(LedgerRecordNotFound):
        ledger.inbox_mark(987_654, status="processed")
    with pytest.raises(LedgerInputError, match="'status'"):
        ledger.inbox_mark(first.id, status="done")
    with pytest.raises(LedgerInputError, match="'body' must be bytes"):
        ledger.inbox_put(source="coupa", event_id="evt-2", body='{"id": 2}', headers={})  # type: ignore[arg-type]


# ---------------------------------------------------------------- validation, stats, resource


def test_bad_keys_are_named_in_the_error(ledger):
    with pytest.raises(LedgerInputError, match=r"coupa/supplier JDE: -> coupa: field 'source_key'"):
        ledger.claim_xref("coupa", "supplier", "JDE", "", "coupa")
    with pytest.raises(LedgerInputError, match="'target_id' is 300 characters long"):
        ledger.record_target(*SUPPLIER, "x" * 300, "h")
    assert ledger.get_xref(*SUPPLIER) is None  # nothing half-written by the rejected call


def test_summary_counts(ledger):
    ledger.record_target(*SUPPLIER, "C-1", "h")
    ledger.claim_xref("coupa", "supplier", "JDE", "2", "coupa")
    ledger.audit(integration="coupa", flow="suppliers", action="create", source_id="4343")
    _enqueue(ledger, "INV-1")
    _enqueue(ledger, "INV-2", status="held", depends_on="coupa:supplier:JDE:2")
    ledger.inbox_put(source="bill", event_id="e", body=b"{}", headers={})
    assert ledger.summary() == {
        "xrefs": 2,
        "xrefs_pending": 1,
        "audit_events": 1,
        "queue_failed": 1,
        "queue_held": 1,
        "queue_open": 2,
        "inbox_pending": 1,
    }


def test_ledger_resource_shares_one_ledger_per_url(sqlite_url):
    from connector_resources.ledger import LedgerResource

    resource = LedgerResource(db_url=sqlite_url)
    first = resource.get()
    assert LedgerResource(db_url=sqlite_url).get() is first
    first.record_target(*SUPPLIER, "C-1", "h")
    assert resource.get().get_xref(*SUPPLIER).target_id == "C-1"


def test_ledger_resource_in_a_dagster_run(sqlite_url):
    import dagster as dg

    from connector_resources.ledger import LedgerResource

    # No annotations: they are strings in this module (future import) and dagster cannot resolve a
    # name imported inside the test. dagster is imported here, not at the top, because the spawned
    # race workers import this module and should not pay for it.
    @dg.asset(required_resource_keys={"ledger"})
    def supplier_written(context):
        ledger = context.resources.ledger.get()
        ledger.record_target(*SUPPLIER, "C-42", "h")
        return dg.MaterializeResult(metadata={"xrefs": ledger.summary()["xrefs"]})

    result = dg.materialize([supplier_written], resources={"ledger": LedgerResource(db_url=sqlite_url)})
    assert result.success
    check = Ledger(sqlite_url, migrate=False)
    try:
        assert check.get_xref(*SUPPLIER).target_id == "C-42"
    finally:
        check.dispose()
