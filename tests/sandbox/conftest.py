"""Fixtures the sandbox test modules share: a simulator started once per module, reset after each test.

A module tunes its simulator with a module-level dict of settings (``BILL_SETTINGS = {"scale": 0.3}``),
read here through ``request.module``, pytest's way for a fixture to ask the module that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.settings import Organization
from connector_sandbox.bill.testing import SandboxHandle, running
from connector_sandbox.fusion import FusionSandboxSettings, run_in_thread

from .fusion_pod import ANCHOR, OPEN_MONTH, Pod, reset_pod
from .serving import served, served_jde_root


@pytest.fixture(scope="module")
def bill(request: pytest.FixtureRequest) -> Iterator[SandboxHandle]:
    """The BILL sandbox with two organizations, tuned by the module's ``BILL_SETTINGS``."""
    settings = BillSandboxSettings(
        organizations=(
            Organization(id="00801SANDBOXORG00001", name="ML Connector Sandbox Org"),
            Organization(id="00801SANDBOXORG00002", name="Zweite Gesellschaft mbH"),
        ),
        **request.module.BILL_SETTINGS,
    )
    with running(settings) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _restore(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that used the BILL sandbox leaves it at its defaults (a module may override this)."""
    yield
    if "bill" in request.fixturenames:
        request.getfixturevalue("bill").restore_defaults()


@pytest.fixture(scope="module")
def pod(request: pytest.FixtureRequest) -> Iterator[Pod]:
    """A Fusion sandbox pod (scale 0.02 on ANCHOR, its accounting period OPEN_MONTH: the month its data and
    the tests' invoices are dated in), tuned by the module's ``FUSION_SETTINGS`` if any."""
    settings = {"periods": {"open_period": OPEN_MONTH}, **getattr(request.module, "FUSION_SETTINGS", {})}
    yield from served(run_in_thread(FusionSandboxSettings(scale=0.02, anchor_date=ANCHOR, **settings)), Pod)


@pytest.fixture(scope="module")
def order(pod: Pod) -> dict[str, Any]:
    """An open USD order of the pod (the US1 unit's) with its lines and charge accounts: its supplier, site
    and a charge account are what a valid invoice names."""
    query = {"q": "StatusCode=OPEN;CurrencyCode=USD", "expand": "lines.schedules.distributions"}
    return pod.ok("purchaseOrders", limit=1, **query)["items"][0]


@pytest.fixture(autouse=True)
def _defaults(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that used the Fusion pod leaves it without faults, with default behaviour and identities."""
    yield
    if "pod" in request.fixturenames:
        reset_pod(request.getfixturevalue("pod"))


@pytest.fixture(scope="module")
def jde_root() -> Iterator[str]:
    """The JDE sandbox at scale 0.05, by its root: for the tests that run ``make dev``'s set-up against it."""
    yield from served_jde_root(0.05)


@pytest.fixture(autouse=True)
def _reseeded(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that used a module's ``coupa_root`` or ``procore_root`` (a sandbox served by its root) leaves
    that sandbox as seeded (its numbers, its links), so the next test starts from the seed."""
    yield
    for name in ("coupa_root", "procore_root"):
        if name in request.fixturenames:
            root = request.getfixturevalue(name)
            requests.post(f"{root}/sandbox/reset", json={}, timeout=60).raise_for_status()
