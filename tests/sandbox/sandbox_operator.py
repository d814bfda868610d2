"""The operator routes (``{base}/sandbox/...``) every simulator serves, as the sandbox tests call them."""

from __future__ import annotations

from typing import Any

import requests


class OperatorRoutes:
    """``state``, one stored record, and a POST to an operator route, on the simulator at ``base``."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.admin = f"{base}/sandbox"

    def post_admin(self, path: str, **body: Any) -> dict[str, Any]:
        response = requests.post(f"{self.admin}/{path}", json=body, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return requests.get(f"{self.admin}/state", timeout=30).json()

    def record(self, kind: str, key: Any) -> dict[str, Any]:
        response = requests.get(f"{self.admin}/records/{kind}/{key}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()
