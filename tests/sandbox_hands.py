"""What a test reads from and does in a simulator that several integrations' worlds serve (JD Edwards,
Procurify, Coupa), through its operator routes (``/sandbox/...``) or the world's own client: written once per
system, mixed into each world that serves it (``sandbox_world.PairWorld``'s ``jde_root`` /
``procurify_url``), so a Procurify fix lands once for both Procurify integrations' tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
from sandbox_logins import LOGINS, answered

from connector_resources.procurify import ProcurifyResource

ORCHESTRATION_PATH = "POST /jderest/v3/orchestrator/"  # how the JDE simulator counts an orchestration call


class JdeHands:
    """The JD Edwards simulator: what JDE holds, people's work in E1, faults."""

    jde_root: str
    resources: dict[str, Any]

    def jde_rows(self, table: str, **where: Any) -> list[dict]:
        """Rows the JDE simulator stores (what JDE holds, as stored: Julian dates, scaled amounts), by
        column alias (``DOCO=4711``)."""
        params = {"limit": 1000, **where}
        answer = requests.get(f"{self.jde_root}/sandbox/rows/{table}", params=params, timeout=10)
        return answered(answer, f"JDE rows of {table}")["rows"]

    def jde_payments(self, *references: str) -> list[dict]:
        """Payments JDE recorded (``ML_RecordPayment``), all or those with one of these references."""
        rows = answered(requests.get(f"{self.jde_root}/sandbox/payments", timeout=10), "JDE payments")
        return [p for p in rows["payments"] if not references or p["reference"] in references]

    def jde_activity(self, **counts: int) -> dict[str, Any]:
        """People's work in E1 now (``new_purchase_orders=2``, ``updated_suppliers=1``, ``new_vouchers``
        ...), all stamped with one UPMJ/UPMT; the simulator's report of what it made."""
        answer = requests.post(f"{self.jde_root}/sandbox/activity", json=counts, timeout=60)
        return answered(answer, "JDE activity")

    def process_vouchers(self) -> dict[str, Any]:
        """R04110ZA: the Z-file batches written so far become F0411 vouchers and F0911 lines."""
        answer = requests.post(f"{self.jde_root}/sandbox/process-vouchers", timeout=60)
        return answered(answer, "JDE voucher batch processor")

    def jde_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.jde_root}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    def process_and_purge(self, purge: str) -> None:
        """R04110ZA makes the batches vouchers, and their processed batch rows go: purged by its own "purge
        processed transactions" option (``on_processing``) or by R0411Z1P run after it (``r0411z1p``)."""
        try:
            self.jde_faults(purge_processed_batches=purge == "on_processing")
            self.process_vouchers()
            if purge == "r0411z1p":
                requests.post(f"{self.jde_root}/sandbox/purge-batches", timeout=10).raise_for_status()
        finally:
            self.jde_faults(purge_processed_batches=False)

    def jde_state(self) -> dict:
        """Row counts and calls by route (orchestrations counted on arrival, before any latency)."""
        return answered(requests.get(f"{self.jde_root}/sandbox/state", timeout=10), "JDE state")

    def orchestration_calls(self, name: str = "") -> int:
        """Calls of orchestration ``name`` (all orchestrations when not given) the JDE simulator received
        so far, counted on arrival: a double POST shows here even when JDE's batch keys refused it."""
        prefix = f"{ORCHESTRATION_PATH}{name}"
        calls = self.jde_state()["calls"]
        return sum(n for call, n in calls.items() if (call == prefix if name else call.startswith(prefix)))

    def no_jde_faults(self) -> None:
        """The JDE simulator's faults back to none (latency, failures)."""
        requests.post(f"{self.jde_root}/sandbox/faults/reset", timeout=10).raise_for_status()


