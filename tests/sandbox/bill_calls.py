"""Calls to a running BILL sandbox as a logged-in client makes them: one request, its answer asserted, and
every row of a paged list (``nextPage`` followed until absent)."""

from __future__ import annotations

from typing import Any

import requests

from connector_sandbox.bill.testing import SandboxHandle


def call(bill: SandboxHandle, session: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{bill.base}{path}", headers=bill.headers(session), timeout=30, **kwargs)


def ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def walk(bill: SandboxHandle, session: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a list, following nextPage until it is absent."""
    rows: list[dict[str, Any]] = []
    params = {"max": 100, **params}
    while True:
        page = ok(call(bill, session, "GET", path, params=params))
        rows.extend(page["results"])
        if "nextPage" not in page:
            return rows
        params = {**params, "page": page["nextPage"]}
