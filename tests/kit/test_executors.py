"""``ML_RUN_EXECUTOR``: the embedded default runs steps in the run's process; the Celery profile needs its
broker, and a wrong value is refused by name (the Celery workers themselves:
tests/project/test_celery_workers.py)."""

from __future__ import annotations

import pytest

from connector_assets.runtime.executors import ExecutorSettingError, run_executor
from connector_resources.settings import SettingError


def test_the_default_runs_steps_in_the_run_process(monkeypatch):
    monkeypatch.delenv("ML_RUN_EXECUTOR", raising=False)
    assert run_executor().name == "in_process"


def test_the_celery_profile_is_chosen_by_the_setting(monkeypatch):
    """(That the broker URL stays out of a run's stored config: tests/project/test_celery_workers.py.)"""
    monkeypatch.setenv("ML_RUN_EXECUTOR", "Celery")
    monkeypatch.setenv("ML_CELERY_BROKER_URL", "redis://redis:6379/0")
    monkeypatch.delenv("ML_CELERY_BACKEND_URL", raising=False)
    assert run_executor().name == "celery_executor"


def test_the_celery_profile_without_a_broker_is_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("ML_RUN_EXECUTOR", "celery")
    monkeypatch.delenv("ML_CELERY_BROKER_URL", raising=False)
    with pytest.raises(ExecutorSettingError, match="ML_CELERY_BROKER_URL"):
        run_executor()


def test_an_unknown_executor_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv("ML_RUN_EXECUTOR", "multiprocess-please")
    with pytest.raises(SettingError, match="ML_RUN_EXECUTOR='multiprocess-please'.*in_process, celery"):
        run_executor()
