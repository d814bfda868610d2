"""An integration's component type, in process: its attributes are its settings (typed and bounded by their
kinds, unknown ones refused), and an instance's values are read from the instance itself (the documented
override first, the default last), by its flows and by the kit, each instance its own."""

from __future__ import annotations

import sys

import pydantic
import pytest

from connector_assets import components
from connector_assets.flows import instance
from connector_resources import settings


def test_every_integration_is_a_type_whose_attributes_are_its_settings():
    types = components.integration_types()
    assert set(types) == {"CoupaJde", "FusionProcurify", "JdeBill", "JdeCoupa", "JdeProcurify", "ProcoreJde"}
    for made in types.values():
        declared = settings.integration_settings()[made.integration]
        prefix = f"ML_{made.integration.upper()}_"
        own = {"name", "connections"}  # every instance's, beside its settings
        assert set(made.model().model_fields) == own | {s.env.removeprefix(prefix).lower() for s in declared}
        assert made.__module__ == "connector_assets.components" and made.__doc__


@pytest.mark.parametrize(
    ("attribute", "value", "said"),
    [
        ("payment_posting", "sometimes", "payment_posting"),  # a choice
        ("po_approved_status", -4, "po_approved_status"),  # a bounded whole number
        ("vendor_default_country", "USA", "vendor_default_country"),  # a pattern
        ("po_approved_statu", 220, "po_approved_statu"),  # no such setting
    ],
)
def test_a_wrong_attribute_is_refused_naming_it(attribute, value, said):
    with pytest.raises(pydantic.ValidationError) as refused:
        components.JdeBill.model()(**{attribute: value})
    assert said in str(refused.value)


def test_an_instance_reads_its_settings_from_itself_the_documented_override_first(monkeypatch):
    monkeypatch.delenv("ML_JDE_BILL_PAYMENT_POSTING", raising=False)
    monkeypatch.delenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES", raising=False)
    instance = components.JdeBill(
        payment_posting="journal", voucher_pay_statuses=["a", "h"], bills_cron="1 * * * *"
    )
    assert instance.variables() == {
        "ML_JDE_BILL_PAYMENT_POSTING": "journal",
        "ML_JDE_BILL_VOUCHER_PAY_STATUSES": "a,h",
        "ML_JDE_BILL_BILLS_CRON": "1 * * * *",
    }
    assert instance.setting("payment_posting") == "journal"
    assert instance.setting("voucher_pay_statuses") == ("A", "H")
    assert instance.setting("po_approved_status") == 220  # unset: the default
    assert instance.given("po_approved_status") == ""
    # The object holds its values: nothing of them is the process's (another object, the settings table).
    assert components.JdeBill().setting("payment_posting") == settings.read("ML_JDE_BILL_PAYMENT_POSTING")
    assert settings.read("ML_JDE_BILL_PAYMENT_POSTING") != "journal"
    monkeypatch.setenv("ML_JDE_BILL_PAYMENT_POSTING", "voucher")  # the documented override wins
    assert instance.setting("payment_posting") == "voucher"


def test_the_kit_reads_a_setting_from_the_instance_built_under_its_name(monkeypatch):
    """What the kit holds is a variable (a schedule's cron, a held record's close calendar): it is read from
    the instance of that name this process built, not from a process-wide copy of its YAML."""
    monkeypatch.delenv("ML_JDE_COUPA_SUPPLIERS_CRON", raising=False)
    monkeypatch.delenv("ML_JDE_COUPA_B_SUPPLIERS_CRON", raising=False)
    first = components.JdeCoupa(suppliers_cron="1 * * * *")
    other = components.JdeCoupa(name="jde_coupa_b", suppliers_cron="2 * * * *")
    crons = {
        s.name: s.cron_schedule
        for built in (first, other)
        for s in built.parts.schedules
        if "suppliers" in s.name
    }
    assert crons == {
        "jde_coupa_suppliers_schedule": "1 * * * *",
        "jde_coupa_b_suppliers_schedule": "2 * * * *",
    }
    assert instance.read("ML_JDE_COUPA_B_SUPPLIERS_CRON") == "2 * * * *"
    monkeypatch.setenv("ML_JDE_COUPA_B_SUPPLIERS_CRON", "3 * * * *")
    assert instance.read("ML_JDE_COUPA_B_SUPPLIERS_CRON") == "3 * * * *"
    assert instance.read("ML_JDE_COUPA_SUPPLIERS_CRON") == "1 * * * *"


