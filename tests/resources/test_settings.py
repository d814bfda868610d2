"""Connection settings: env vars override sandbox defaults, and the docs' table is the code's table."""

from __future__ import annotations

import pytest
from roots import ROOT

from connector_resources.settings import SYSTEMS, SettingError, markdown_table, system


def test_defaults_point_at_the_sandbox_on_loopback():
    for sys_ in SYSTEMS.values():
        values = sys_.values(environ={})
        assert values["base_url"].startswith("http://127.0.0.1:"), sys_.key
        assert not sys_.is_configured(environ={})


def test_env_var_points_a_connection_at_any_host():
    jde = system("jde_ais")
    values = jde.values(
        environ={"ML_JDE_AIS_URL": "https://ais.example.com:9300/jderest/", "ML_JDE_ROLE": "AP"}
    )
    assert values["base_url"] == "https://ais.example.com:9300/jderest"
    assert values["role"] == "AP"
    assert values["username"] == jde.setting("username").default
    assert jde.is_configured(environ={"ML_JDE_ROLE": "AP"})


def test_a_bad_url_names_the_variable():
    with pytest.raises(SettingError, match="ML_COUPA_URL"):
        system("coupa").values(environ={"ML_COUPA_URL": "acme.coupahost.com"})


def test_unknown_system_lists_the_known_ones():
    with pytest.raises(KeyError, match="jde_ais"):
        system("sap")


def test_every_env_var_is_unique():
    envs = [s.env for sys_ in SYSTEMS.values() for s in sys_.settings]
    assert len(envs) == len(set(envs))


def test_docs_configuration_table_is_the_generated_one():
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert markdown_table() in page, (
        "docs/configuration.md's table is stale: paste settings.markdown_table() (the page says how)"
    )


def test_settings_are_read_only_through_the_registry():
    """Every environment variable the project reads is declared (by its system, the project or its
    integration, so the docs/configuration.md table lists it with its default) and read through
    connector_resources.settings or the setting model it stands on: no module keeps a default of its own."""
    import re

    raw_read = re.compile(r"\bos\.(environ|getenv)\b|\bfrom os import\b.*\b(environ|getenv)\b")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in ("connector_assets", "connector_resources", "connector_cli")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT).as_posix()
        not in ("connector_resources/settings.py", "connector_resources/setting_model.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if raw_read.search(line)
    ]
    assert found == [], "read these through connector_resources.settings:\n" + "\n".join(found)


def test_an_undeclared_variable_cannot_be_read():
    from connector_resources import settings

    with pytest.raises(KeyError, match="ML_NOT_A_SETTING is not a declared setting"):
        settings.value("ML_NOT_A_SETTING")
    assert settings.value("ML_BILL_POLL_CRON", {}) == "*/15 * * * *"  # one declaration per system
    with pytest.raises(KeyError):
        settings.value("ML_SAP_POLL_CRON")
    assert settings.value("ML_RETRY_CRON", {"ML_RETRY_CRON": " 0 * * * * "}) == "0 * * * *"
    assert settings.given("ML_CONNECTOR_DB_URL", {}) == ""
