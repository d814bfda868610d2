"""The Fusion sandbox pod the Fusion client's tests share (``test_fusion_client``, ``test_fusion_writes``,
``test_fusion_actions``): one pod a module, started on a free port, and every test that takes it starts
from the same seeded pod with default behaviour and no faults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest


@pytest.fixture(scope="module")
def pod() -> Iterator[Any]:
    from test_fusion_client import Pod

    with closing(Pod()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "pod" in request.fixturenames:
        request.getfixturevalue("pod").reset()
