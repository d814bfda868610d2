"""The one Definitions loads, validates through the real CLI, and its assets materialize."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import Definitions, instance_for_test, materialize

from connector_assets.definitions import defs
from connector_assets.operations import ledger_health
from connector_resources.ledger import Ledger, LedgerResource

ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load():
    Definitions.validate_loadable(defs)
    assert defs.resolve_assets_def("ledger_health")


def test_dagster_definitions_validate_via_workspace(tmp_path):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path}/l.sqlite",
    }
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_ledger_health_reports_ledger_counts(sqlite_url):
    ledger = Ledger(sqlite_url)
    ledger.enqueue(
        integration="jde_coupa",
        flow="suppliers",
        entity="supplier",
        source_key="4343",
        payload={"AN8": 4343},
        reason="tax ID missing",
    )
    with instance_for_test() as instance:
        result = materialize(
            [ledger_health], resources={"ledger": LedgerResource(db_url=sqlite_url)}, instance=instance
        )
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    summary = ledger.summary()
    assert {k: v.value for k, v in metadata.items()} == summary
    assert any(v == 1 for v in summary.values())
