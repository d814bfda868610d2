"""Where a run's steps execute: in the run's own process, or on Celery workers (``ML_RUN_EXECUTOR``;
docs/deployment.md, "Steps on Celery workers (production profile)"). The broker and backend are
``{"env": ...}`` references, so a password in a broker URL never becomes part of a run's stored config, and
the definitions load where no broker is set.
"""

from __future__ import annotations

from dagster import ExecutorDefinition

from connector_assets.runtime.run_workers import marked_in_process_executor
from connector_resources import settings


class ExecutorSettingError(settings.SettingError):
    """The Celery profile lacks what it needs (dagster-celery, its broker)."""


def run_executor() -> ExecutorDefinition:
    """The executor every job of the definitions uses, as ``ML_RUN_EXECUTOR`` says."""
    if settings.read("ML_RUN_EXECUTOR") == "celery":
        return _celery_executor()
    return marked_in_process_executor  # in_process_executor, naming its worker (``run_workers``)


def _celery_executor() -> ExecutorDefinition:
    # Imported here: dagster-celery is the optional `celery` extra, and the embedded default never needs it.
    try:
        from dagster_celery import celery_executor
    except ImportError as missing:
        raise ExecutorSettingError(
            "ML_RUN_EXECUTOR=celery needs dagster-celery: pip install 'ml-connector[celery]'"
        ) from missing
    if not settings.given("ML_CELERY_BROKER_URL"):
        raise ExecutorSettingError(
            "ML_RUN_EXECUTOR=celery needs ML_CELERY_BROKER_URL (e.g. redis://redis:6379/0): the broker the "
            "`dagster-celery worker start` processes listen on"
        )
    backend = "ML_CELERY_BACKEND_URL" if settings.given("ML_CELERY_BACKEND_URL") else "ML_CELERY_BROKER_URL"
    return celery_executor.configured(
        {"broker": {"env": "ML_CELERY_BROKER_URL"}, "backend": {"env": backend}},
        name="celery_executor",
    )
