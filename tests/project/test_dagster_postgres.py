"""Production storage: deploy/postgres/dagster.yaml puts Dagster's instance on PostgreSQL.

A fresh database is created for the test and dropped afterwards. The asset materialized is the real
``operations/ledger_health``, with the ledger on PostgreSQL too, so both production stores are exercised at
once.
"""

from __future__ import annotations

import shutil

import sqlalchemy as sa
from dagster import DagsterInstance, materialize
from roots import ROOT

from connector_assets.operations.health import ledger_health
from connector_resources.ledger import LedgerResource


def test_materialize_with_instance_on_postgres(pg_database, tmp_path, monkeypatch):
    url, name = pg_database
    shutil.copyfile(ROOT / "deploy" / "postgres" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_PG_USERNAME", url.username or "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", url.password or "")
    monkeypatch.setenv("DAGSTER_PG_HOST", url.host or "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(url.port or 5432))
    monkeypatch.setenv("DAGSTER_PG_DB", name)
    ledger_url = url.set(database=name).render_as_string(hide_password=False)

    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = materialize(
            [ledger_health], instance=instance, resources={"ledger": LedgerResource(db_url=ledger_url)}
        )
        assert result.success
        run_id = result.run_id

    engine = sa.create_engine(ledger_url)
    try:
        with engine.connect() as conn:
            status = conn.execute(
                sa.text("select status from runs where run_id = :r"), {"r": run_id}
            ).scalar_one()
            materializations = conn.execute(
                sa.text(
                    "select count(*) from event_logs where run_id = :r and dagster_event_type = "
                    "'ASSET_MATERIALIZATION'"
                ),
                {"r": run_id},
            ).scalar_one()
            ledger_tables = conn.execute(
                sa.text("select count(*) from information_schema.tables where table_name like 'mlc_%'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert status == "SUCCESS"
    assert materializations == 1
    assert ledger_tables >= 5
