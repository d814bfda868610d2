"""The JD Edwards and Coupa simulators as Coupa -> JD Edwards meets them, with the hands its tests need.

The pair world (``sandbox_world.pair_world``) set up the way ``make dev`` sets up Coupa -> JDE
(``coupa_jde.sandbox``): the sandbox account map named, the Coupa suppliers' numbers pointed at suppliers
the JDE sandbox has; Coupa's call-outs go to the real webhook receiver on loopback, which stores them in the
world's ledger inbox, and are sent when a test says (``deliver``), never on their own. Coupa is driven as a
user drives it (``CoupaApi``): accounts, invoices created and approved. The seeded history is anchored today,
so the busy day (``asset_runs.busy_day``) holds Coupa's mass update.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sandbox_logins import client_credentials_token
from sandbox_world import Integration, PairWorld, pair_world, small_simulators

from connector_assets.integrations.coupa_jde.sandbox import SANDBOX_DEFAULTS, number_coupa_suppliers_from_jde
from connector_resources.coupa import CoupaResource
from connector_resources.webhooks import coupa_source, create_receiver
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.serve import serve_in_thread

# The Coupa sandbox's call-out credentials: it sends call-outs by HTTP Basic, as Coupa documents.
CALLOUT_USER, CALLOUT_PASSWORD = "ml-connector-callouts", "sandbox-coupa-callout"
CALLOUT_AUTH = {"scheme": "basic", "basic_username": CALLOUT_USER, "basic_password": CALLOUT_PASSWORD}
INBOXES = {"invoices": "coupa_invoices", "payments": "coupa_payments"}  # Coupa resource -> inbox source

INTEGRATION_WORLD = Integration(
    name="coupa_jde",
    simulators=small_simulators("jde", "coupa"),
    fields={"coupa": {"token_warmup_seconds": 0, "backoff_base": 0.01}},
    day=lambda: None,
    target="JDE",
)


class CoupaApi:
    """Coupa as a user of the test drives it: accounts, invoices created and approved."""

    def __init__(self, base: str) -> None:
        self.base = base
        token = client_credentials_token(f"{base}/oauth2/token", CoupaResource)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        response = requests.request(
            method, f"{self.base}/api/{path}", json=body, headers=self.headers, timeout=10
        )
        assert response.status_code < 300, response.text
        return response.json()

    def account(self, bu: str, obj: str) -> int:
        body = {"account-type": {"name": "US Chart of Accounts"}, "segment-1": bu, "segment-2": obj}
        return self.call("POST", "accounts", body)["id"]

    def _order_lines(
        self, supplier: int, po_number: str, lines: list[tuple[int, str]], currency: str
    ) -> list[int]:
        """An external purchase order ``po_number`` of ``supplier`` with one line per invoice line: the
        ids of its lines."""
        order = self.call(
            "POST",
            "purchase_orders",
            {
                "po-number": po_number,
                "type": "ExternalOrderHeader",
                "supplier": {"id": supplier},
                "currency": {"code": currency},
                "order-lines": [
                    {
                        "line-num": n,
                        "description": f"Materials {n}",
                        "price": price,
                        "quantity": "1",
                        "account": {"id": account},
                    }
                    for n, (account, price) in enumerate(lines, start=1)
                ],
            },
        )
        return [line["id"] for line in order["order-lines"]]

    def invoice(
        self,
        supplier: int,
        number: str,
        lines: list[tuple[int, str]],
        tax: str = "0",
        *,
        currency: str = "USD",
        po_number: str | None = None,
    ) -> dict:
        """A draft invoice, submitted and approved: three versions, the last one approved. In ``currency``
        (amounts in its decimals: whole yen for JPY); ``po_number``: the purchase order every line bills."""
        # A line bills an order through its order line: Coupa fills the line's po-number itself (output
        # only in the R39 InvoiceLine), so the order is made in Coupa first, as JDE -> Coupa would have.
        order_lines = self._order_lines(supplier, po_number, lines, currency) if po_number else None
        draft = self.call(
            "POST",
            "invoices",
            {
                "invoice-number": number,
                "supplier": {"id": supplier},
                "invoice-date": (date.today() - timedelta(days=2)).isoformat(),
                "currency": {"code": currency},
                "tax-amount": tax,
                "invoice-lines": [
                    {
                        "description": f"Materials {n}",
                        "price": price,
                        "quantity": "1",
                        "account": {"id": account},
                        **({"order-line-id": order_lines[n - 1]} if order_lines else {}),
                    }
                    for n, (account, price) in enumerate(lines, start=1)
                ],
            },
        )
        self.call("PUT", f"invoices/{draft['id']}/submit")
        return self.call("PUT", f"invoices/{draft['id']}/bypass_approvals")


def changed_day(record: dict) -> str:
    """The UTC day (partition) a Coupa record changed on."""
    return datetime.fromisoformat(record["updated-at"]).astimezone(UTC).date().isoformat()


def deliver_callouts(coupa_url: str, resource: str, ids: list[int]) -> list[dict]:
    """Coupa sends the call-outs of these records now (as they are now); waits for the receiver."""
    answer = requests.post(
        f"{coupa_url}/sandbox/callouts/deliver",
        json={"resource": resource, "ids": ids, "wait_seconds": 10},
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    return answer.json().get("deliveries", [])


class CoupaJdeWorld(PairWorld):
    """The pair world, the webhook receiver (``hooks_url``) and Coupa's user (``coupa``)."""

    hooks_url: str
    coupa: CoupaApi

    def deliver(self, resource: str, ids: list[int]) -> list[dict]:
        return deliver_callouts(self.coupa_url, resource, ids)

    def supplier(self) -> int:
        """A Coupa supplier whose number is a JDE supplier's address number (``make dev``'s numbering)."""
        found = self.coupa.call("GET", "suppliers?status=active&limit=50")
        return next(s["id"] for s in found if str(s.get("number") or "").isdigit())