class ProcurifyHands:
    """The Procurify simulator: stored records, the API's view, people's work (buyer, receiver, AP clerk),
    faults and variants."""

    procurify_url: str
    resources: dict[str, Any]

    def procurify_record(self, kind: str, key: int | str) -> dict | None:
        """One stored Procurify record (``vendors``, ``account_codes``, ``departments``, ``orders`` (num or
        uuid), ``order_items``, ``purchase_orders`` (number or uuid), ``bills`` / ``payments`` (id or
        uuid) ...): ``{"row": as stored (hundredths, UTC text), "api": as the API renders it}``; None when
        the simulator has no such record."""
        answer = requests.get(f"{self.procurify_url}/sandbox/records/{kind}/{key}", timeout=10)
        if answer.status_code == 404:
            return None
        return answered(answer, f"Procurify {kind} {key}")

    def in_procurify(self, entity: str, **filters: Any) -> dict[str, dict]:
        """Every ``entity`` record Procurify holds, read through the API (``vendors``,
        ``account_codes``, ``requisitions``, ``purchase_orders``, ``bills``, ...), by its key (``id``,
        else ``uuid``)."""
        with self.resources["procurify"].session() as session:
            rows = list(session.iter_all(entity, filters=filters or None))
        return {str(r.get("id") if r.get("id") is not None else r.get("uuid")): r for r in rows}

    def activity(self, **counts: int) -> dict[str, Any]:
        """People's work in Procurify now (``new_vendors=2``, ``new_requisitions``, ``updated_bills=3``,
        ``new_payments=1`` ...), all stamped with one "now": ``{"now", <kind>: {"created", "updated"}}``."""
        answer = requests.post(f"{self.procurify_url}/sandbox/activity", json=counts, timeout=60)
        return answered(answer, "Procurify activity")

    def _operator(self, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = requests.post(f"{self.procurify_url}/sandbox/{path}", json=body or {}, timeout=60)
        return answered(answer, f"Procurify {path}")

    def purchase(self, requisition_uuid: str, po_num: str | None = None) -> Any:
        """The approver and buyer: approve (if pending) and purchase a requisition, one PO per vendor;
        the simulator's answer names the PO numbers and UUIDs."""
        return self._operator(
            f"requisitions/{requisition_uuid}/purchase", {"PO_Num": po_num} if po_num else {}
        )

    def receive(self, po_number: int, fraction: float = 1.0) -> Any:
        """The receiver: receive ``fraction`` of every line of a PO."""
        return self._operator(f"purchase-orders/{po_number}/receive", {"fraction": fraction})

    def enter_bill(self, po_number: int, status: int = 1) -> Any:
        """The AP clerk enters a bill for a PO's received, unbilled lines (``status`` 2: approved)."""
        return self._operator(f"purchase-orders/{po_number}/bill", {"status": status})

    def switch_account_code(self, code_id: int | str, active: bool) -> Any:
        """A Procurify admin switches an account code on or off (the API cannot)."""
        return self._operator(f"account-codes/{int(code_id)}/active", {"active": active})

    def bill_status(self, bill_uuid: str, status: int) -> Any:
        """The AP clerk moves a bill (2 approved, 4 paid, ...)."""
        return self._operator(f"bills/{bill_uuid}/status", {"status": status})

    def procurify_user_token(self) -> str:
        """An access token for the Procurify API got with the sandbox client, for the calls a person makes
        in Procurify by hand (close a PO, change its PO_Num) rather than through the connector's client."""
        body = {**LOGINS[ProcurifyResource], "audience": "https://api.procurify.com/"}
        answer = requests.post(
            f"{self.procurify_url}/oauth/token", json={**body, "grant_type": "client_credentials"}, timeout=10
        )
        return answered(answer, "Procurify token")["access_token"]

    def procurify_faults(self, **knobs: Any) -> None:
        requests.post(f"{self.procurify_url}/sandbox/faults", json=knobs, timeout=10).raise_for_status()

    def no_procurify_faults(self) -> None:
        requests.post(f"{self.procurify_url}/sandbox/faults/reset", timeout=10).raise_for_status()

    def procurify_variants(self, **variants: Any) -> None:
        """Switch the simulator to another plausible Procurify behaviour (``vendor_external_id_unique``,
        ``mark_as_paid``, ``default_list_order``, ``po_put`` ...)."""
        requests.post(f"{self.procurify_url}/sandbox/variants", json=variants, timeout=10).raise_for_status()

    def procurify_state(self) -> dict:
        """Row counts, calls by endpoint, answers by status, tokens minted, clock."""
        return answered(requests.get(f"{self.procurify_url}/sandbox/state", timeout=10), "Procurify state")


def set_coupa_clock(coupa_url: str, moment: datetime) -> None:
    """Coupa's clock at ``moment`` (``/sandbox/clock``): what is written in Coupa from now on is stamped
    then, as if the day's flows ran on that day."""
    now = requests.get(f"{coupa_url}/sandbox/clock", timeout=10).json()
    behind = (moment - datetime.now(UTC)).total_seconds() - now["offset_seconds"]
    answer = requests.post(f"{coupa_url}/sandbox/clock", json={"advance_seconds": behind}, timeout=10)
    answer.raise_for_status()
