"""Debian's chromium driven by its own chromedriver (selenium, no browser download), headless: what the
desk's journeys run in. Missing, it fails under CI=true and skips elsewhere, saying how to install it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from unavailable import unavailable

INSTALL = "apt-get install chromium chromium-driver"


def installed() -> tuple[str, str]:
    """The browser's and its driver's paths; missing, the test fails under CI=true and skips elsewhere. A
    journey whose world is costly to start asks first, so a machine without them does not pay for it."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if browser is None or driver_path is None:
        unavailable(f"chromium and its chromedriver are needed for the browser journeys ({INSTALL})")
    return browser, driver_path


@contextmanager
def chromium() -> Iterator[Any]:
    browser, driver_path = installed()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)  # a path: no Selenium Manager
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def left_behind(element: Any) -> Any:
    """A wait condition: ``element``'s page was replaced. Selenium's ``staleness_of`` knows only a stale
    reference, but chromium mid-navigation may instead answer that the node "does not belong to the
    document", which means the same."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def gone(_driver: Any) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return gone
