"""Every integration package runs as a further instance apart from the original: its flows, asset keys,
jobs, schedules and sensors are its own (no module names the package in a string), a connection of its own is
taken only for the systems the package allows, and two instances on the same accounts are refused."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from dagster import AssetKey

from connector_assets import components
from connector_assets.components.integration_type import IntegrationType
from connector_assets.deployment import integration_definitions, named_apart
from connector_resources import configured_settings
from connector_resources.systems import declared_systems

TYPES = sorted(components.integration_types().values(), key=lambda t: t.integration)


def _names(defs) -> dict[str, set]:
    own_keys = {
        key for asset in defs.assets or () for key in getattr(asset, "keys", {getattr(asset, "key", None)})
    }
    return {
        "assets": own_keys,
        "jobs": {job.name for job in defs.jobs or ()},
        "schedules": {schedule.name for schedule in defs.schedules or ()},
        "sensors": {sensor.name for sensor in defs.sensors or ()},
    }


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.integration)
def test_a_further_instance_keys_everything_by_its_own_name(kind: type[IntegrationType]):
    name = f"{kind.integration}_apart"
    copy, original = kind(name=name).parts, kind().parts
    assert {spec.flow.split(f"{name}_")[0] for spec in copy.specs} == {""}  # every flow is the instance's
    assert {spec.integration for spec in copy.specs} == {name}
    mine, theirs = _names(integration_definitions(copy)), _names(integration_definitions(original))
    sides = {system.key for system in declared_systems()} | {"jde", "staging", "ledger"}
    assert mine["assets"] and {key.path[0] for key in mine["assets"]} <= {name, *sides}
    assert not {key for key in mine["assets"] & theirs["assets"] if key.path[0] not in sides}
    for kind_of_name in ("jobs", "schedules", "sensors"):
        assert not mine[kind_of_name] & theirs[kind_of_name], kind_of_name
        assert all(n.startswith(name) or n.startswith("fit_") for n in mine[kind_of_name]), mine[kind_of_name]


def _strings(path: Path):
    """Every string a module of the package holds, its docstrings left out (they may name the package)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.integration)
def test_no_module_names_its_package_in_a_string(kind: type[IntegrationType]):
    """A literal ``jde_coupa_sync`` or ``ML_JDE_COUPA_X`` would stay the original's in a further instance."""
    folder = Path(next(iter(importlib.import_module(kind.package).__path__)))
    named = [
        f"{path.relative_to(folder)}:{line}: {text!r}"
        for path in sorted(folder.rglob("*.py"))
        for line, text in _strings(path)
        if re.search(rf"(?<![a-z0-9]){kind.integration}(?![a-z0-9])", text.lower())
        and "docs/integrations" not in text  # the integration's page
        and not text.endswith(".csv")  # the sandbox's tables (mappings/sandbox)
    ]
    assert not named, named


def test_two_instances_on_the_same_accounts_are_refused_and_a_connection_of_their_own_parts_them():
    with pytest.raises(ValueError, match="jde_bill .* and jde_bill_same .* give one a connection of its own"):
        named_apart([components.JdeBill(), components.JdeBill(name="jde_bill_same")])
    own = components.JdeBill(name="jde_bill_own", connections={"bill": {"organization_id": "00801ORG2"}})
    assert [i.instance for i in named_apart([own, components.JdeBill()])] == ["jde_bill", "jde_bill_own"]


def test_a_connection_the_package_does_not_take_is_refused_naming_what_it_takes():
    refused = components.CoupaJde(name="coupa_jde_own", connections={"jde_ais": {"username": "OTHER"}})
    with pytest.raises(
        ValueError, match=r"connections.jde_ais: coupa_jde reaches jde_ais through the deploy.*: coupa"
    ):
        _ = refused.parts
    with pytest.raises(ValueError, match=r"connections.jde_ais: .*taken for: bill"):
        _ = components.JdeBill(name="jde_bill_jde", connections={"jde_ais": {"username": "OTHER"}}).parts


def test_two_coupa_tenants_into_one_jde_must_key_their_batches_under_users_of_their_own():
    tenant = {"coupa": {"base_url": "https://tenant-two.example"}}
    same = components.CoupaJde(name="coupa_jde_two", connections=tenant)
    with pytest.raises(ValueError, match="coupa_jde .* and coupa_jde_two .* both keep batch_user 'MLCOUPA'"):
        named_apart([components.CoupaJde(), same])
    own = components.CoupaJde(name="coupa_jde_two", connections=tenant, batch_user="MLCOUPA2")
    assert [i.instance for i in named_apart([components.CoupaJde(), own])] == ["coupa_jde", "coupa_jde_two"]


