"""The Oracle Fusion sandbox pod as the tests see it: its accounts, anchor day and open month, ``Pod`` (the
calls a test makes to a running pod) and ``reset_pod`` (faults, behaviour, identities and periods as
started); the module-scoped ``pod`` fixture is in conftest.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests

from .sandbox_operator import OperatorRoutes

VERSION = "11.13.18.05"
USER = ("ml.integration", "sandbox-fusion")
CLIENT = ("ml-connector-sandbox", "sandbox-fusion-secret")
SCOPE = "urn:opc:resource:consumer::all"
ANCHOR = dt.date(2025, 3, 1)
# The Open accounting period of the tests' pod: the last month of its history, where its invoices are dated.
OPEN_MONTH = "2025-02"
DEFAULT_IDENTITIES = {
    "users": [{"username": "ml.integration", "password": "sandbox-fusion"}],
    "clients": [{"client_id": "ml-connector-sandbox", "client_secret": "sandbox-fusion-secret"}],
}


class Pod(OperatorRoutes):
    """A running sandbox pod and the calls a test makes to it."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.api = f"{base}/fscmRestApi/resources/{VERSION}"
        self.token_url = f"{base}/oauth2/v1/token"

    def get(
        self, path: str, *, version: int | None = None, auth: Any = USER, **params: Any
    ) -> requests.Response:
        headers = {"REST-Framework-Version": str(version)} if version else {}
        url = path if path.startswith("http") else f"{self.api}/{path}"
        return requests.get(url, params=params, auth=auth, headers=headers, timeout=30)

    def ok(self, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.get(path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def all_items(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a collection, paged by the returned count (the documented loop)."""
        items, offset = [], 0
        while True:
            page = self.ok(path, limit=500, offset=offset, **params)
            items += page["items"]
            offset += page["count"]
            if not page["hasMore"] or page["count"] == 0:
                return items

    def token(self, **form: str) -> requests.Response:
        data = {"grant_type": "client_credentials", "scope": SCOPE, **form}
        return requests.post(self.token_url, data=data, auth=CLIENT, timeout=30)

    def bearer(self) -> dict[str, str]:
        response = self.token()
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def set(self, what: str, **changes: Any) -> dict[str, Any]:
        return self.post_admin(what, **changes)


def named(invoice: dict[str, Any]) -> dict[str, Any]:
    """How Payables invoice actions name an invoice (number, business unit, supplier): cancelInvoice's
    parameters, and validateInvoice's with ``validating``."""
    return {name: invoice[name] for name in ("InvoiceNumber", "BusinessUnit", "Supplier")}


def validating(invoice: dict[str, Any]) -> dict[str, Any]:
    """validateInvoice's documented parameters for ``invoice`` (it takes no id)."""
    return {**named(invoice), "ProcessAction": "Validate"}


def reset_pod(pod: Pod) -> None:
    for what in ("faults/reset", "behaviour/reset", "periods/reset"):
        requests.post(f"{pod.admin}/{what}", timeout=30)
    requests.post(f"{pod.admin}/identities", json=DEFAULT_IDENTITIES, timeout=30)