@contextmanager
def coupa_jde_world(tmp_path: Path, *, coupa_anchor: date | None = None) -> Iterator[CoupaJdeWorld]:
    """Both simulators at scale 0.02 with Coupa's rate limit off, set up as ``make dev`` sets up Coupa ->
    JDE, and the webhook receiver on loopback subscribed to invoice and payment call-outs; ``coupa_anchor``
    the day Coupa's seeded history ends (today unless given)."""
    anchored = {"anchor_date": coupa_anchor} if coupa_anchor is not None else {}
    settings = {"coupa": CoupaSandboxSettings(scale=0.02, **anchored)}
    with pair_world(INTEGRATION_WORLD, tmp_path, CoupaJdeWorld, settings=settings) as world:
        faults = f"{world.coupa_url}/sandbox"
        requests.post(f"{faults}/faults", json={"rate_limit_enabled": False}, timeout=10).raise_for_status()
        requests.post(
            f"{faults}/settings", json={"callouts": {"auto_deliver": False}}, timeout=10
        ).raise_for_status()
        os.environ.update(SANDBOX_DEFAULTS)  # restored when the world ends (``pair_world``)
        number_coupa_suppliers_from_jde(world.coupa_url, world.jde_root)
        sources = {
            inbox: coupa_source(inbox, resource, **CALLOUT_AUTH) for resource, inbox in INBOXES.items()
        }
        world.hooks_url, stop_hooks = serve_in_thread(create_receiver(sources, world.ledger))
        try:
            for resource, inbox in INBOXES.items():
                requests.post(
                    f"{world.coupa_url}/sandbox/callouts",
                    json={"url": f"{world.hooks_url}/webhooks/{inbox}", "resource": resource},
                    timeout=10,
                ).raise_for_status()
            world.coupa = CoupaApi(world.coupa_url)
            yield world
        finally:
            stop_hooks()
