"""The optional JDE tables (``connector_resources.jde.optional_tables``): one switch per table, the old
JDE -> BILL name still honoured with a warning, and a refusal of the table (403 as the reference documents
it, or the 400 "not available" an independent AIS server answered) turned into one naming the setting."""

from __future__ import annotations

import logging

import pytest

from connector_resources.jde import JdeAuthError, JdeError, optional_tables
from connector_resources.settings import SettingError


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for spec in optional_tables.OPTIONAL_TABLES.values():
        for env in (spec.setting, *spec.deprecated):
            monkeypatch.delenv(env, raising=False)
    monkeypatch.setattr(optional_tables, "_warned", set())


def test_each_table_has_its_own_switch_default_on(monkeypatch):
    assert all(optional_tables.enabled(t) for t in ("F0116", "F0115", "F01151", "F0101"))
    monkeypatch.setenv("ML_JDE_SUPPLIER_PHONES", "off")
    assert optional_tables.read(("F0101", "F0116", "F0115", "F01151")) == ("F0101", "F0116", "F01151")
    monkeypatch.setenv("ML_JDE_SUPPLIER_EMAILS", "perhaps")
    with pytest.raises(SettingError, match="ML_JDE_SUPPLIER_EMAILS"):
        optional_tables.enabled("F01151")


def test_the_old_bill_name_still_works_with_a_warning_and_the_new_name_wins(monkeypatch, caplog):
    monkeypatch.setenv("ML_JDE_BILL_VENDOR_ADDRESSES", "off")
    with caplog.at_level(logging.WARNING):
        assert not optional_tables.enabled("F0116")
        assert not optional_tables.enabled("F0116")
    warned = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(warned) == 1 and "ML_JDE_SUPPLIER_ADDRESSES" in warned[0]
    monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "on")
    assert optional_tables.enabled("F0116")


@pytest.mark.parametrize(
    ("refusal", "kind"),
    [
        (
            JdeAuthError(
                "JD Edwards AIS refused to read F0116 (HTTP 403 Authorization Failure).", status=403
            ),
            JdeAuthError,
        ),
        (JdeError("JD Edwards AIS answered HTTP 400: F0116 is not available", status=400), JdeError),
    ],
)
def test_a_refusal_of_an_optional_table_names_its_setting(refusal, kind):
    with (
        pytest.raises(kind, match=r"set ML_JDE_SUPPLIER_ADDRESSES=off") as raised,
        optional_tables.refusal_explained(),
    ):
        raise refusal
    assert raised.value.status == refusal.status


def test_other_errors_pass_unchanged():
    other = JdeError("JD Edwards AIS answered HTTP 400: F0911 is not available", status=400)
    with pytest.raises(JdeError) as raised, optional_tables.refusal_explained():
        raise other
    assert raised.value is other


def test_a_run_says_once_what_it_leaves_out(monkeypatch):
    monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "off")
    lines: list[str] = []

    class Log:
        def warning(self, text: str) -> None:
            lines.append(text)

    optional_tables.announce(Log(), "jde_procurify suppliers", ("F0116", "F0115", "F01151"))
    assert lines == [
        "jde_procurify suppliers: F0116 (Address by Date) not read (ML_JDE_SUPPLIER_ADDRESSES=off): "
        "suppliers are sent without a mailing address"
    ]
