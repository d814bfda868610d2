"""The JD Edwards and BILL simulators on free loopback ports, with the resources and ledger a JDE <-> BILL
flow test runs on, runs of the integration's assets, and what a test reads back from each side.

One place for what every JDE <-> BILL flow test stands on (both sandboxes, sandbox logins, BILL's retry
backoff shortened so a test measures behaviour rather than pacing, staging and a ledger under the test's
own folder), so a change to how the sandboxes are started or logged into, or to how BILL records and the
ledger's cross-references are counted, is made once. The world itself is ``sandbox_world.pair_world``;
this module declares what is JDE <-> BILL's (``INTEGRATION_WORLD``) and the BILL clerk's hands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import requests
import sqlalchemy as sa
from asset_runs import busy_day, run_named
from built_parts import built
from flow_proofs import ledger_xrefs
from sandbox_hands import JdeHands
from sandbox_logins import LOGINS
from sandbox_world import Integration, PairWorld, pair_world, small_simulators

from connector_assets.jde.assets import jde_assets
from connector_assets.saas.assets import saas_assets
from connector_assets.system_sides import JDE_READ_WHEN_NEEDED
from connector_resources.bill import BillResource
from connector_resources.ledger import Ledger
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.jde_ais import JdeSandboxSettings

# Every asset a JDE <-> BILL test runs; ``named`` picks a run's assets out of it.
ALL_ASSETS = [
    *jde_assets,
    *JDE_READ_WHEN_NEEDED,  # F0116, which the vendors flow reads when addresses are staged
    *saas_assets,
    *built("jde_bill").own_assets(),  # the default instance's: its flows' and its reconciliation's
]
# The bills flow's master data: JDE's accounts, BILL's chart and departments, and the mapping tables.
MASTER = (
    "jde/gl_accounts",
    "bill/chart_of_accounts",
    "bill/departments",
    "jde_bill/account_map",
    "jde_bill/department_map",
    "jde_bill/payment_terms_map",
)
ORDER_SOURCES = ("jde/po_headers", "jde/po_lines", "jde/ap_ledger")  # the bills flow's JDE documents
SUPPLIER_SOURCES = ("jde/suppliers", "jde/address_book")  # the vendors flow's JDE records
# JDE at scale 0.02 and BILL at 0.05, BILL's retry backoff shortened; runs take ``busy_day()``.
INTEGRATION_WORLD = Integration(
    name="jde_bill",
    simulators=small_simulators("jde", "bill"),
    fields={"bill": {"backoff_base": 0.01, "backoff_cap": 0.2}},
    assets=lambda: ALL_ASSETS,
    day=busy_day,
    target="bill",
)


def run_assets(resources: dict[str, Any], names: tuple[str, ...], partition: str | None, **run: Any) -> Any:
    """``asset_runs.run_named`` over every asset of the world (``run``: ``ok``, ``instance``)."""
    return run_named(resources, names, ALL_ASSETS, partition, **run)


def in_bill(bill: BillResource, entity: str, *, live: bool = True) -> dict[str, dict]:
    """Every ``entity`` record BILL holds (``live``: not archived), by id."""
    with bill.session() as session:
        return {str(r["id"]): r for r in session.iter_all(entity) if not (live and r.get("archived"))}


def xrefs(ledger: Ledger, entity: str, target: str = "bill") -> dict[str, str | None]:
    """Source key -> target id (None: claimed, not recorded) of the integration's ``entity`` xrefs."""
    return ledger_xrefs(ledger, "jde_bill", entity, target)


def forget_target(ledger: Ledger, entity: str, source_key: str) -> None:
    """The ledger loses a record's target id, as when a run died between the target's answer and the
    ledger write: the next run must find the record in the target (adopt it), not write it again."""
    with ledger.engine.begin() as conn:
        conn.execute(
            sa.text(
                "update mlc_xref set target_id = null, content_hash = null, state = 'pending' "
                "where integration = 'jde_bill' and entity = :e and source_key = :k"
            ),
            {"e": entity, "k": source_key},
        )


class JdeBillWorld(PairWorld, JdeHands):
    """The JDE and BILL simulators, the resources ``materialize`` takes (``jde``, ``bill``, ``staging``,
    ``ledger``), the ledger, runs of the integration's assets (``day``: the busy day unless a test sets
    it), and what a test reads back from BILL."""

    def in_bill(self, entity: str, *, live: bool = True) -> dict[str, dict]:
        return in_bill(self.resources["bill"], entity, live=live)

    def from_jde(self, source_key: str, bill_id: str) -> None:
        """What the bills flow records when a JDE document became a BILL bill."""
        self.ledger.record_target("jde_bill", "bill", "JDE", source_key, "bill", bill_id, "h")

    def bill_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.bill_root}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    def bill_state(self) -> dict:
        """The BILL simulator's counters: row counts, calls by route, requests in flight, error codes."""
        return requests.get(f"{self.bill_root}/sandbox/state", timeout=10).json()

    def open_vouchers(self) -> list[dict]:
        """JDE vouchers approved and open for more than 5.00 (first pay item): payable ones."""
        with self.resources["jde"].session() as session:
            rows = session.browse("F0411", columns=["KCO", "DOC", "DCT", "SFX", "AAP", "PST"])
            return [
                r
                for r in rows
                if r["DCT"] == "PV" and r["SFX"] == "001" and r["AAP"] > 500 and r["PST"] == "A"
            ]


