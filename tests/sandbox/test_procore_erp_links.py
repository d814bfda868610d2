"""``POST /sandbox/vendors/erp-links``: the seeded vendors' JDE links re-pointed to real supplier numbers.

The Procore and JDE sandboxes are seeded apart, so the seed's links (``JDE-V-10000``, ``JDE-V-10003``...)
name suppliers the JDE sandbox lacks. The route re-points them in vendor id order, as if an earlier
sync had written them: no ``updated_at`` restamped, no webhook event, the over-long link and the links
another integration owns left alone, and a second call with the same numbers changes nothing. The last
test runs ``ml-connector dev``'s link step against both sandboxes and checks every link names an F0401
supplier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from connector_assets.integrations.procore_jde.sandbox import link_procore_vendors_to_jde
from connector_assets.jde.sandbox_suppliers import jde_supplier_numbers
from connector_sandbox import procore
from connector_sandbox.procore.state import SandboxState
from connector_sandbox.procore.vocabulary import FOREIGN_INTEGRATION

from .serving import served

pytestmark = pytest.mark.timeout(120)

LINK = re.compile(r"JDE-V-([0-9]+)")


@pytest.fixture(scope="module")
def procore_root() -> Iterator[str]:
    """Reset to its seed after every test that used it (the sandbox conftest's ``_reseeded``)."""
    yield from served(procore.run_in_thread(procore.ProcoreSandboxSettings(scale=0.05)))


def vendors(root: str) -> list[dict[str, Any]]:
    response = requests.get(f"{root}/sandbox/records/vendors", params={"limit": 1000}, timeout=30)
    response.raise_for_status()
    return response.json()["rows"]


def events(root: str) -> int:
    return len(requests.get(f"{root}/sandbox/webhooks/log", timeout=30).json()["events"])


def link(root: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{root}/sandbox/vendors/erp-links", json=body, timeout=30)


def ours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The vendors with a short ``JDE-V-<n>`` link, ours or another integration's, in id order (what the
    route re-points)."""
    return [r for r in rows if r["origin_id"] and LINK.fullmatch(r["origin_id"])]


def test_repoints_in_id_order_foreign_links_too_leaving_the_long_link_and_stamps(procore_root: str) -> None:
    """A link another integration owns is re-pointed as well (its owner kept): it named a supplier JDE lacks,
    and a fresh ``make dev`` queued its vendor as soon as the activity touched it."""
    before = vendors(procore_root)
    linked = ours(before)
    foreign = [r for r in linked if r["origin_owner"] == FOREIGN_INTEGRATION]
    long_links = [r for r in before if r["origin_id"] and len(r["origin_id"]) > 40]
    assert linked and foreign and long_links  # the seed has all three kinds at this scale
    events_before = events(procore_root)
    numbers = list(range(1101, 1101 + len(linked) + 5))

    answer = link(procore_root, {"numbers": numbers})

    assert answer.status_code == 200, answer.text
    assert answer.json()["repointed"] == len(linked)
    assert answer.json()["other_integration"] == len(foreign)
    after = {r["id"]: r for r in vendors(procore_root)}
    for vendor, number in zip(linked, numbers, strict=False):
        assert after[vendor["id"]]["origin_id"] == f"JDE-V-{number}"
        assert after[vendor["id"]]["origin_code"] == str(number)
        assert after[vendor["id"]]["origin_owner"] == vendor["origin_owner"]
    for vendor in long_links:
        assert after[vendor["id"]]["origin_id"] == vendor["origin_id"]
        assert after[vendor["id"]]["origin_code"] == vendor["origin_code"]
    assert {r["id"]: r["updated_at"] for r in before} == {i: r["updated_at"] for i, r in after.items()}
    assert events(procore_root) == events_before


def test_same_numbers_again_change_nothing(procore_root: str) -> None:
    numbers = list(range(2001, 2001 + len(ours(vendors(procore_root)))))
    first = link(procore_root, {"numbers": numbers}).json()
    linked = vendors(procore_root)

    second = link(procore_root, {"numbers": numbers}).json()

    assert second["repointed"] == 0
    assert second["already_linked"] == first["repointed"] > 0
    assert vendors(procore_root) == linked


def test_links_already_naming_a_number_are_kept_and_the_rest_take_unused_ones(procore_root: str) -> None:
    linked = ours(vendors(procore_root))
    kept = int(LINK.fullmatch(linked[1]["origin_id"]).group(1))  # type: ignore[union-attr]
    numbers = [500, kept, 501]

    answer = link(procore_root, {"origin_ids": [f"JDE-V-{n}" for n in numbers]}).json()

    assert (answer["repointed"], answer["already_linked"]) == (2, 1)
    assert answer["left_unmatched"] == len(linked) - 3
    after = {r["id"]: r["origin_id"] for r in vendors(procore_root)}
    assert [after[v["id"]] for v in linked[:3]] == ["JDE-V-500", f"JDE-V-{kept}", "JDE-V-501"]
    assert after[linked[3]["id"]] == linked[3]["origin_id"]  # numbers ran out: left as it was


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"numbers": [1], "origin_ids": ["JDE-V-1"]},
        {"numbers": ["1001"]},
        {"numbers": [1001, 1001]},
        {"numbers": [1001], "format": "JDE-V-{an8}"},
        {"origin_ids": ["V-1001"]},
        {"numbers": [1001], "company_id": 1},
    ],
)
def test_a_body_that_says_no_numbers_plainly_is_refused(procore_root: str, body: dict[str, Any]) -> None:
    before = vendors(procore_root)
    assert link(procore_root, body).status_code == 400
    assert vendors(procore_root) == before


def test_startup_setting_starts_the_server_linked() -> None:
    state = SandboxState(procore.ProcoreSandboxSettings(scale=0.05, erp_link_numbers=(7001, 7002, 7003)))
    try:
        links = [r["origin_id"] for r in ours(state.store.all("SELECT * FROM vendors ORDER BY id"))]
    finally:
        state.close()
    assert links[:3] == ["JDE-V-7001", "JDE-V-7002", "JDE-V-7003"]
    assert not any(int(LINK.fullmatch(x).group(1)) < 10_000 for x in links[3:])  # type: ignore[union-attr]


def test_dev_link_step_points_every_seeded_link_at_a_jde_supplier(procore_root: str, jde_root: str) -> None:
    suppliers = set(jde_supplier_numbers(jde_root))
    assert not {int(LINK.fullmatch(r["origin_id"]).group(1)) for r in ours(vendors(procore_root))} & suppliers

    done = link_procore_vendors_to_jde(procore_root, jde_root)

    named = {int(LINK.fullmatch(r["origin_id"]).group(1)) for r in ours(vendors(procore_root))}
    assert done["repointed"] == len(named) > 0
    assert named <= suppliers
    assert link_procore_vendors_to_jde(procore_root, jde_root)["repointed"] == 0


def _running(key: str, root: str) -> SimpleNamespace:
    """What ``registry.start`` answers for one simulator, as far as the link step reads it."""
    return SimpleNamespace(spec=SimpleNamespace(key=key, root=lambda: root))


def test_dev_links_only_when_both_are_the_embedded_sandboxes(
    procore_root: str, jde_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector_assets.integrations.procore_jde.sandbox import _procore_sandbox_links

    seeded = vendors(procore_root)
    both = [_running("procore", procore_root), _running("jde_ais", jde_root)]
    monkeypatch.setenv("ML_JDE_ENVIRONMENT", "JPD920")  # a real JDE is configured
    _procore_sandbox_links(both)
    _procore_sandbox_links(both[:1])  # or only Procore runs
    assert vendors(procore_root) == seeded

    monkeypatch.delenv("ML_JDE_ENVIRONMENT")
    _procore_sandbox_links(both)
    assert vendors(procore_root) != seeded
