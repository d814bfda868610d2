"""``bill-webhooks --instance NAME`` and ``procore-webhooks --instance NAME``: what they register for an
instance on a connection of its own is its own receiver endpoint (``/webhooks/<NAME>_<source>``), and an
instance they cannot act for is refused in words before the system is asked anything."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from dg_projects import importable, scaffolded_project, side_by_side

import connector_assets.deployment as deployment_module
from connector_cli.acting_instance import instance_url
from connector_cli.main import cli


def test_the_receiver_url_of_an_instance_is_its_own_endpoint():
    deployment = "https://hooks.example.com/webhooks/bill"
    assert instance_url(deployment, None, "bill", given=False) == deployment
    assert (
        instance_url(deployment, "west", "bill", given=False)
        == "https://hooks.example.com/webhooks/west_bill"
    )
    own = "https://hooks.example.com/webhooks/west_bill"
    assert instance_url(own, "west", "bill", given=True) == own
    with pytest.raises(
        click.ClickException, match="deployment's endpoint; west's own is .*/webhooks/west_bill"
    ):
        instance_url(deployment, "west", "bill", given=True)
    with pytest.raises(click.ClickException, match="give --url"):
        instance_url("https://proxy.example.com/in/bill-events", "west", "bill", given=False)
    proxied = "https://proxy.example.com/in/west"
    assert instance_url(proxied, "west", "bill", given=True) == proxied


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A deployment whose BILL and Procore instances each have a second on a connection of its own (the
    Procore one with a hook token of its own, the BILL one without a key of its own), loaded by the
    commands in place of the project's defs folder."""
    bill = side_by_side(
        "connector_assets.components.JdeBill",
        "jde_bill",
        "jde_bill_west",
        connections={"bill": {"organization_id": "00801WESTORG00002"}},
    )
    procore = side_by_side(
        "connector_assets.components.ProcoreJde",
        "procore_jde",
        "procore_jde_two",
        connections={"procore": {"company_id": "4264808", "webhook_token": "vault:procore_two_token"}},
    )
    folder, _root = scaffolded_project(tmp_path, {**bill, **procore})
    found = deployment_module.integration_instances
    with importable(folder):
        monkeypatch.setattr(deployment_module, "integration_instances", lambda *_: found(folder))
        yield folder


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["bill-webhooks", "--instance", "nosuch", "list"], "unknown integration 'nosuch'"),
        (
            ["bill-webhooks", "--instance", "jde_bill", "list"],
            "jde_bill reaches bill through the deployment's",
        ),
        (["bill-webhooks", "--instance", "jde_bill_west", "list"], "set connections.bill.webhook_key"),
        (
            [
                "procore-webhooks",
                "--instance",
                "procore_jde_two",
                "create",
                "--url",
                "https://h/webhooks/procore",
            ],
            "procore_jde_two's own is https://h/webhooks/procore_jde_two_procore",
        ),
    ],
)
def test_an_instance_the_command_cannot_act_for_is_refused_in_words(project, command, said):
    result = CliRunner().invoke(cli, command)
    assert result.exit_code != 0 and said in result.output, result.output
