"""``POST /sandbox/suppliers/erp-numbers``: the seeded suppliers' ERP numbers pointed at real JDE suppliers.

The Coupa and JDE sandboxes are seeded apart (Coupa numbers its suppliers from 10000, JDE from about 1001),
so on a fresh ``make dev`` every invoice the Coupa activity approved named a supplier JDE lacks and was
refused at JDE ("Supplier Not Found ... F0401"). The route re-points the numbered suppliers in id order, as
if they had been numbered from the ERP: no ``updated-at`` restamped, drafts without a number left alone, a
second call changing nothing; the activity's new suppliers take a number from the same list. The last test
runs ``make dev``'s Coupa -> JDE step against both sandboxes, then the activity: every invoice it makes
names an F0401 supplier.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_assets.integrations.coupa_jde.sandbox import number_coupa_suppliers_from_jde
from connector_assets.jde.sandbox_suppliers import jde_supplier_numbers
from connector_sandbox import coupa

from .serving import served

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def coupa_root() -> Iterator[str]:
    """Reset to its seed after every test that used it (the sandbox conftest's ``_reseeded``)."""
    yield from served(coupa.run_in_thread(coupa.CoupaSandboxSettings(scale=0.05)))


def suppliers(root: str) -> dict[int, dict[str, Any]]:
    response = requests.get(f"{root}/sandbox/records/suppliers", timeout=30)
    response.raise_for_status()
    return {doc["id"]: doc for doc in response.json()["records"]}


def numbered(root: str, numbers: list[int]) -> dict[str, Any]:
    response = requests.post(f"{root}/sandbox/suppliers/erp-numbers", json={"numbers": numbers}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_numbered_suppliers_take_the_given_numbers_in_id_order_once(coupa_root: str) -> None:
    before = suppliers(coupa_root)
    with_number = sorted(i for i, doc in before.items() if doc["number"])
    numbers = list(range(2001, 2001 + len(with_number) + 5))
    done = numbered(coupa_root, numbers)
    assert done["repointed"] == len(with_number) and done["left_unmatched"] == 0
    after = suppliers(coupa_root)
    assert [after[i]["number"] for i in with_number] == [str(n) for n in numbers[: len(with_number)]]
    for supplier_id, doc in after.items():
        assert doc["updated-at"] == before[supplier_id]["updated-at"]  # how the data is, not a change
        if supplier_id in with_number:
            assert doc["custom-fields"]["jde-address-number"] == doc["number"]
        else:
            assert doc["number"] is None  # a draft nobody numbered stays unnumbered
    again = numbered(coupa_root, numbers)
    assert again["repointed"] == 0 and again["already_numbered"] == len(with_number)


def test_too_few_numbers_leave_the_rest_and_bad_bodies_are_refused(coupa_root: str) -> None:
    done = numbered(coupa_root, [2001, 2002])
    assert done["repointed"] == 2 and done["left_unmatched"] > 0
    for body in ({"numbers": [1, 1]}, {"numbers": ["1001"]}, {"numbers": [1], "format": "x"}, {}):
        response = requests.post(f"{coupa_root}/sandbox/suppliers/erp-numbers", json=body, timeout=30)
        assert response.status_code == 400, body


def test_after_make_devs_step_the_activity_invoices_and_adds_only_jde_suppliers(
    coupa_root: str, jde_root: str
) -> None:
    done = number_coupa_suppliers_from_jde(coupa_root, jde_root)
    assert done["left_unmatched"] == 0
    jde = {str(n) for n in jde_supplier_numbers(jde_root)}
    response = requests.post(
        f"{coupa_root}/sandbox/activity", json={"new_invoices": 6, "new_suppliers": 2}, timeout=60
    )
    response.raise_for_status()
    made = response.json()["created"]
    everyone = suppliers(coupa_root)
    for supplier_id in made["suppliers"]:
        number = everyone[supplier_id]["number"]
        assert number is None or number in jde, number
    for invoice_id in made["invoices"]:
        invoice = requests.get(f"{coupa_root}/sandbox/records/invoices/{invoice_id}", timeout=30).json()
        assert everyone[invoice["supplier"]["id"]]["number"] in jde
