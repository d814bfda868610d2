"""Settings declare their kind (type, bounds, choices) and ``settings.read`` types them:
one error shape for every refused value, naming the variable, what it holds, what is expected, the default."""

from __future__ import annotations

import importlib
import importlib.util
import tomllib
from pathlib import Path

import pytest

from connector_resources import settings
from connector_resources.setting_declarations import integration_variable
from connector_resources.setting_kinds import Choice, Items, Number, OnOff, Refused, Text
from connector_resources.settings import Setting, SettingError, all_settings

DECLARED = all_settings()


@pytest.mark.parametrize("setting", DECLARED, ids=lambda s: s.env)
def test_every_default_is_a_value_its_kind_accepts(setting):
    setting.kind.parse(setting.default_value({}))


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "ten", ""])
def test_a_number_refuses_what_is_not_a_finite_number_in_bounds(raw):
    with pytest.raises(Refused, match="a number of hours >= 0"):
        Number(unit="hours", minimum=0).parse(raw)


def test_number_bounds_and_whole_numbers():
    assert Number(whole=True, minimum=0).parse(" 3 ") == 3
    assert Number(above=0).parse("0.5") == 0.5
    for raw, kind in (("0", Number(above=0)), ("2.5", Number(whole=True)), ("11", Number(maximum=10))):
        with pytest.raises(Refused):
            kind.parse(raw)


def test_choice_on_off_text_and_items():
    assert Choice(("voucher", "journal")).parse(" Journal ") == "journal"
    with pytest.raises(Refused, match="one of voucher, journal"):
        Choice(("voucher", "journal")).parse("both")
    assert OnOff().parse("YES") is True and OnOff().parse("0") is False
    with pytest.raises(Refused):
        Text(pattern="[A-Z]{3}").parse("EURO")
    with pytest.raises(Refused):
        Text(required=True).parse("  ")
    assert Items(case="upper").parse("cleared, ,sent") == ("CLEARED", "SENT")
    with pytest.raises(Refused, match="2 segments"):
        Items(noun="segments", count=2).parse("a,b,c")
    with pytest.raises(Refused, match="among 1, 2"):
        Items(allowed=("1", "2")).parse("1,3")


def test_a_refused_value_names_the_variable_the_value_the_expectation_and_the_default(monkeypatch):
    monkeypatch.setenv("ML_HELD_ALERT_HOURS", "a day")
    with pytest.raises(SettingError) as refused:
        settings.read("ML_HELD_ALERT_HOURS")
    assert str(refused.value) == (
        "ML_HELD_ALERT_HOURS='a day': expected a number of hours >= 0; default '24'"
    )
    monkeypatch.setenv("ML_HELD_ALERT_HOURS", " 6 ")
    assert settings.read("ML_HELD_ALERT_HOURS") == 6.0


def test_text_is_the_kind_of_a_setting_that_declares_none():
    assert Setting("x", "ML_X", "a", "help").kind == Text()


def test_each_integration_declares_its_settings_in_its_own_package():
    from connector_resources.settings import integration_settings

    declared = integration_settings()
    assert set(declared) == {
        "coupa_jde", "fusion_procurify", "jde_bill", "jde_coupa", "jde_procurify", "procore_jde"
    }  # fmt: skip
    for integration, found in declared.items():
        assert found and all(s.env.startswith(f"ML_{integration.upper()}_") for s in found)
        path = Path(importlib.util.find_spec("connector_assets.integrations").origin).with_name(integration)
        with (path / "settings.toml").open("rb") as handle:
            tables = tomllib.load(handle)
        assert [s.env for s in found] == [integration_variable(integration, name) for name in tables]


def test_a_setting_outside_its_integrations_prefix_or_declared_twice_is_refused():
    from connector_resources.settings import checked_settings

    with pytest.raises(ValueError, match="must start with ML_TOY_"):
        checked_settings("toy", (Setting("x", "ML_OTHER_X", "", "help"),))
    with pytest.raises(ValueError, match="declared twice"):
        checked_settings("jde", (Setting("x", "ML_JDE_POLL_CRON", "", "help"),))
    with pytest.raises(ValueError, match="declared twice"):
        checked_settings("toy", (Setting("x", "ML_TOY_X", "", "help"), Setting("y", "ML_TOY_X", "", "help")))


def test_reading_an_integrations_settings_registers_nothing():
    """An integration's ``settings.toml`` is data: reading it leaves the table as it was, and its variables
    are found by their prefix all the same."""
    from connector_resources import settings

    before = dict(settings._by_env())
    declared = settings.integration_settings()["jde_bill"]
    assert before == settings._by_env()
    assert all(settings.registered(s.env) is s for s in declared)


def test_an_integration_setting_asked_first_in_a_new_process_is_found():
    import subprocess
    import sys

    code = (
        "from connector_resources import settings; print(settings.read('ML_FUSION_PROCURIFY_ORDER_SOURCE'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "purchase_orders"


@pytest.mark.parametrize(
    ("env", "refused", "accepted", "read"),
    [
        ("ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL", "ap at acme", "ap@acme.com", "fallback_email"),
        ("ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL", "ap@acme", "ap@acme.com", "fallback_email"),
        ("ML_JDE_PROCURIFY_VENDOR_FIRST_ID", "12a", "120", "first_vendor_id"),
        ("ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT", "JDE-{an8}-{an8}", "V{an8}", "origin_format"),
        ("ML_PROCORE_JDE_VENDOR_BANK_FIELDS", "routing_number", "routing, account", "bank_fields"),
    ],
)
def test_the_vendor_settings_once_parsed_by_hand_are_typed_by_their_kind(
    monkeypatch, env, refused, accepted, read
):
    """What each reader used to check itself (an e-mail address, a vendor id, ``{an8}`` once, two field
    names) is its setting's kind: a wrong value is refused naming the variable, a right one read."""
    from jde_procurify_parts import INSTANCE as JDE_PROCURIFY

    from connector_assets.components import ProcoreJde
    from connector_assets.integrations.jde_procurify import vendor_mappers as jde_procurify_vendors
    from connector_assets.integrations.procore_jde import vendor_mappers as procore_vendors
    from connector_assets.procurify import vendor_writes

    readers = {
        "fallback_email": lambda: vendor_writes.fallback_email(env),
        "first_vendor_id": lambda: jde_procurify_vendors.first_vendor_id(JDE_PROCURIFY),
        "origin_format": lambda: procore_vendors.origin_format(ProcoreJde()),
        "bank_fields": lambda: procore_vendors.bank_fields(ProcoreJde()),
    }
    monkeypatch.setenv(env, refused)
    with pytest.raises(SettingError, match=f"{env}="):
        readers[read]()
    monkeypatch.setenv(env, accepted)
    assert (
        readers[read]()
        == {
            "fallback_email": accepted,
            "first_vendor_id": 120,
            "origin_format": accepted,
            "bank_fields": ("routing", "account"),
        }[read]
    )
    monkeypatch.setenv(env, "")
    blank = readers[read]()
    assert blank == {"origin_format": "JDE-V-{an8}"}.get(read, blank) and (
        read == "origin_format" or not blank
    )
