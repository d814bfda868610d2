"""Several instances of one integration, in process: a further instance is the package's build called with
another object (its own flows, keys and settings), its own connections stand for the system's settings in
its scope only (secrets as references), its YAML is checked, two instances of one name are refused, and
each run uses the connection of the instance it belongs to."""

from __future__ import annotations

import sys

import dagster as dg
import pydantic
import pytest

from connector_assets import components
from connector_assets.components.instance_resources import run_owner
from connector_assets.components.setting_fields import connection_variables
from connector_assets.deployment import named_apart
from connector_resources import configured_settings
from connector_resources.bill import BillResource

ORG_2 = "00801SANDBOXORG00002"


def test_a_further_instance_is_built_by_the_package_not_imported_again():
    west = components.JdeBill(name="jde_bill_test_copy")
    assert west.parts.flow("vendors").spec.flow == "jde_bill_test_copy_vendors"  # its ledger rows, jobs, keys
    assert components.JdeBill().parts.flow("vendors").spec.flow == "jde_bill_vendors"
    assert west.variable("vendor_default_country") == "ML_JDE_BILL_TEST_COPY_VENDOR_DEFAULT_COUNTRY"
    assert not [name for name in sys.modules if "jde_bill_test_copy" in name]  # one package, two objects


@pytest.mark.parametrize(
    ("connections", "said"),
    [
        ({"bill": {"password": "hunter2"}}, "connections.bill.password is a secret"),
        ({"bil": {"organization_id": ORG_2}}, "'bil' is no system"),
        ({"bill": {"org": ORG_2}}, "'org' is no bill setting"),
    ],
)
def test_a_wrong_connection_is_refused_naming_it(connections, said):
    with pytest.raises(pydantic.ValidationError, match=said):
        components.JdeBill.model()(connections=connections)


def test_a_name_that_is_no_identifier_is_refused():
    with pytest.raises(pydantic.ValidationError, match="name"):
        components.JdeBill.model()(name="JDE Bill West")


def test_two_instances_of_one_name_are_refused_naming_both():
    first, second = components.JdeBill(), components.JdeBill()
    with pytest.raises(ValueError, match="two instances of one name.*jde_bill in"):
        named_apart([first, second])
    west = components.JdeBill(name="jde_bill_west", connections={"bill": {"organization_id": ORG_2}})
    assert [i.instance for i in named_apart([west, first])] == ["jde_bill", "jde_bill_west"]


def test_an_instance_connection_stands_for_the_system_settings_in_its_scope_only(monkeypatch):
    monkeypatch.setenv("ML_BILL_ORG_ID", "00801SANDBOXORG00001")
    monkeypatch.setenv("ML_BILL_PASSWORD", "the-deployment's")
    instance = components.JdeBill(
        name="jde_bill_scope_test",
        connections={"bill": {"organization_id": ORG_2, "password": "env:WEST_BILL_PASSWORD"}},
    )
    configured_settings.connect(instance.instance, connection_variables(instance.connections))
    try:
        with configured_settings.scope("jde_bill_scope_test"):
            own = BillResource.from_settings()
    finally:
        configured_settings.connect(instance.instance, {})
    deployment = BillResource.from_settings()
    assert (own.organization_id, own.concurrency_pool) == (ORG_2, f"bill_{ORG_2}")
    assert own.password == "env:WEST_BILL_PASSWORD"  # a reference, resolved as the resource uses it
    assert deployment.organization_id == "00801SANDBOXORG00001"
    assert isinstance(deployment.password, dg.EnvVar)  # the deployment's secret: named, Dagster resolves it


def test_a_run_uses_the_connection_of_the_instance_it_belongs_to():
    jobs = {"jde_bill_west_vendors": "jde_bill_west", "jde_bill_west_fit": "jde_bill_west"}
    owners, deployments = ("jde_bill_west", "jde_bill_east"), ("bill", "jde_bill")

    def owner(job: str, *keys: tuple[str, str]) -> str | None:
        selection = frozenset(dg.AssetKey(list(key)) for key in keys) or None
        run = dg.DagsterRun(job_name=job, run_id="r1", asset_selection=selection)
        return run_owner(run, jobs, owners, deployments)

    assert owner("jde_bill_west_vendors") == "jde_bill_west"
    assert owner("jde_bill_vendors") is None  # the deployment's own
    assert (
        owner("__ASSET_JOB", ("jde_bill_west", "bill_departments"), ("jde", "gl_accounts")) == "jde_bill_west"
    )
    assert owner("__ASSET_JOB", ("bill", "departments"), ("jde_bill", "bills_mapped")) is None
    for mixed, said in (
        (
            (("jde_bill_west", "bills_mapped"), ("jde_bill_east", "bills_mapped")),
            "jde_bill_east, jde_bill_west",
        ),
        ((("jde_bill_west", "bills_mapped"), ("jde_bill", "bills_mapped")), "jde_bill_west, jde_bill"),
        ((("jde_bill_west", "bills_mapped"), ("bill", "departments")), "jde_bill_west, bill"),
    ):
        with pytest.raises(dg.Failure, match=f"assets of {said}, which reach"):
            owner("__ASSET_JOB", *mixed)