def test_a_procore_company_of_its_own_parts_two_procore_jde_instances():
    """Procore -> JD Edwards takes a Procore connection of its own (another company); a company id, which
    Dagster's YAML templating hands over as a number, stands as the text a variable holds."""
    with pytest.raises(ValueError, match="procore_jde .* and procore_jde_same .* give one a connection"):
        named_apart([components.ProcoreJde(), components.ProcoreJde(name="procore_jde_same")])
    own = components.ProcoreJde(name="procore_jde_own", connections={"procore": {"company_id": 4264808}})
    assert own.connections == {"procore": {"company_id": "4264808"}}
    assert [i.instance for i in named_apart([own, components.ProcoreJde()])] == [
        "procore_jde",
        "procore_jde_own",
    ]
    with pytest.raises(ValueError, match=r"connections.jde_ais: .*taken for: procore"):
        _ = components.ProcoreJde(
            name="procore_jde_jde", connections={"jde_ais": {"username": "OTHER"}}
        ).parts


def _apart_reads(own: IntegrationType) -> dict[AssetKey, set[AssetKey]]:
    """What each asset of ``own`` reads, once ``own`` is found apart from its package's original (the two
    named by their instances); the instance's connection is forgotten after, for the tests after this one."""
    try:
        assert [i.instance for i in named_apart([own, type(own)()])] == [own.integration, own.name]
        assets = [a for a in integration_definitions(own.parts).assets or () if hasattr(a, "asset_deps")]
    finally:
        configured_settings.forget()
    return {key: parents for asset in assets for key, parents in asset.asset_deps.items()}


def test_a_procurify_account_of_its_own_parts_two_jde_procurify_instances_and_stages_what_they_read():
    with pytest.raises(ValueError, match=r"give one a connection of its own \(procurify\)"):
        named_apart([components.JdeProcurify(), components.JdeProcurify(name="jde_procurify_same")])
    account = {"procurify": {"base_url": "https://other.procurify.example"}}
    # Vendor ids repeat across accounts: an own account's suppliers take a long address prefix of their own.
    kept = components.JdeProcurify(name="jde_procurify_own", connections=account)
    with pytest.raises(ValueError, match="jde_procurify_own .* both keep long_address_prefix 'PFY'"):
        named_apart([components.JdeProcurify(), kept])
    own = components.JdeProcurify(name="jde_procurify_own", connections=account, long_address_prefix="PFYB")
    deps = _apart_reads(own)
    # Procurify's records its flows read are staged through its own connection, as its own assets.
    keys = {key.to_user_string() for key in deps}
    staged = {"procurify_bills", "procurify_payments", "procurify_purchase_orders", "procurify_requisitions"}
    assert {f"jde_procurify_own/{name}" for name in staged} <= keys
    parents = {k.to_user_string() for k in deps[AssetKey(["jde_procurify_own", "po_links_mapped"])]}
    assert parents >= {
        "jde_procurify_own/procurify_purchase_orders",
        "jde_procurify_own/procurify_requisitions",
    }
    assert not {key for key in parents if key.startswith("procurify/")}
    with pytest.raises(ValueError, match=r"connections.jde_ais: .*taken for: procurify"):
        _ = components.JdeProcurify(
            name="jde_procurify_jde", connections={"jde_ais": {"username": "X"}}
        ).parts


def test_a_procurify_account_of_its_own_parts_two_fusion_procurify_instances_into_one_fusion():
    with pytest.raises(ValueError, match=r"give one a connection of its own \(procurify\)"):
        named_apart([components.FusionProcurify(), components.FusionProcurify(name="fusion_procurify_same")])
    account = {"procurify": {"base_url": "https://other.procurify.example"}}
    # PO numbers repeat across accounts: an own account's order prefix cannot make the other's numbers.
    meets = components.FusionProcurify(name="fusion_procurify_own", connections=account, order_prefix="PFYR")
    with pytest.raises(ValueError, match="keep order_prefix 'PFY' and 'PFYR', which can make one key"):
        named_apart([components.FusionProcurify(), meets])
    own = components.FusionProcurify(name="fusion_procurify_own", connections=account, order_prefix="PFYB")
    deps = _apart_reads(own)
    # Procurify's records its flows read, whole or by day, are staged through its own connection.
    staged = {"bills", "purchase_orders", "requisitions", "account_codes", "departments"}
    assert {AssetKey(["fusion_procurify_own", f"procurify_{name}"]) for name in staged} <= set(deps)
    read = deps[AssetKey(["fusion_procurify_own", "account_codes_mapped"])]
    assert AssetKey(["fusion_procurify_own", "procurify_departments"]) in read
    assert not {key for key in read if key.path[0] == "procurify"}
