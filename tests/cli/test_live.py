"""Going live in one action, against a real Dagster webserver and daemon on the project's definitions
(``dagster dev``, JD Edwards -> Coupa only) and the JD Edwards and Coupa sandboxes: ``ml-connector live on``
refuses without a recent fit, naming what to run; with ``--without-fit`` it goes on and records the override;
its schedules and sensors are running afterwards, its mapping tables staged by a run, its pools limited;
``live status`` says who turned it on; ``live off`` stops them; each switch is an operator action with who
and why. With a system down, ``live on`` refuses in seconds naming the system, its URL and what it tried.
The desk's Live page does the same for an admin in chromium, with its own controls, and tells an operator
how to become an admin. Against a webserver alone whose schedules and sensors run by the deployment's
default (JD Edwards -> Coupa and -> BILL), ``live off`` of one keeps what the other, never switched with
``live``, still uses, and ``live status`` says so from Dagster's state."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from browser import chromium, left_behind
from click.testing import CliRunner
from dagster_server import dagster_server, free_port, required_binaries
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
from connector_cli.live.switch import CLI_OVERRIDE, PAGE_OVERRIDE, fit_refusal
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


def test_live_on_with_a_system_down_refuses_in_seconds_naming_what_it_tried(deployment):
    env, ledger = deployment
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    refused = _live({**env, "ML_COUPA_URL": down}, "on", INTEGRATION, "--by", "alice", "--why", "x")
    took = time.monotonic() - started
    assert refused.exit_code == 1, refused.output
    assert took < 20, f"{took:.0f} s: {refused.output}"
    said = refused.output
    assert f"ping of {INTEGRATION}'s systems failed in" in said
    assert "each call tried at most 2 times, 3 s to connect" in said
    assert f"coupa: CoupaUnavailableError: Coupa at {down}" in said and "Connection refused" in said
    assert "jde_ais" not in said.split("failed in")[1]  # JD Edwards answered: only Coupa is named
    assert said.count("retrying in") <= 1  # one retry line, not minutes of them
    assert not any(_running(env["ML_DAGSTER_URL"]).values())


def test_a_fit_that_is_too_old_or_unfinished_is_refused_with_what_to_run():
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    fit = FitNote(now - timedelta(days=8), INTEGRATION, "2026-11-01", "2026-11-17", (), 0, 40)
    old = fit_refusal(INTEGRATION, fit, override=CLI_OVERRIDE, now=now) or ""
    assert "is 8 day(s) old (ML_LIVE_FIT_DAYS=7)" in old and "add --without-fit" in old
    unfinished = FitNote(now, INTEGRATION, "2026-11-01", "2026-11-25", (), 1, 40)
    on_the_page = fit_refusal(INTEGRATION, unfinished, override=PAGE_OVERRIDE, now=now) or ""
    assert "did not finish 1 flow(s)" in on_the_page
    assert '"Go on without a recent fit"' in on_the_page and "--without-fit" not in on_the_page
    finished = FitNote(now, INTEGRATION, "2026-11-01", "2026-11-25", (), 0, 40)
    assert fit_refusal(INTEGRATION, finished, override=CLI_OVERRIDE, now=now) is None


# A note on the Live page spills over the lines around it when it is an inline box with padding.
_NOTE_APART = """const note = arguments[0], cell = note.parentElement, line = document.createRange();
line.selectNodeContents(cell.firstChild);
const text = line.getBoundingClientRect(), box = note.getBoundingClientRect();
const td = cell.getBoundingClientRect();
return box.top >= text.bottom && box.left >= td.left && box.right <= td.right && box.bottom <= td.bottom;"""


def test_the_live_page_switches_for_an_admin_and_tells_an_operator_how_to_become_one(deployment, monkeypatch):
    env, _ = deployment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ledger = Ledger(env["ML_CONNECTOR_DB_URL"])
    ledger.add_desk_user("ada", "admin-password-12", "admin", replace=True)
    ledger.add_desk_user("otto", "operator-password-1", "operator", replace=True)
    url, stop = serve_in_thread(build_app(ledger, Access(), dagster_url=env["ML_DAGSTER_URL"]), port=0)
    try:
        with chromium() as browser:
            _sign_in(browser, url, "otto", "operator-password-1")
            browser.get(f"{url}/live")
            refusal = browser.find_element(By.ID, "refusal").text
            assert "otto is an operator here: only an admin may see and use Live" in refusal
            assert "ml-connector desk users add otto --role admin --replace" in refusal

            browser.delete_all_cookies()
            _sign_in(browser, url, "ada", "admin-password-12")
            browser.get(f"{url}/live")
            row = browser.find_element(By.ID, f"live-{INTEGRATION}")
            assert "off" in row.find_element(By.CLASS_NAME, "state").text
            note = row.find_element(By.CLASS_NAME, "fit-refusal")  # no fit ran: said for this page
            assert "Go on without a recent fit" in note.text and "--without-fit" not in note.text
            assert browser.execute_script(_NOTE_APART, note), "the fit note overlaps the text around it"
            shared = browser.find_element(By.ID, "shared-jde_poll_schedule").text
            assert "stopped" in shared and INTEGRATION in shared

            form = browser.find_element(By.ID, f"on-{INTEGRATION}")
            form.find_element(By.NAME, "without_fit").click()  # the page's own override
            _submit(browser, f"on-{INTEGRATION}", "first day live")
            assert f"{INTEGRATION} is on" in browser.find_element(By.ID, "notice").text
            assert all(_running(env["ML_DAGSTER_URL"]).values())
            assert "on by ada" in browser.find_element(By.ID, f"live-{INTEGRATION}").text
            assert "running (switched)" in browser.find_element(By.ID, "shared-jde_poll_schedule").text

            _submit(browser, f"off-{INTEGRATION}", "back to manual")
            assert f"{INTEGRATION} is off" in browser.find_element(By.ID, "notice").text
            assert not any(_running(env["ML_DAGSTER_URL"]).values())
        on, off = ledger.operator_actions(action="live_on", limit=1)[0], ledger.live_switches()[INTEGRATION]
        assert (on.actor, on.role, on.note) == ("ada", "admin", "first day live")
        assert on.detail["without_fit"].startswith("no fit of the whole jde_coupa")  # the override, recorded
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
    WebDriverWait(browser, 300).until(left_behind(form))
    WebDriverWait(browser, 300).until(shows.url_contains("notice="))


# -- what runs by the deployment's default ------------------------------------------------------------------

BY_DEFAULT = ("jde_bill", "jde_coupa")


@pytest.fixture(scope="module")
def running_by_default(tmp_path_factory):
    """A webserver alone (no daemon: nothing ticks, no run starts) loading JD Edwards -> BILL and -> Coupa,
    whose schedules and sensors all run by default (``ML_AUTOMATION_DEFAULT=running``): none was switched."""
    problem = required_binaries()
    if problem:
        unavailable(f"a real Dagster webserver is needed: {problem}")
    tmp = tmp_path_factory.mktemp("by-default")
    env = {
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp / 'ledger.db'}",
        "ML_INTEGRATIONS": ",".join(BY_DEFAULT),
        "ML_AUTOMATION_DEFAULT": "running",
    }
    with dagster_server(tmp / "home", env, daemon=False) as server:
        yield {**env, "ML_DAGSTER_URL": server.url, "DAGSTER_HOME": str(server.home)}


def test_live_off_keeps_what_an_integration_running_by_default_uses(running_by_default):
    env = running_by_default
    url = env["ML_DAGSTER_URL"]
    bill, coupa = live_plan("jde_bill"), live_plan("jde_coupa")
    both = sorted(set(bill.kept_for_others) & set(coupa.kept_for_others))
    assert {"automation_sensor", "jde_poll_schedule", "replay_due_records"} <= set(both)

    status = _live(env, "status").output
    assert (
        f"{'jde_coupa':<18} {'on':<18} never switched with `live`; runs by the deployment's default" in status
    )
    assert (
        "jde_poll_schedule" in status
        and "used by jde_bill, jde_coupa (running: jde_bill, jde_coupa)" in status
    )

    off = _live(env, "off", "jde_bill", "--by", "bob", "--why", "BILL pilot paused")
    assert off.exit_code == 0, off.output
    found = DagsterUI(url).instigators()
    assert [n for n in both if not found[n].running] == [], off.output  # jde_coupa still uses them
    assert not any(found[n].running for n in bill.flows) and not found["bill_sources_poll"].running
    assert all(found[n].running for n in (*coupa.flows, "coupa_sources_poll"))
    assert "kept jde_poll_schedule (used by jde_coupa, which runs)" in off.output

    status = _live(env, "status").output
    assert f"{'jde_bill':<18} {'off':<18} turned off by bob" in status
    poll = _line(status, "jde_poll_schedule")
    assert "running by default" in poll and "(running: jde_coupa)" in poll
    assert "stopped (switched)" in _line(status, "bill_sources_poll")

    last = _live(env, "off", "jde_coupa", "--by", "bob", "--why", "all paused")  # nothing uses them now
    assert last.exit_code == 0, last.output
    found = DagsterUI(url).instigators()
    assert not any(found[n].running for n in (*both, *coupa.flows)), last.output


def _line(said: str, name: str) -> str:
    """The line of ``said`` (``live status``) that names the schedule or sensor ``name``."""
    return next(line for line in said.splitlines() if f" {name} " in line)
