"""Going live in one action, against a real Dagster webserver and daemon on the project's definitions
(``dagster dev``, JD Edwards -> Coupa only) and the JD Edwards and Coupa sandboxes: ``ml-connector live on``
refuses without a recent fit, naming what to run; with ``--without-fit`` it goes on and records the override;
its schedules and sensors are running afterwards, its mapping tables staged by a run, its pools limited;
``live status`` says who turned it on; ``live off`` stops them; each switch is an operator action with who
and why. The desk's Live page does the same for an admin in chromium, and refuses an operator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from browser import chromium
from click.testing import CliRunner
from dagster_server import dagster_server, required_binaries
from jde_coupa_world import jde_coupa_world
from roots import ROOT
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import WebDriverWait
from unavailable import unavailable

from connector_cli.desk.app import build_app
from connector_cli.desk.identity import Access
from connector_cli.live.dagster_ui import DagsterUI
from connector_cli.live.plan import live_plan
from connector_cli.live.switch import fit_refusal
from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.ledger.fits import FitNote
from connector_sandbox.serve import serve_in_thread

pytestmark = pytest.mark.timeout(600)
INTEGRATION = "jde_coupa"
TABLES = ROOT / "mappings" / "sandbox"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    problem = required_binaries()
    if problem:
        unavailable(f"a real Dagster webserver and daemon are needed: {problem}")
    tmp = tmp_path_factory.mktemp("live")
    with jde_coupa_world(tmp) as world:
        env = {
            "ML_JDE_AIS_URL": world.jde_url,
            "ML_COUPA_URL": world.coupa_url,
            "ML_CONNECTOR_DB_URL": world.ledger_url,
            "ML_INTEGRATIONS": INTEGRATION,
            # Pointed at hosts of their own, the systems need the tables named: the sandbox's files.
            "ML_JDE_COUPA_ACCOUNT_MAP": str(TABLES / "jde_coupa_accounts.csv"),
            "ML_JDE_COUPA_PAYMENT_TERMS_MAP": str(TABLES / "jde_coupa_payment_terms.csv"),
        }
        with dagster_server(tmp / "home", env) as server:
            yield {**env, "ML_DAGSTER_URL": server.url, "DAGSTER_HOME": str(server.home)}, world.ledger


def _live(env, *args: str):
    return CliRunner().invoke(cli, ["live", *args], env=env, catch_exceptions=False)


def _running(url: str) -> dict[str, bool]:
    found = DagsterUI(url).instigators()
    return {name: found[name].running for name in live_plan(INTEGRATION).order}


def test_live_on_and_off_from_the_cli(deployment):
    env, ledger = deployment
    plan = live_plan(INTEGRATION)
    assert not any(_running(env["ML_DAGSTER_URL"]).values())

    refused = _live(env, "on", INTEGRATION, "--by", "alice", "--why", "pilot")
    assert refused.exit_code == 1, refused.output
    assert "no fit of the whole jde_coupa has run" in refused.output
    assert "ml-connector fit --integration jde_coupa --from" in refused.output
    assert not any(_running(env["ML_DAGSTER_URL"]).values())  # nothing switched
    assert ledger.live_switches() == {}

    done = _live(env, "on", INTEGRATION, "--by", "alice", "--why", "pilot week", "--without-fit")
    assert done.exit_code == 0, done.output
    assert "ping ok" in done.output and "first reads staged" in done.output
    assert _running(env["ML_DAGSTER_URL"]) == dict.fromkeys(plan.order, True)
    assert plan.order.index("coupa_sources_poll") < plan.order.index("jde_coupa_suppliers_schedule")
    assert plan.order[-1] == "replay_due_records"
    on = ledger.live_switches()[INTEGRATION]
    assert (on.action, on.actor, on.role, on.note) == ("live_on", "alice", "admin", "pilot week")
    assert on.detail["without_fit"].startswith("no fit of the whole jde_coupa")  # the override, recorded
    assert on.detail["started"] == list(plan.order)

    status = _live(env, "status")
    assert f"{INTEGRATION:<18} on" in status.output and "turned on by alice" in status.output

    off = _live(env, "off", INTEGRATION, "--by", "bob", "--why", "pause for the close")
    assert off.exit_code == 0, off.output
    assert not any(_running(env["ML_DAGSTER_URL"]).values()), off.output
    last = ledger.live_switches()[INTEGRATION]
    assert (last.action, last.actor, last.note) == ("live_off", "bob", "pause for the close")
    assert last.detail["stopped"] == list(reversed(plan.order))
    assert "off" in _live(env, "status").output


def test_a_fit_that_is_too_old_or_unfinished_is_refused_with_what_to_run():
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    fit = FitNote(now - timedelta(days=8), INTEGRATION, "2026-11-01", "2026-11-17", (), 0, 40)
    assert "is 8 day(s) old (ML_LIVE_FIT_DAYS=7)" in (fit_refusal(INTEGRATION, fit, now) or "")
    unfinished = FitNote(now, INTEGRATION, "2026-11-01", "2026-11-25", (), 1, 40)
    assert "did not finish 1 flow(s)" in (fit_refusal(INTEGRATION, unfinished, now) or "")
    assert (
        fit_refusal(INTEGRATION, FitNote(now, INTEGRATION, "2026-11-01", "2026-11-25", (), 0, 40), now)
        is None
    )


def test_the_live_page_switches_for_an_admin_and_refuses_an_operator(deployment, monkeypatch):
    env, _ = deployment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ledger = Ledger(env["ML_CONNECTOR_DB_URL"])
    ledger.note_fit(INTEGRATION, date.today() - timedelta(days=3), date.today())  # what a fit notes
    ledger.add_desk_user("ada", "admin-password-12", "admin", replace=True)
    ledger.add_desk_user("otto", "operator-password-1", "operator", replace=True)
    url, stop = serve_in_thread(build_app(ledger, Access(), dagster_url=env["ML_DAGSTER_URL"]), port=0)
    try:
        with chromium() as browser:
            _sign_in(browser, url, "otto", "operator-password-1")
            browser.get(f"{url}/live")
            assert "only an admin may see and use Live" in browser.find_element(By.ID, "refusal").text

            browser.delete_all_cookies()
            _sign_in(browser, url, "ada", "admin-password-12")
            browser.get(f"{url}/live")
            row = browser.find_element(By.ID, f"live-{INTEGRATION}")
            assert "off" in row.text and "fit of jde_coupa" in row.text
            _submit(browser, f"on-{INTEGRATION}", "first day live")
            assert f"{INTEGRATION} is on" in browser.find_element(By.ID, "notice").text
            assert all(_running(env["ML_DAGSTER_URL"]).values())
            assert "on by ada" in browser.find_element(By.ID, f"live-{INTEGRATION}").text

            _submit(browser, f"off-{INTEGRATION}", "back to manual")
            assert f"{INTEGRATION} is off" in browser.find_element(By.ID, "notice").text
            assert not any(_running(env["ML_DAGSTER_URL"]).values())
        on, off = ledger.operator_actions(action="live_on", limit=1)[0], ledger.live_switches()[INTEGRATION]
        assert (on.actor, on.role, on.note, on.detail["without_fit"]) == (
            "ada",
            "admin",
            "first day live",
            None,
        )
        assert (off.actor, off.action, off.note) == ("ada", "live_off", "back to manual")
    finally:
        stop()
        ledger.dispose()


def _sign_in(browser, url: str, name: str, password: str) -> None:
    browser.get(f"{url}/login")
    browser.find_element(By.NAME, "name").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 30).until(shows.url_contains("/queue"))


def _submit(browser, form_id: str, why: str) -> None:
    form = browser.find_element(By.ID, form_id)
    form.find_element(By.NAME, "why").send_keys(why)
    form.find_element(By.TAG_NAME, "button").click()
    # The page the click leads to, not the one before (whose URL may already say notice=, from the last).
    WebDriverWait(browser, 300).until(shows.staleness_of(form))
    WebDriverWait(browser, 300).until(shows.url_contains("notice="))
