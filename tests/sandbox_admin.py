"""``SandboxAdmin``: a simulator's operator routes (``{url}/sandbox/...``) for the client tests that run
one on a free port; each test module extends it with the routes it reads or tunes.
"""

from dataclasses import dataclass

import requests


@dataclass
class SandboxAdmin:
    url: str  # the simulator's root, without its API path

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{self.url}/sandbox/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def state(self) -> dict:
        return self.admin("GET", "state").json()