W = TypeVar("W", bound=JdeBillWorld)


@contextmanager
def jde_bill_world(
    tmp_path: Path,
    kind: type[W] = JdeBillWorld,  # type: ignore[assignment]
    *,
    jde: JdeSandboxSettings | None = None,
    bill: BillSandboxSettings | None = None,
    db: str | None = None,
) -> Iterator[W]:
    """Both simulators served for the block (``INTEGRATION_WORLD``'s settings unless given), a world of
    ``kind`` on them; ``db`` is the ledger (a SQLite file under ``tmp_path`` unless given)."""
    with pair_world(INTEGRATION_WORLD, tmp_path, kind, settings={"jde": jde, "bill": bill}, db=db) as world:
        yield world


class BillClerk:
    """BILL as a payables clerk drives it, on an MFA-trusted session (paying needs one; the connector never
    pays, so its client does not offer it)."""

    def __init__(self, bill_url: str, organization_id: str | None = None) -> None:
        self.base, self.root = bill_url, bill_url.removesuffix("/connect")
        login = LOGINS[BillResource]
        self.org = organization_id or login["organization_id"]
        body = {
            "devKey": login["dev_key"],
            "username": login["username"],
            "password": login["password"],
            "organizationId": self.org,
        }
        session = requests.post(f"{bill_url}/v3/login", json=body, timeout=15).json()["sessionId"]
        self.headers = {"devKey": login["dev_key"], "sessionId": session}
        challenge = self.call("POST", "mfa/challenge", {})
        token = BillSandboxSettings().mfa_code
        self.call("POST", "mfa/challenge/validate", {"challengeId": challenge["challengeId"], "token": token})
        state = requests.get(f"{self.root}/sandbox/state", timeout=15).json()
        self.funding = next(a for a in state["funding_accounts"][self.org] if a["type"] == "BANK_ACCOUNT")[
            "id"
        ]
        self._vendors: dict[str, str] = {}  # billCurrency -> the clerk's vendor billed in it

    def call(self, method: str, path: str, body: dict | None = None, **kwargs: Any) -> Any:
        answer = requests.request(
            method, f"{self.base}/v3/{path}", json=body, headers=self.headers, timeout=30, **kwargs
        )
        assert answer.status_code < 300, answer.text
        return answer.json()

    def sandbox(self, path: str, body: dict | None = None) -> Any:
        answer = requests.post(f"{self.root}/sandbox/{path}", json=body or {}, timeout=60)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def vendor(self, currency: str = "USD") -> str:
        """The clerk's own vendor billed in ``currency`` (no JDE supplier), added on first use."""
        if currency not in self._vendors:
            address = {
                "line1": "1 Test Way",
                "city": "Portland",
                "stateOrProvince": "OR",
                "zipOrPostalCode": "97201",
                "country": "US",
            }
            name = "Payments Flow Test Supply" + ("" if currency == "USD" else f" {currency}")
            body = {"name": name, "accountType": "BUSINESS", "address": address, "billCurrency": currency}
            self._vendors[currency] = self.call("POST", "vendors", body)["id"]
        return self._vendors[currency]

    def paid_bill(self, number: str, amount: str, currency: str = "USD") -> tuple[str, str]:
        """A bill of the clerk's vendor billed in ``currency`` (so the bill and its payment are in it) paid
        in full from the bank account: (bill id, payment id); the payment is SCHEDULED."""
        today = date.today().isoformat()
        bill = self.call(
            "POST",
            "bills",
            {
                "vendorId": self.vendor(currency),
                "dueDate": today,
                "invoice": {"invoiceNumber": number, "invoiceDate": today},
                "billLineItems": [{"amount": float(amount), "description": "Test goods"}],  # a JSON number
            },
        )
        funding = {"type": "BANK_ACCOUNT", "id": self.funding}
        payment = self.call(
            "POST", "payments", {"billId": bill["id"], "amount": float(amount), "fundingAccount": funding}
        )
        return bill["id"], payment["id"]

    def clear_payments(self) -> None:
        """Every scheduled payment clears (the simulator clears a random pick; all, so ours too), and a
        vendor changes: an event type the payments flow does not apply."""
        self.sandbox(
            "activity", {"cleared_payments": 10_000, "updated_vendors": 1, "organization_id": self.org}
        )

    def cancel_scheduled(self) -> None:
        """BILL's own seeded scheduled payments are canceled, so the one that clears next is the test's."""
        scheduled, params = [], {"max": 100}  # ``singleStatus`` is no documented payment filter: read all
        while True:
            page = self.call("GET", "payments", params=params)
            scheduled += [row for row in page["results"] if row.get("singleStatus") == "SCHEDULED"]
            if not page.get("nextPage") or not page["results"]:
                break
            params = {"max": 100, "page": page["nextPage"]}
        for payment in scheduled:
            self.call("POST", f"payments/{payment['id']}/cancel")

    def pay(self, bill: dict, amount: Any) -> str:
        """Pays ``bill`` (its vendor given a mailing address first if it has none: BILL pays by check to
        one), then clears that one payment through the simulator's business activity; the payment id."""
        vendor = self.call("GET", f"vendors/{bill['vendorId']}")
        if not (vendor.get("address") or {}).get("line1"):
            address = {
                "line1": "1 Main St",
                "city": "Denver",
                "stateOrProvince": "CO",
                "zipOrPostalCode": "80202",
                "country": "US",
            }
            self.call("PATCH", f"vendors/{vendor['id']}", {"address": address})
        funding = {"type": "BANK_ACCOUNT", "id": self.funding}
        payment = self.call(
            "POST", "payments", {"billId": bill["id"], "amount": float(amount), "fundingAccount": funding}
        )
        self.sandbox("activity", {"cleared_payments": 1, "organization_id": self.org})
        return payment["id"]


