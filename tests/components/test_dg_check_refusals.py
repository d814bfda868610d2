"""``dg check defs`` refuses what ``dg list defs`` and ``dg dev`` would fail to load, naming the ``defs.yaml``
files and the attribute to change: two instances of one name (what a bare ``type:`` line scaffolded twice
was), two instances of one integration on the same accounts (other credentials for one BILL organization
among them), two keeping a setting they must hold apart.
Each instance's own build runs the check (``apartness.named_apart``), so it holds without a ``Connector``.
"""

from __future__ import annotations

import pytest
from dg_projects import CONNECTOR, run_dg, scaffolded_project

pytestmark = pytest.mark.timeout(600)  # dg commands start Python processes: load 15 too

BILL = "type: connector_assets.components.JdeBill\n"
COUPA_JDE = "type: connector_assets.components.CoupaJde\n"
TENANT = "  connections:\n    coupa:\n      base_url: https://tenant-two.example\n"

OWN_LOGIN = "  connections:\n    bill:\n      password: env:WEST_BILL_PASSWORD\n"
SAME_ORGANIZATION = (
    "reach the same accounts (bill organization_id '00801SANDBOXORG00001'), so each would write the other's "
    "records a second time: give one a connection of its own (bill), attributes.connections.bill."
    "organization_id in its defs.yaml"
)

CASES = {
    "one name twice": (
        {"jde_bill": BILL, "jde_bill_west": BILL},
        "two instances of one name (give each a name of its own, attributes.name): jde_bill in ",
    ),
    "the same accounts": (
        {"jde_bill": BILL, "jde_bill_west": f"{BILL}attributes:\n  name: jde_bill_west\n"},
        SAME_ORGANIZATION,
    ),
    "its own credentials for the same organization": (
        {"jde_bill": BILL, "jde_bill_west": f"{BILL}attributes:\n  name: jde_bill_west\n{OWN_LOGIN}"},
        SAME_ORGANIZATION,
    ),
    "a setting held apart": (
        {"coupa_jde": COUPA_JDE, "coupa_jde_two": f"{COUPA_JDE}attributes:\n  name: coupa_jde_two\n{TENANT}"},
        "both keep batch_user 'MLCOUPA'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dg_check_defs_refuses_what_would_not_load_naming_the_files_and_the_attribute(tmp_path, case):
    instances, said = CASES[case]
    project, root = scaffolded_project(tmp_path, {"connector": CONNECTOR, **instances})
    refused = run_dg(project, "check", "defs", check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "All definitions loaded successfully" not in output
    assert said in output, output
    for folder in instances:
        assert f"{project / root / 'defs' / folder / 'defs.yaml'}" in output, output
    if case == "a setting held apart":
        assert "attributes.batch_user in its defs.yaml" in output, output


def test_dg_list_defs_refuses_alike_and_the_check_holds_without_a_connector(tmp_path):
    """The two commands load one way; without a ``Connector`` the instances' own builds refuse (before the
    load stumbled on two instances' one asset key, naming neither file nor attribute)."""
    instances, said = CASES["one name twice"]
    project, _ = scaffolded_project(tmp_path, instances)
    for command in ("check", "list"):
        refused = run_dg(project, command, "defs", check=False)
        assert refused.returncode != 0 and said in refused.stdout + refused.stderr, command
