"""Waiting on the desk's page of a background task, which reloads itself every 2 s while the task runs.

One place, because an element read from that page may belong to the copy the browser is replacing: a
wait that reads it once a poll meets a stale element now and then on a busy machine (seen in CI). The
wait reads again instead; the page of an ended task no longer reloads, so what follows reads it safely.
"""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPLACED = (StaleElementReferenceException, NoSuchElementException)  # mid-reload: read again


def task_ended(browser: Any, timeout: float) -> str:
    """The state (``done``, ``failed`` ...) of the task whose page ``browser`` shows, once not running."""

    def ended(b: Any) -> str | bool:
        state = b.find_element(By.ID, "task").get_attribute("data-state")
        return state if state and state != "running" else False

    return WebDriverWait(browser, timeout, poll_frequency=0.5, ignored_exceptions=REPLACED).until(ended)
