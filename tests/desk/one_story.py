"""What a browser proof of the one story needs besides the browser: signing in to the desk and waiting for
the page a click led to, the ``evaluate_changed_days`` sensor ticked on a real instance and the run it
requests executed there (what the daemon would do), and a day's ``no_failed_records`` check as the instance
last recorded it. Why here: a desk journey's proof is what Dagster records after it, not what a page says,
and several journeys (a replay, an abandon, a match by hand) end with the same tick and the same reading.
"""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    RunRequest,
    SensorResult,
    SkipReason,
    build_sensor_context,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import WebDriverWait

from connector_assets.alerts.changed_days import changed_days_sensor
from connector_assets.alerts.check_failures import latest_day_evaluation
from connector_assets.flows.written_check import CHECK
from connector_assets.operations.replay import replayed_days_checked
from connector_resources.ledger import LedgerResource

PAGE_WAIT = 30  # seconds a page a click led to may take on a loaded machine


def arrived(browser: Any, text: str, timeout: float = PAGE_WAIT) -> None:
    """Wait for the page a click led to (the old page's elements answer until the new one has come)."""
    WebDriverWait(browser, timeout).until(shows.url_contains(text))


def sign_in(browser: Any, url: str, name: str, password: str) -> None:
    """Sign in to the desk at ``url`` through its form, as a person does; the queue opens."""
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "sign-in").click()
    arrived(browser, "/queue")


def tick_changed_days(
    instance: DagsterInstance, ledger_url: str, cursor: str | None
) -> SensorResult | SkipReason:
    """One tick of ``evaluate_changed_days`` on ``instance`` from ``cursor`` (None: its first tick, which
    starts reading the queue from now). The context is entered with ``with``: one left open outlives its
    instance and breaks later runs in the process."""
    with build_sensor_context(
        instance=instance, cursor=cursor, resources={"ledger": LedgerResource(db_url=ledger_url)}
    ) as context:
        return changed_days_sensor()(context)


def run_requested(instance: DagsterInstance, ledger_url: str, request: RunRequest) -> None:
    """What the daemon does with the sensor's request: a run of ``replayed_days_checked`` on ``instance``,
    with the request's config and tags; it must succeed."""
    result = replayed_days_checked.execute_in_process(
        instance=instance,
        run_config=request.run_config,
        resources={"ledger": LedgerResource(db_url=ledger_url)},
        tags=request.tags,
    )
    assert result.success, [event.message for event in result.all_events if event.is_failure]


def day_check(instance: DagsterInstance, written: AssetKey, day: str) -> AssetCheckEvaluation | None:
    """The day's ``no_failed_records`` check of a flow's ``written`` asset as last evaluated (None: never)."""
    latest = latest_day_evaluation(instance, AssetCheckKey(written, CHECK), day)
    return latest[1] if latest is not None else None
