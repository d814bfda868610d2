"""What ``dg scaffold defs`` writes for each integration type loads as it is, beside a first instance of the
same type: the further one named after its folder, on placeholders of its own account, holding each setting
its package keeps apart at a value that meets none of the others' (``MLCOUPA2``; an order prefix ``PFYA``,
where ``PFY2`` would continue into ``PFY``'s numbers). The text is the scaffolder's own (``instance_yaml``);
``tests/integrations/jde_bill/test_scaffolded_instance.py`` runs ``dg`` itself.
"""

from __future__ import annotations

import dagster as dg
import pytest
import yaml
from dg_projects import CONNECTOR, importable, scaffolded_project

from connector_assets import components
from connector_assets.components.scaffolded_instance import instance_yaml


def _scaffold(defs, kind, folder: str) -> dict:
    """``folder``'s instance of ``kind`` as the scaffolder writes it; its attributes as YAML reads them."""
    (defs / folder).mkdir()
    text = instance_yaml(kind, defs, defs / folder)
    (defs / folder / "defs.yaml").write_text(text)
    return yaml.safe_load(text).get("attributes") or {}


def test_every_type_scaffolds_a_further_instance_that_loads_beside_the_first(tmp_path):
    project, root = scaffolded_project(tmp_path, {"connector": CONNECTOR})
    defs = project / root / "defs"
    further = {}
    for kind in components.integration_types().values():
        assert _scaffold(defs, kind, kind.integration) == {}  # the first: every setting at its default
        further[kind.integration] = _scaffold(defs, kind, f"{kind.integration}_two")
    assert further["coupa_jde"]["batch_user"] == "MLCOUPA2"
    assert further["jde_procurify"]["long_address_prefix"] == "PFYA"  # letters only
    assert further["fusion_procurify"]["order_prefix"] == "PFYA"  # PFY2 continues into PFY's numbers
    assert further["jde_bill"]["connections"] == {
        "bill": {
            "organization_id": "SET_JDE_BILL_TWO_ORGANIZATION_ID",  # its account, to set: it reaches none
            "password": "env:JDE_BILL_TWO_BILL_PASSWORD",
            "dev_key": "env:JDE_BILL_TWO_BILL_DEV_KEY",
        }
    }
    assert further["coupa_jde"]["connections"]["coupa"]["base_url"] == "https://coupa-jde-two.invalid"
    with importable(project):
        loaded = dg.load_from_defs_folder(path_within_project=project)
    jobs = {job.name for job in loaded.jobs or ()}
    for integration, attributes in further.items():
        assert attributes["name"] == f"{integration}_two"
        assert any(job.startswith(f"{integration}_two_") for job in jobs), integration


def test_a_further_instance_is_named_by_its_folder_or_refused_saying_why(tmp_path):
    defs = tmp_path / "defs"
    defs.mkdir()
    _scaffold(defs, components.JdeBill, "jde_bill")
    for folder, said in (
        ("west-bill", "lower-case letters, digits and _"),
        ("jde_coupa", "taken (an instance or the package connector_assets.integrations.jde_coupa)"),
    ):
        with pytest.raises(ValueError, match=said.replace("(", r"\(").replace(")", r"\)")):
            _scaffold(defs, components.JdeBill, folder)
