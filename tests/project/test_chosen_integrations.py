"""``ML_INTEGRATIONS`` chooses what a deployment runs: the one ``Definitions`` loads only the chosen
integration components, what they share and the sides of the systems they reach; ``replay`` registers only
their handlers; an unknown name stops the load naming the known integrations; unset, every integration
Dagster's defs-folder loader finds loads.

The module workspace.yaml loads reads the setting once, at import: a child process loads it under the
setting (one for the choice, one for the refusal), so this session's ``Definitions`` stay the default.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from dagster import Definitions

from connector_assets.deployment import (
    Deployment,
    UnknownIntegration,
    chosen,
    integration_components,
    known_names,
)

# Everything of a system JD Edwards <-> Coupa does not reach, or of another integration, by the first
# part of its name (asset keys, jobs, schedules and sensors are all named system- or integration-first).
NOT_JDE_COUPA = ("bill", "procore", "procurify", "fusion", "coupa_jde", "jde_bill", "jde_procurify")

_LOAD = """
import json
from dagster import Definitions
from connector_assets.definitions import DEPLOYMENT, defs
Definitions.validate_loadable(defs)
print(json.dumps({
    "assets": sorted(spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()),
    "jobs": sorted(job.name for job in defs.jobs),
    "schedules": sorted(s.name for s in defs.schedules),
    "sensors": sorted(s.name for s in defs.sensors),
    "replays": sorted(DEPLOYMENT.replays().flows()),
    "jde_coupa_jobs": sorted(defs.resolve_job_def(job.name).name for job in __import__(
        "connector_assets.deployment", fromlist=["x"]).integration_component("jde_coupa").jobs),
}))
"""


def _load_definitions(integrations: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ML_INTEGRATIONS": integrations}
    return subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True, env=env, timeout=300)


def _foreign(names: list[str]) -> list[str]:
    return [name for name in names if name.split("/", 1)[0].startswith(NOT_JDE_COUPA)]


def test_jde_coupa_alone_loads_its_flows_and_nothing_of_bill_procore_procurify_or_fusion():
    loaded = _load_definitions("jde_coupa")
    assert loaded.returncode == 0, loaded.stderr
    defs = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert {"jde_coupa/suppliers_written", "jde_coupa/invoices_written"} <= set(defs["assets"])
    assert {"jde/suppliers", "coupa/suppliers", "operations/ledger_health"} <= set(defs["assets"])
    assert defs["jde_coupa_jobs"] and set(defs["jde_coupa_jobs"]) <= set(defs["jobs"])
    assert {"jde_sources", "coupa_sources", "replay_retry_queue"} <= set(defs["jobs"])
    for kind in ("assets", "jobs", "schedules", "sensors"):
        assert _foreign(defs[kind]) == [], f"{kind} of a system or integration not chosen"
    assert defs["replays"] == ["jde_coupa"]  # replay never reaches a system it does not configure


def test_an_unknown_integration_stops_the_load_naming_the_known_ones():
    loaded = _load_definitions("jde_coupa,jde_sap")
    assert loaded.returncode != 0
    assert "unknown integration 'jde_sap' (named by ML_INTEGRATIONS)" in loaded.stderr
    assert f"known: {', '.join(known_names())}" in loaded.stderr


def test_unset_every_integration_loads():
    from connector_assets.definitions import DEPLOYMENT, defs

    assert "ML_INTEGRATIONS" not in os.environ and DEPLOYMENT.components == integration_components()
    assert len(known_names()) == 6
    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert set(known_names()) <= groups
    assert {"jde_sources", "coupa_sources", "bill_sources", "procurify_sources", "procore_sources"} <= {
        job.name for job in defs.jobs
    }


def test_an_integration_reading_a_table_another_stages_loads_it_alone(monkeypatch):
    """JD Edwards -> Procurify reads F0116 (``jde/supplier_addresses``), which JDE -> BILL stages while
    ``ML_JDE_SUPPLIER_ADDRESSES`` is on: alone, the JDE side brings it (its flow jobs select it)."""
    monkeypatch.setenv("ML_INTEGRATIONS", "jde_procurify")
    defs = Deployment.of().definitions
    Definitions.validate_loadable(defs)
    keys = {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}
    assert "jde/supplier_addresses" in keys
    assert not [key for key in keys if key.startswith(("bill", "coupa", "jde_bill", "fusion"))]


@pytest.mark.parametrize("value", ["coupa", "JDE_COUPA,jde-bill"])
def test_chosen_refuses_an_unknown_name_naming_the_known_ones(monkeypatch, value):
    monkeypatch.setenv("ML_INTEGRATIONS", value)
    known = f"named by ML_INTEGRATIONS); known: {', '.join(known_names())} (or all)"
    with pytest.raises(UnknownIntegration, match=re.escape(known)):
        chosen()


def test_a_command_loading_the_definitions_says_an_unknown_integration_in_one_line(tmp_path):
    """``replay`` loads the one ``Definitions`` (its flows register their handlers on import): a bad
    ``ML_INTEGRATIONS`` ends it with one ``Error:`` line naming the known integrations, not a traceback."""
    env = {
        **os.environ,
        "ML_INTEGRATIONS": "jde_sap",
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
    }
    command = [sys.executable, "-m", "connector_cli.main", "replay", "--dry-run"]
    ran = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    assert (
        f"Error: unknown integration 'jde_sap' (named by ML_INTEGRATIONS); known: {', '.join(known_names())}"
        in (ran.stderr)
    )
