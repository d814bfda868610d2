"""The Oracle Fusion sandbox pod's buyers: ``POST .../purchaseOrders/{key}/action/cancel`` cancels an open
order (the action Oracle documents beside ``close``), and the operator route
``POST /sandbox/purchase_orders/{POHeaderId}/change`` plays a buyer's approved change order (new quantity or
price on a line; amount, schedule, distribution and the order's total follow, stamped now). Both are
checked through what a client reads (``purchaseOrders`` with its lines expanded)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from .fusion_pod import Pod
from .test_fusion_pod_writes import ACTION, post
from .test_fusion_sandbox import self_href

pytestmark = pytest.mark.timeout(120)

FUSION_SETTINGS = {"seed": 13}


def open_orders(pod: Pod, count: int) -> list[dict[str, Any]]:
    query = {"q": "StatusCode=OPEN;CurrencyCode=USD", "expand": "lines.schedules.distributions"}
    return pod.ok("purchaseOrders", limit=count, **query)["items"]


def read(pod: Pod, header_id: int) -> dict[str, Any]:
    query = {"q": f"POHeaderId={header_id}", "expand": "lines.schedules.distributions"}
    [order] = pod.ok("purchaseOrders", **query)["items"]
    return order


def change(pod: Pod, header_id: Any, body: Any) -> requests.Response:
    return requests.post(f"{pod.admin}/purchase_orders/{header_id}/change", json=body, timeout=30)


def test_cancel_cancels_an_open_order_once(pod: Pod) -> None:
    order = open_orders(pod, 1)[0]
    done = post(pod, f"{self_href(order)}/action/cancel", {}, headers=ACTION)
    assert done.status_code == 200 and done.json() == {"result": "SUCCESS"}
    after = read(pod, order["POHeaderId"])
    assert (after["StatusCode"], after["Status"]) == ("CANCELED", "Canceled")
    assert after["LastUpdateDate"] > order["LastUpdateDate"]
    again = post(pod, f"{self_href(order)}/action/cancel", {}, headers=ACTION)
    assert again.status_code == 400 and "cannot be canceled" in again.text


def test_a_change_order_changes_a_line_and_the_total_and_is_stamped(pod: Pod) -> None:
    order = next(o for o in open_orders(pod, 5) if o["StatusCode"] == "OPEN" and len(o["lines"]) >= 1)
    line = order["lines"][0]
    calls_before = pod.state()["calls"]

    answer = change(
        pod, order["POHeaderId"], {"lines": [{"LineNumber": line["LineNumber"], "Price": "12.5"}]}
    )

    assert answer.status_code == 200, answer.text
    assert pod.state()["calls"] == calls_before  # an operator route: not counted
    after = read(pod, order["POHeaderId"])
    changed = next(x for x in after["lines"] if x["LineNumber"] == line["LineNumber"])
    amount = round(line["Quantity"] * 12.5, 2)
    assert (changed["Price"], changed["Quantity"], changed["Amount"]) == (12.5, line["Quantity"], amount)
    others = sum(x["Amount"] for x in after["lines"] if x["LineNumber"] != line["LineNumber"])
    assert after["Ordered"] == round(others + amount, 2)
    assert (
        after["LastUpdateDate"] > order["LastUpdateDate"]
        and changed["LastUpdateDate"] == after["LastUpdateDate"]
    )
    assert answer.json()["lines"] == [
        {
            "LineNumber": line["LineNumber"],
            "Quantity": f"{line['Quantity']:g}",
            "Price": "12.5",
            "Amount": f"{amount:.2f}",
        }
    ]

    quantity = change(
        pod, order["POHeaderId"], {"lines": [{"LineNumber": line["LineNumber"], "Quantity": "3"}]}
    )
    assert quantity.status_code == 200, quantity.text
    again = next(x for x in read(pod, order["POHeaderId"])["lines"] if x["LineNumber"] == line["LineNumber"])
    assert (again["Quantity"], again["Price"], again["Amount"]) == (3, 12.5, 37.5)
    assert again["schedules"][0]["Quantity"] == 3
    assert again["schedules"][0]["distributions"][0]["Quantity"] == 3


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"lines": []}, 400, "lines must be"),
        ({"lines": [{"LineNumber": 1}]}, 400, "give Quantity or Price"),
        ({"lines": [{"LineNumber": 1, "Price": "-1"}]}, 400, "above 0"),
        ({"lines": [{"LineNumber": 1, "Price": "1.00001"}]}, 400, "at most 4 places"),
        ({"lines": [{"LineNumber": 999, "Price": "1"}]}, 404, "has no line 999"),
        ({"lines": [{"LineNumber": 1, "Amount": "1"}]}, 400, "takes LineNumber"),
    ],
    ids=["no lines", "nothing to change", "negative", "too precise", "unknown line", "unknown field"],
)
def test_a_change_order_refuses_a_bad_body(pod: Pod, body: Any, status: int, words: str) -> None:
    order = open_orders(pod, 1)[0]
    answer = change(pod, order["POHeaderId"], body)
    assert answer.status_code == status and words in answer.text, answer.text


def test_no_change_order_on_an_unknown_or_canceled_order(pod: Pod) -> None:
    assert change(pod, 1, {"lines": [{"LineNumber": 1, "Price": "1"}]}).status_code == 404
    order = open_orders(pod, 1)[0]
    assert post(pod, f"{self_href(order)}/action/cancel", {}, headers=ACTION).status_code == 200
    refused = change(pod, order["POHeaderId"], {"lines": [{"LineNumber": 1, "Price": "1"}]})
    assert refused.status_code == 409 and "Canceled" in refused.text
