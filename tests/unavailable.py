"""What a test does when a real service or program it stands on is missing here (PostgreSQL, Redis, a
Dagster webserver): CI (``CI=true``) must have it, so the test fails there; elsewhere it skips, saying
what is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
