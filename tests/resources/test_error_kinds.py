"""Every API client's errors share ``ConnectorError`` and declare their kind by name:
the step retry policy asks the kind, so a client's new outage error needs no edit in step_retry.py."""

from __future__ import annotations

import importlib
import inspect

import pytest

from connector_assets.runtime.step_retry import classify
from connector_resources.error_kinds import (
    AnswerError,
    ConfigurationError,
    ConnectorError,
    RateLimitError,
    TransientError,
)

CLIENTS = ("bill", "coupa", "fusion", "http", "jde", "procore", "procurify")


def _error_classes() -> list[type[BaseException]]:
    found = []
    for client in CLIENTS:
        module = importlib.import_module(f"connector_resources.{client}.errors")
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, BaseException)
            and value.__module__ == module.__name__
        ]
    return found


ERRORS = _error_classes()


def test_every_client_error_is_a_connector_error():
    assert len(ERRORS) > 50
    assert [e.__name__ for e in ERRORS if not issubclass(e, ConnectorError)] == []


@pytest.mark.parametrize(
    ("suffix", "kind"),
    [
        ("UnavailableError", TransientError),
        ("OutcomeUnknownError", TransientError),
        ("RateLimitError", RateLimitError),
        ("AuthError", ConfigurationError),
        ("PermissionError", ConfigurationError),
        ("ResponseError", AnswerError),
        ("DataError", AnswerError),
        ("ProtocolError", AnswerError),
    ],
)
def test_each_client_declares_the_kind_its_error_names(suffix, kind):
    named = [e for e in ERRORS if e.__name__.endswith(suffix)]
    assert named, suffix
    assert [e.__name__ for e in named if not issubclass(e, kind)] == []


def test_a_new_client_error_of_a_kind_is_classified_without_naming_it():
    class NewSystemError(ConnectorError, RuntimeError):  # as each client declares its base
        pass

    class NewSystemUnavailableError(NewSystemError, TransientError):
        pass

    class NewSystemAuthError(NewSystemError, ConfigurationError):
        pass

    assert classify(NewSystemUnavailableError("down"), window=60).transient
    verdict = classify(NewSystemAuthError("bad secret"), window=60)
    assert not verdict.transient and "configuration" in verdict.reason
