"""The Fusion pod ``make dev`` serves (``planted_faults`` off, ``connector_sandbox.registry``): it knows CAD,
as the ISO currencies are defined on a real pod, so Procurify's Canadian location's orders are taken, and
its longest supplier names are cut to what a Procurify vendor name holds (150). The tests' pod (the
default) keeps both faults: no CAD (``pod_currencies``; the Fusion <-> Procurify proofs see the refusal) and
names of 360 characters.
"""

from __future__ import annotations

import pytest

from connector_sandbox.fusion import FusionSandboxSettings
from connector_sandbox.fusion.vocabulary import MAX_LENGTH_SUPPLIERS, pod_currencies

from .fusion_pod import Pod
from .test_fusion_pod_writes import _draft, post

pytestmark = pytest.mark.timeout(120)

FUSION_SETTINGS = {"seed": 7, "planted_faults": False}  # the `pod` fixture's (tests/sandbox/conftest.py)


def test_the_tests_pod_plants_both_faults_and_make_devs_does_not() -> None:
    assert FusionSandboxSettings().planted_faults
    assert "CAD" not in pod_currencies(True) and pod_currencies(False)["CAD"] == "Canadian Dollar"
    assert {len(name) for name, _country in MAX_LENGTH_SUPPLIERS} == {360}


def test_make_devs_pod_takes_an_order_in_cad(pod: Pod) -> None:
    [order] = pod.ok("purchaseOrders", q="StatusCode=OPEN;CurrencyCode=USD", limit=1)["items"]
    response = post(pod, "draftPurchaseOrders", {**_draft(order), "CurrencyCode": "CAD"})
    assert response.status_code == 201, response.text
    assert (response.json()["CurrencyCode"], response.json()["Currency"]) == ("CAD", "Canadian Dollar")


def test_make_devs_pod_names_no_supplier_longer_than_a_procurify_vendor_holds(pod: Pod) -> None:
    names = [row["Supplier"] for row in pod.all_items("suppliers")]
    assert max(map(len, names)) == 150  # the longest, cut to Procurify's limit
