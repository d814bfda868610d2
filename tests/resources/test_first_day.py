"""The first day of the daily partitions: 2024-01-01 on the sandbox (its seeded history, which make dev and
the tests use), a recent day against a real system, so "Materialize all" without a range is not a thousand
days of reads against a production ERP; a first day that is set always wins."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connector_resources import settings
from connector_resources.first_day import months_back

REAL_JDE = {"ML_JDE_AIS_URL": "https://jde.example.com/jderest"}


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 11, 26), date(2026, 8, 1)),
        (date(2026, 2, 10), date(2025, 11, 1)),  # across the year
        (date(2026, 3, 31), date(2025, 12, 1)),
        (date(2026, 4, 1), date(2026, 1, 1)),
    ],
)
def test_the_recent_first_day_is_the_first_of_the_month_three_months_back(today, first):
    assert months_back(today, 3) == first


@pytest.mark.parametrize(
    ("env", "base_url"),
    [("ML_JDE_START_DATE", "ML_JDE_AIS_URL"), ("ML_SAAS_START_DATE", "ML_PROCORE_URL")],
)
def test_the_first_day_is_the_sandbox_s_unless_a_real_system_is_configured(env, base_url):
    recent = months_back(datetime.now(UTC).date(), 3).isoformat()
    assert settings.value(env, {}) == "2024-01-01"  # the sandbox's history: make dev and the tests keep it
    assert settings.value(env, {base_url: "http://127.0.0.1:18715/jderest"}) == "2024-01-01"  # a test's
    assert settings.value(env, {base_url: "https://erp.example.com/api"}) == recent
    given = {base_url: "https://erp.example.com/api", env: "2025-06-01"}
    assert settings.value(env, given) == "2025-06-01"  # set: always wins


def test_against_a_real_jde_the_jde_assets_partitions_start_recently(monkeypatch):
    from connector_assets.jde.extract import jde_daily_partitions

    for name, url in REAL_JDE.items():
        monkeypatch.setenv(name, url)
    monkeypatch.delenv("ML_JDE_START_DATE", raising=False)
    first = jde_daily_partitions().get_first_partition_key()
    assert first == months_back(datetime.now(UTC).date(), 3).isoformat(), first
    assert len(jde_daily_partitions().get_partition_keys()) <= 31 + 30 + 31 + 31 + 1
