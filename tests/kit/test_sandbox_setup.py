"""``make dev`` asks each integration package for its own sandbox set-up: the CLI names
no integration, a package's ``sandbox`` module is found by convention, and nothing runs against a
configured (real) system."""

from __future__ import annotations

import ast
from types import SimpleNamespace

from roots import ROOT

from connector_assets.deployment import integration_components
from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded, integration_sandboxes


def test_the_packages_with_a_sandbox_part_are_found_in_name_order():
    found = integration_sandboxes(component.package for component in integration_components())
    modules = [s.set_up.__module__ for s in found]
    assert modules == [
        "connector_assets.integrations.coupa_jde.sandbox",
        "connector_assets.integrations.fusion_procurify.sandbox",
        "connector_assets.integrations.jde_bill.sandbox",
        "connector_assets.integrations.jde_procurify.sandbox",
        "connector_assets.integrations.procore_jde.sandbox",
    ]
    assert all(isinstance(s, IntegrationSandbox) for s in found)
    with_people = [s for s in found if s.people is not None]
    assert len(with_people) == 2 and all(s.play is not None for s in with_people)


def test_the_cli_imports_no_integration_package():
    """``make dev`` asks each package for its own sandbox set-up: none of its modules (``dev*.py``) names an
    integration (the dev_procurify.py / dev_fusion_procurify.py of old did)."""
    paths = sorted((ROOT / "connector_cli").glob("dev*.py"))
    assert ROOT / "connector_cli" / "dev.py" in paths
    for path in paths:
        tree = ast.parse(path.read_text())
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        named = [m for m in imported if m.startswith("connector_assets.integrations.")]
        assert named == [], (path.name, named)


def _running(*keys: str) -> list:
    return [SimpleNamespace(spec=SimpleNamespace(key=key)) for key in keys]


def test_embedded_needs_every_system_running_and_none_configured(monkeypatch):
    from connector_resources.settings import SYSTEMS

    for key in ("procurify", "fusion"):
        for setting in SYSTEMS[key].settings:
            monkeypatch.delenv(setting.env, raising=False)
    assert embedded(_running("procurify"), "procurify", "fusion") is None
    running = embedded(_running("procurify", "fusion", "jde_ais"), "procurify", "fusion")
    assert running is not None and set(running) == {"procurify", "fusion", "jde_ais"}
    monkeypatch.setenv(SYSTEMS["fusion"].settings[0].env, "https://fusion.example.com")
    assert embedded(_running("procurify", "fusion"), "procurify", "fusion") is None  # a real Fusion
