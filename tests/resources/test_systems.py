"""A system is its package: ``connector_resources/<package>/system.py`` declares it (settings, sandbox port,
ping, change feed, pool, webhooks) and every place that does something per system finds it there.

The toy system (say NetSuite) is written into a folder of its own, added to ``connector_resources``' search
path for the test and removed after: nothing of the project is edited, no list names it, yet the settings
table, the docs' table, the sandbox ports, ``ml-connector ping``, the API pools and the webhook receiver all
have it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import connector_resources
from connector_resources import settings
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import Sandbox, System
from connector_resources.systems import (
    _check,
    declared_systems,
    forget_found,
    sandbox_ports,
    system,
    system_named_in_flows,
)

TOY_SYSTEM = '''
"""NetSuite, as a toy: one folder declares it."""

from connector_resources.ping import register_ping
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import ApiPool, Sandbox, System, base_url, max_age
from connector_resources.system_declaration import webhook_max_age
from connector_resources.webhooks.freshness import Freshness
from connector_resources.webhooks.sources import WebhookRejected, WebhookSource, hmac_matches

SANDBOX = Sandbox(8717, "/services/rest")


def _ping():
    register_ping("netsuite", lambda: "toy NetSuite answers")


def _webhooks(environ, future_skew):
    secret = SYSTEM.values(environ)["webhook_secret"]

    def verify(headers, body):
        if not hmac_matches(secret, body, headers.get("x-netsuite-signature", "")):
            raise WebhookRejected("netsuite: missing or wrong x-netsuite-signature")

    window = Freshness(max_age(SYSTEM, environ), future_skew)
    event_id = lambda _headers, body: str(body["id"])
    return {"netsuite": WebhookSource("netsuite", verify, event_id, None, window)}


SYSTEM = System(
    "netsuite",
    "NetSuite SuiteTalk REST",
    (
        base_url("ML_NETSUITE_URL", SANDBOX.url(), "account URL, e.g. https://1234.suitetalk.api.netsuite.com"),
        Setting("account", "ML_NETSUITE_ACCOUNT", "TSTDRV1", "NetSuite account id"),
        Setting("webhook_secret", "ML_NETSUITE_WEBHOOK_SECRET", "sandbox-netsuite", "HMAC key", secret=True),
        webhook_max_age("ML_NETSUITE", "60", "older events are refused"),
    ),
    sandbox=SANDBOX,
    flow_name="NetSuite",
    ping=_ping,
    pool=ApiPool("netsuite_", 2, lambda: "netsuite_" + SYSTEM.values()["account"]),
    webhooks=_webhooks,
)
'''


def _forget_found() -> None:
    """Drop what was found from the packages, so the next question looks again."""
    forget_found()
    settings._by_env.cache_clear()


@pytest.fixture
def netsuite(tmp_path: Path) -> Iterator[Path]:
    """The toy's package in a folder of its own on ``connector_resources``' search path, then gone."""
    folder = tmp_path / "netsuite"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""NetSuite, as a toy."""\n', encoding="utf-8")
    (folder / "system.py").write_text(textwrap.dedent(TOY_SYSTEM), encoding="utf-8")
    connector_resources.__path__.append(str(tmp_path))
    _forget_found()
    try:
        yield folder
    finally:
        connector_resources.__path__.remove(str(tmp_path))
        import sys

        for name in [n for n in sys.modules if n.startswith("connector_resources.netsuite")]:
            del sys.modules[name]
        _forget_found()


def test_every_system_package_declares_one_system_in_the_order_of_its_sandbox_port():
    assert [s.key for s in declared_systems()] == [
        "jde_ais",
        "coupa",
        "bill",
        "procurify",
        "procore",
        "fusion",
    ]
    assert sandbox_ports() == {
        "jde_ais": 8711, "coupa": 8712, "bill": 8713, "procurify": 8714, "procore": 8715, "fusion": 8716,
        "webhooks": 8720, "desk": 8721,
    }  # fmt: skip
    assert system_named_in_flows("JDE") is system("jde_ais")
    assert [s.resource_key for s in declared_systems()] == [
        "jde",
        "coupa",
        "bill",
        "procurify",
        "procore",
        "fusion",
    ]


def test_each_system_declares_its_settings_in_its_own_package():
    for declared in declared_systems():
        module = type(declared.settings[0]).__module__
        assert module == "connector_resources.setting_model"
        assert declared.setting("base_url").is_url, declared.key
    assert settings.registered("ML_BILL_DEV_KEY").secret
    assert settings.system("procore").setting("company_id").env == "ML_PROCORE_COMPANY_ID"


