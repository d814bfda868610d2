"""This project's own deployment (``connector_assets/defs``): each instance's ``defs.yaml`` states what the
customer decides at the value the sandbox runs with, so loaded with nothing set every setting is its default
and each one read from the environment (``{{ env.X }}``) is left unset, its sandbox guard in force; a value
such a variable gives reaches the setting as written (text stays text), and the documented override
``ML_<INSTANCE>_<NAME>`` wins over the attribute. Loaded by Dagster's own component tree, as ``dg check defs``
loads them."""

from __future__ import annotations

import re

import dagster as dg
import pytest
import yaml

from connector_assets.components.integration_type import IntegrationType
from connector_assets.project_tree import PROJECT

DEFS = PROJECT / "connector_assets" / "defs"
TEMPLATE_READS = re.compile(r"""env(?:\.(\w+)|\(\s*['"](\w+)['"])""")


def _templates() -> dict[str, dict[str, str]]:
    """Instance folder -> {attribute: the variable its template reads}, from the YAML as written."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(DEFS.glob("*/defs.yaml")):
        attributes = yaml.safe_load(path.read_text()).get("attributes") or {}
        for short, value in attributes.items():
            for match in TEMPLATE_READS.finditer(str(value)):
                found.setdefault(path.parent.name, {})[short] = match.group(1) or match.group(2)
    return found


def _loaded() -> dict[str, IntegrationType]:
    """The project's integration instances, loaded afresh (the environment as it is now), by name."""
    tree = dg.ComponentTree.for_project(PROJECT)
    return {made.instance: made for made in tree.get_all_components(of_type=IntegrationType)}


@pytest.fixture
def nothing_set(monkeypatch):
    """No variable a template reads and no override of any instance's setting: the sandbox's deployment."""
    for reads in _templates().values():
        for variable in reads.values():
            monkeypatch.delenv(variable, raising=False)
    for made in _loaded().values():
        for declared in made.instance_settings().values():
            monkeypatch.delenv(declared.env, raising=False)
    return monkeypatch


def test_every_instance_states_its_settings_at_the_sandbox_values(nothing_set):
    instances = _loaded()
    assert set(instances) == {
        "coupa_jde",
        "fusion_procurify",
        "jde_bill",
        "jde_coupa",
        "jde_procurify",
        "procore_jde",
    }
    templates = _templates()
    for name, made in instances.items():
        written = yaml.safe_load((DEFS / name / "defs.yaml").read_text())["attributes"]
        assert len(written) >= 6, f"{name}: its defs.yaml states {sorted(written)}"
        for short, declared in made.instance_settings().items():
            assert made.setting(short) == declared.kind.parse(declared.default_value()), f"{name}.{short}"
        for short in templates.get(name, {}):
            # Blank, not the sandbox value: a default that fits only the sandbox keeps its guard (a sandbox
            # table refused, a sandbox account withheld, once a system points at a real instance).
            assert made.given(short) == "", f"{name}.{short}"


def test_a_templates_variable_reaches_its_setting_as_written_and_the_override_wins(nothing_set):
    assert _templates()["jde_bill"]["payment_debit_account"] == "JDE_BILL_PAYMENT_DEBIT_ACCOUNT"
    nothing_set.setenv("JDE_BILL_PAYMENT_DEBIT_ACCOUNT", "1.4320")  # a number to Jinja's native types
    nothing_set.setenv("JDE_BILL_ACCOUNT_MAP", "/opt/ml-connector/mappings/production/jde_bill_accounts.csv")
    jde_bill = _loaded()["jde_bill"]
    assert jde_bill.setting("payment_debit_account") == "1.4320"
    assert jde_bill.setting("account_map") == "/opt/ml-connector/mappings/production/jde_bill_accounts.csv"
    assert jde_bill.setting("payment_posting") == "voucher_else_journal"  # the attribute written

    nothing_set.setenv("ML_JDE_BILL_PAYMENT_DEBIT_ACCOUNT", "2.1110")
    nothing_set.setenv("ML_JDE_BILL_PAYMENT_POSTING", "journal")
    assert jde_bill.setting("payment_debit_account") == "2.1110"  # the override, over the template's
    assert jde_bill.setting("payment_posting") == "journal"  # the override, over the attribute