def vendor_identity(vendor: dict) -> tuple[str, str]:
    """A BILL vendor's name (spacing and case aside) and tax ID (letters and digits): JDE may hold two
    suppliers of one name with different tax IDs, so a vendor is both."""
    tax = str((vendor.get("additionalInfo") or {}).get("taxId") or "")
    return " ".join(vendor["name"].split()).casefold(), "".join(ch for ch in tax if ch.isalnum())


def nothing_lost(
    world: JdeBillWorld, entity: str, flow: str, mapped: set[str], target: str = "bill"
) -> dict[str, str]:
    """Every mapped record is in the target (a recorded id) or in the retry queue; the recorded ids."""
    written = {key: target_id for key, target_id in world.xrefs(entity, target).items() if target_id}
    queued = {item.source_key for item in world.ledger.open_items(integration="jde_bill", flow=flow)}
    assert mapped - set(written) - queued == set(), "records neither written nor queued"
    return {key: written[key] for key in mapped if key in written}


@dataclass(frozen=True)
class HeldOnVendors:
    """A day's bills mapped before any vendor synced, every one held on its vendor: their keys, the vendors
    they wait for, and what BILL held before (the seeded vendors and bills, not ours)."""

    bills: set[str]
    vendors: set[str]
    seeded_vendors: set[str]
    seeded_bills: set[str]


def bills_held_on_their_vendors(world: JdeBillWorld, *steps: str) -> HeldOnVendors:
    """Run ``steps`` (the master data, the sources and the bills' mapped step): no vendor has synced, so
    every bill is held on its vendor (at least 40 of them): where a pull of them starts."""
    mapped = world.run(*steps)["jde_bill/bills_mapped"]
    assert mapped["held"] == mapped["records"] >= 40, mapped
    held = world.ledger.open_items(integration="jde_bill", flow="bills", status="held")
    return HeldOnVendors(
        {item.source_key for item in held},
        {str(item.depends_on).rsplit(":", 1)[1] for item in held},
        set(world.in_bill("vendors")),
        set(world.in_bill("bills")),
    )


def one_copy_each(world: JdeBillWorld, held: HeldOnVendors) -> None:
    """Every vendor and bill of ``held`` is in BILL once, recorded in the ledger, nothing lost."""
    written = nothing_lost(world, "vendor", "vendors", held.vendors)
    vendors = {i: v for i, v in world.in_bill("vendors").items() if i not in held.seeded_vendors}
    assert set(written.values()) == set(vendors) and len(vendors) == len(held.vendors)
    assert Counter(map(vendor_identity, vendors.values())).most_common(1)[0][1] == 1
    written = nothing_lost(world, "bill", "bills", held.bills)
    bills = {i: b for i, b in world.in_bill("bills").items() if i not in held.seeded_bills}
    assert set(written.values()) == set(bills) and len(bills) == len(held.bills)
    keys = Counter((b["vendorId"], b["invoice"]["invoiceNumber"]) for b in bills.values())
    assert keys.most_common(1)[0][1] == 1, keys.most_common(3)