def test_a_new_system_is_its_folder(netsuite, monkeypatch):
    from connector_resources.api_pools import api_pool_limit, session_write_limits
    from connector_resources.core_pings import register_core_pings
    from connector_resources.ping import _checks
    from connector_resources.webhooks.configured import configured_sources

    toy = system("netsuite")
    assert [s.key for s in declared_systems()][-1] == "netsuite"  # port 8717: after Fusion's 8716
    assert settings.SANDBOX_PORTS["netsuite"] == 8717
    monkeypatch.setenv(settings.SANDBOX_PORT_BASE_ENV, "20000")
    assert settings.sandbox_port("netsuite") == 20006
    assert toy.values()["base_url"] == "http://127.0.0.1:20006/services/rest"  # moves with the block
    monkeypatch.delenv(settings.SANDBOX_PORT_BASE_ENV)
    assert settings.value("ML_NETSUITE_ACCOUNT") == "TSTDRV1"
    assert settings.value("ML_NETSUITE_POLL_CRON") == "*/15 * * * *"  # the SaaS poll's one declaration
    assert (
        "| `ML_NETSUITE_ACCOUNT` | netsuite | `TSTDRV1` | NetSuite account id |" in settings.markdown_table()
    )
    assert api_pool_limit("netsuite_TSTDRV1") == 2 and session_write_limits("netsuite") == (None, None)
    register_core_pings()
    try:
        assert _checks["netsuite"]() == "toy NetSuite answers"
    finally:
        _checks.pop("netsuite", None)
    sources = configured_sources()
    assert "bill" in sources and sources["netsuite"].freshness.max_age == timedelta(minutes=60)


def test_a_port_or_a_name_declared_twice_or_outside_the_block_is_refused():
    def toy(key: str, port: int, flow_name: str = "") -> System:
        url = Setting("base_url", f"ML_{key.upper()}_URL", "", "url")
        return System(key, key, (url,), sandbox=Sandbox(port), flow_name=flow_name)

    with pytest.raises(ValueError, match="port 8712 is a's"):
        _check([toy("a", 8712), toy("b", 8712)])
    with pytest.raises(ValueError, match="port 8720 is webhooks's"):
        _check([toy("a", 8720)])
    with pytest.raises(ValueError, match="outside the sandbox block 8711-8721"):
        _check([toy("a", 9000)])
    with pytest.raises(ValueError, match="declared twice \\(name_in_flows\\): JDE"):
        _check([toy("a", 8711, "JDE"), toy("b", 8712, "JDE")])


def test_webhook_max_age_comes_from_the_system_that_takes_the_webhooks():
    from connector_resources.webhooks.configured import max_age

    assert max_age("procore", {}) == timedelta(minutes=780)
    assert max_age("bill", {"ML_BILL_WEBHOOK_MAX_AGE_MINUTES": "60"}) == timedelta(hours=1)


def test_the_integrations_settings_are_handed_in_through_the_entry_point():
    from importlib.metadata import entry_points

    [point] = entry_points(group=settings.INTEGRATION_SETTINGS_GROUP)
    assert point.value == "connector_assets.integration_settings:declared"
    assert set(point.load()()) == set(settings.integration_settings())
    source = Path(settings.__file__).read_text(encoding="utf-8")
    assert "connector_assets" not in source.split('"""', 2)[2]  # named nowhere but in the docstring


def test_threads_asking_at_once_all_get_the_systems():
    """A second thread asking while the first imports the packages waits for it (write workers, receiver
    threads), where a flag shared by threads would have refused it as a read at import."""
    from concurrent.futures import ThreadPoolExecutor

    _forget_found()
    try:
        with ThreadPoolExecutor(4) as pool:
            found = list(pool.map(lambda _: declared_systems(), range(8)))
    finally:
        _forget_found()
    assert all(systems == found[0] for systems in found) and len(found[0]) == 6


def test_a_system_package_reading_settings_as_it_is_imported_is_told_to_read_them_when_used(tmp_path):
    import sys

    folder = tmp_path / "eager"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""Reads a setting at import."""\n', encoding="utf-8")
    (folder / "system.py").write_text(
        "from connector_resources import settings\nCRON = settings.value('ML_RETRY_CRON')\n", encoding="utf-8"
    )
    connector_resources.__path__.append(str(tmp_path))
    _forget_found()
    try:
        with pytest.raises(RuntimeError, match="read settings when they are used, not at import"):
            declared_systems()
    finally:
        connector_resources.__path__.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("connector_resources.eager")]:
            del sys.modules[name]
        _forget_found()
    assert len(declared_systems()) == 6


def test_the_simulators_are_the_declared_systems_sandboxes():
    """``ml-connector sandbox`` and ``make dev`` start one simulator per declared ``Sandbox``, with the world
    and activity the system declares, and build it with its package's ``SETTINGS``."""
    import importlib

    from connector_sandbox.registry import SANDBOXES

    assert list(SANDBOXES) == [s.key for s in declared_systems() if s.sandbox is not None]
    for key, spec in SANDBOXES.items():
        declared = system(key).sandbox
        assert (spec.path, spec.activity, spec.world) == (
            declared.path,
            dict(declared.activity),
            declared.world,
        )
        assert isinstance(getattr(importlib.import_module(f"connector_sandbox.{key}"), spec.settings), type)
    assert SANDBOXES["bill"].world == (("payments_quiet_days", 2),)