def test_the_connector_refuses_an_override_naming_no_instance(monkeypatch):
    """Dagster's loader path (the ``Connector``'s siblings) refuses a misspelt ``ML_INTEGRATIONS`` as
    ``ml-connector`` does, rather than building no integration without a word."""
    from connector_assets.deployment import Deployment, UnknownIntegration

    monkeypatch.setenv("ML_INTEGRATIONS", "jde_bil")
    with pytest.raises(UnknownIntegration, match="'jde_bil' .*known: jde_bill"):
        Deployment.of_instances([components.JdeBill()])


def test_a_type_written_out_is_what_integration_type_makes_of_its_package():
    """``class JdeBill(IntegrationType, package=...)`` (what an editor and a checker see) and
    ``integration_type`` (another project's package, made at run time) take the same from the package."""
    from connector_assets.components.integration_type import integration_type

    made = integration_type(components.JdeBill.package, "elsewhere.components")
    assert made.__name__ == "JdeBill" and made.__module__ == "elsewhere.components"
    assert made.model_json_schema() == components.JdeBill.model_json_schema()
    assert made.model().model_json_schema() == components.JdeBill.model().model_json_schema()
    assert (made.integration, made.declared.keys(), made.__doc__) == (
        "jde_bill",
        components.JdeBill.declared.keys(),
        components.JdeBill.__doc__,
    )


def test_a_type_named_otherwise_than_its_package_is_refused():
    from connector_assets.components.integration_type import IntegrationType

    with pytest.raises(TypeError, match="integrations.jde_bill is named JdeBill, not Bill"):

        class Bill(IntegrationType, package="connector_assets.integrations.jde_bill"):
            pass


def test_an_integration_package_without_its_type_is_refused_naming_the_line(tmp_path, monkeypatch):
    """A new package with a ``wiring`` and no class in ``connector_assets.components`` would load in no
    deployment: the list of types refuses it, saying what to write."""
    from connector_assets import integrations

    (tmp_path / "jde_nowhere").mkdir()
    (tmp_path / "jde_nowhere" / "__init__.py").write_text('"""Nowhere."""\n')
    (tmp_path / "jde_nowhere" / "wiring.py").write_text("")
    monkeypatch.setattr(integrations, "__path__", [*integrations.__path__, str(tmp_path)])
    components.integration_types.cache_clear()
    try:
        with pytest.raises(LookupError) as refused:
            components.integration_types()
    finally:
        components.integration_types.cache_clear()
        sys.modules.pop("connector_assets.integrations.jde_nowhere", None)  # found by find_spec
    said = str(refused.value)
    assert 'class JdeNowhere(IntegrationType, package="connector_assets.integrations.jde_nowhere")' in said


def test_a_value_reaches_its_attribute_as_written_and_a_template_renders_as_text(monkeypatch):
    """Dagster renders YAML text with Jinja's native types, which read "1.4310" as the number 1.431 and
    "2,4,6,7,8" as a tuple; an attribute keeps the text a variable would hold, templated or not, and a
    template reading an unset variable renders blank (the default decides)."""
    monkeypatch.setenv("ACCOUNTS_OF_THIS_JDE", "1.4320")
    monkeypatch.delenv("UNSET_IN_THIS_TEST", raising=False)
    jde_bill = components.JdeBill.resolve_from_yaml(
        'payment_debit_account: "1.4310"\n'
        'payment_credit_account: "{{ env.ACCOUNTS_OF_THIS_JDE }}"\n'
        'account_map: "{{ env.UNSET_IN_THIS_TEST }}"\n'
        'companies: ["00200", "300"]\n'
        "po_approved_status: 400\n"
    )
    assert (jde_bill.payment_debit_account, jde_bill.payment_credit_account) == ("1.4310", "1.4320")
    assert jde_bill.account_map == "" and jde_bill.given("account_map") == ""
    assert jde_bill.companies == ["00200", "300"] and jde_bill.po_approved_status == 400
    fusion = components.FusionProcurify.resolve_from_yaml('bill_statuses: "2,4,6,7,8"\nintercompany: "000"\n')
    assert (fusion.bill_statuses, fusion.intercompany) == ("2,4,6,7,8", "000")
    with pytest.raises(Exception, match="evn"):  # a misspelt scope is refused, not rendered blank
        components.JdeBill.resolve_from_yaml('account_map: "{{ evn.X }}"\n')
