"""The one Definitions loads, validates through the real CLI, and its assets materialize."""

from __future__ import annotations

import os
import subprocess
import sys

from dagster import AssetKey, Definitions, materialize
from instances import instance_for_test
from ledger_entries import queued
from roots import ROOT

from connector_assets.definitions import defs
from connector_assets.operations.health import ledger_health
from connector_resources.ledger import Ledger, LedgerResource


def test_definitions_load():
    Definitions.validate_loadable(defs)
    assert defs.resolve_assets_def(AssetKey(["operations", "ledger_health"]))


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


_F0116_PROBE = """
from dagster import AssetKey, AssetsDefinition
from connector_assets.definitions import defs
from connector_assets.deployment import integration_component
from connector_assets.jde.supplier_addresses import supplier_addresses_unless_staged
graph = defs.resolve_asset_graph()
key = AssetKey(["jde", "supplier_addresses"])
jde_bill = integration_component("jde_bill").definitions()
by_bill = any(isinstance(a, AssetsDefinition) and key in a.dependency_keys for a in jde_bill.assets)
print(graph.get(key).is_executable, by_bill, supplier_addresses_unless_staged() != [])
"""


def test_f0116_is_staged_once_whether_addresses_are_read_or_not():
    """F0116 is read by the flows that send addresses while ``ML_JDE_SUPPLIER_ADDRESSES`` is on (JDE -> BILL
    vendors, whose staging asset the JDE side brings, so two instances share it) and staged by Procore -> JDE,
    whose suppliers flow reads it regardless, while it is off (``jde.assets.supplier_addresses_staged``):
    either way the merged Definitions load with it once."""
    staged_by = {}
    for setting in ("on", "off"):
        probe = subprocess.run(
            [sys.executable, "-c", _F0116_PROBE],
            cwd=ROOT,
            env={**os.environ, "ML_JDE_SUPPLIER_ADDRESSES": setting},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert probe.returncode == 0, probe.stderr[-3000:]
        staged_by[setting] = probe.stdout.split()[-3:]
    assert staged_by == {"on": ["True", "True", "False"], "off": ["True", "False", "True"]}


def test_ledger_health_reports_ledger_counts(sqlite_url):
    ledger = Ledger(sqlite_url)
    queued(ledger, ("jde_coupa", "suppliers", "supplier"), "4343", "tax ID missing", payload={"AN8": 4343})
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
