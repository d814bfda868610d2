"""``counted_procurify``: a small Procurify simulator on a free port, with a client on it and the
simulator's own call counter (``Counted.calls``), for the tests that count what a flow's reads and searches
cost; ``procurify_fixture`` (their module fixture ``procurify``) serves it, imported by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from sandbox.serving import served
from sandbox_admin import SandboxAdmin

from connector_resources.procurify import ProcurifyResource, forget_shared_tokens
from connector_sandbox.procurify import ProcurifySandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread

PAGE = 10  # the client's page size: small, so a list read is several pages


class Counted(SandboxAdmin):
    def calls(self) -> Counter[str]:
        """Calls by endpoint template so far, token requests apart."""
        return Counter({k: v for k, v in self.state()["calls"].items() if "/oauth/" not in k})


def counted_procurify() -> Iterator[tuple[ProcurifyResource, Counted]]:
    """Yield a client and the counter of a simulator seeded at scale 0.05 on a fixed day; stop it after."""
    settings = ProcurifySandboxSettings(scale=0.05, anchor_date=date(2025, 3, 1))
    url, stop = serve_in_thread(create_app(settings))
    forget_shared_tokens()
    resource = ProcurifyResource(
        base_url=url,
        client_id="ml-connector-sandbox",
        client_secret="sandbox-procurify-secret",
        page_size=PAGE,
        rate_per_second=0,
    )
    try:
        yield from served((resource, stop), lambda resource: (resource, Counted(url)))
    finally:
        forget_shared_tokens()


@pytest.fixture(scope="module", name="procurify")
def procurify_fixture() -> Iterator[tuple[ProcurifyResource, Counted]]:
    """The module's counted simulator and its client."""
    yield from counted_procurify()
