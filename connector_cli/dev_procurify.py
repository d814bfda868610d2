"""``make dev`` for JD Edwards <-> Procurify: what the two embedded simulators need so a newcomer sees
records flow both ways without touching anything (never done against a configured, real system).

* ``link_procurify_vendors_to_jde``: the Procurify sandbox seeds its vendors with ERP keys of its own
  (``JDE-V-<n>``), naming no supplier of the JDE sandbox (seeded apart). They are re-pointed, once at
  start, to the JDE sandbox's supplier numbers (``external_id`` = the address number, as the suppliers flow
  writes it), so their bills and the JDE orders of those suppliers wait on real suppliers, and flow once
  the suppliers flow pairs them (``vendor_pairs``).
* ``ProcurifyPeople``: the people the connector's Procurify documents wait for. The API cannot create a
  purchase order (reference: requisition -> approved and purchased in Procurify -> PO), so each activity
  round plays them on the connector's own documents: the buyer approves and purchases the requisitions the
  purchase orders flow made (the po_links flow then links each PO to its JDE order and sets ``PO_Num``);
  a round later the receiver receives those POs and the AP clerk enters an approved bill for them (the
  bills flow posts it to JDE); a round later the clerk pays it (the payments flow records the payment on
  the JDE voucher). The sandbox's own activity (``connector_sandbox.registry``) adds vendors, approves
  bills and pays random ones beside this. And each round JDE's batch voucher processor (R04110ZA, a
  scheduled job on a real JDE) turns the voucher batches written so far into vouchers, which the payments
  flow pays against.
"""

from __future__ import annotations

from typing import Any

import click
import requests
import sqlalchemy as sa

INTEGRATION = "jde_procurify"


def link_procurify_vendors_to_jde(procurify_root: str, jde_root: str) -> dict[str, Any]:
    """Re-point the Procurify sandbox's seeded vendor ERP keys at the JDE sandbox's supplier numbers
    (``POST /sandbox/vendors/erp-links``); idempotent. The route's counts plus ``suppliers`` (how many JDE
    numbers were offered)."""
    from connector_cli.dev import jde_supplier_numbers

    numbers = jde_supplier_numbers(jde_root)
    response = requests.post(
        f"{procurify_root}/sandbox/vendors/erp-links", json={"numbers": numbers, "format": "{n}"}, timeout=60
    )
    response.raise_for_status()
    return {**response.json(), "suppliers": len(numbers)}


def _embedded(sandboxes: list) -> dict[str, Any] | None:
    """The running Procurify and JDE simulators by key, when both are embedded and neither system is
    configured to a real one; else None."""
    from connector_resources.settings import SYSTEMS

    running = {r.spec.key: r for r in sandboxes}
    if "procurify" not in running or "jde_ais" not in running:
        return None
    if SYSTEMS["procurify"].is_configured() or SYSTEMS["jde_ais"].is_configured():
        return None
    return running


def procurify_sandbox_links(sandboxes: list) -> None:
    """On the embedded Procurify and JDE sandboxes only, the seeded Procurify vendors' ERP keys re-pointed
    to suppliers the JDE sandbox has; says what was done. Procurify re-seeds at every start and JDE keeps
    its seeded suppliers' numbers, so every start links the same vendors to the same suppliers."""
    running = _embedded(sandboxes)
    if running is None:
        return
    try:
        done = link_procurify_vendors_to_jde(running["procurify"].spec.root(), running["jde_ais"].spec.root())
    except (requests.RequestException, ValueError, KeyError) as exc:
        click.echo(
            f"Procurify vendors not linked to JDE suppliers ({exc}); their ERP keys name no JDE supplier"
        )
        return
    real = done["repointed"] + done["already_linked"]
    unmatched = (
        f", {done['left_unmatched']} left as seeded (too few suppliers)" if done["left_unmatched"] else ""
    )
    click.echo(
        f"Procurify vendor ERP keys: {real} name real JDE suppliers{unmatched}; each pairs when the "
        "jde_procurify_suppliers flow syncs its supplier (backfill it over the sandbox's busy day, 21 days "
        "ago, to pair most at once)"
    )


class ProcurifyPeople:
    """The buyer, receiver and AP clerk of the Procurify sandbox, acting on the connector's documents one
    step per round (``round``); what they did is kept in memory for the next round (the Procurify sandbox
    re-seeds at every start, so nothing of an earlier ``make dev`` is left to act on)."""

    def __init__(self, procurify_root: str, ledger_url: str, jde_root: str | None = None) -> None:
        self.root, self.jde_root = procurify_root, jde_root
        self.engine = sa.create_engine(ledger_url)
        self.handled: set[str] = set()  # requisition uuids purchased (or gone)
        self.to_bill: list[int] = []  # PO numbers purchased last round
        self.to_pay: list[str] = []  # bill uuids entered last round

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """An operator action; None when the simulator refuses it (the record moved on meanwhile)."""
        answer = requests.post(f"{self.root}/sandbox/{path}", json=body, timeout=60)
        if answer.status_code >= 500:
            answer.raise_for_status()
        return answer.json() if answer.status_code < 300 else None

    def requisitions(self) -> list[str]:
        """The requisitions the purchase orders flow made (its xrefs' target ids), oldest first."""
        from connector_resources.ledger.schema import xref

        query = (
            sa.select(xref.c.target_id)
            .where(
                xref.c.integration == INTEGRATION,
                xref.c.entity == "purchase_order",
                xref.c.target_system == "procurify",
                xref.c.target_id.is_not(None),
            )
            .order_by(xref.c.created_at)
        )
        with self.engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(query)]

    def round(self) -> dict[str, int]:
        """Run R04110ZA in JDE, pay last round's bills, receive and bill last round's POs, purchase the new
        requisitions; counts of each."""
        vouchered = 0
        if self.jde_root:
            answer = requests.post(f"{self.jde_root}/sandbox/process-vouchers", timeout=120)
            answer.raise_for_status()
            vouchered = len(answer.json()["processed"])
        # One payment per bill: the sandbox's own activity may have paid one meanwhile (then refused).
        paid = sum(
            1 for uuid in self.to_pay if self._post("payments", {"bill_uuids": [uuid], "status": "paid"})
        )
        self.to_pay = []
        for number in self.to_bill:
            if self._post(f"purchase-orders/{number}/receive", {"fraction": 1.0}) is None:
                continue
            entered = self._post(f"purchase-orders/{number}/bill", {"status": 2})
            if entered:
                self.to_pay.append(entered["bill_uuid"])
        billed, self.to_bill = len(self.to_pay), []
        purchased = 0
        for uuid in self.requisitions():
            if uuid in self.handled:
                continue
            self.handled.add(uuid)
            done = self._post(f"requisitions/{uuid}/purchase", {})
            if done:
                purchased += 1
                self.to_bill += [po["procurify_PO"] for po in done["purchase_orders"]]
        return {"vouchered": vouchered, "purchased": purchased, "billed": billed, "paid": paid}

    def dispose(self) -> None:
        self.engine.dispose()


def procurify_people(sandboxes: list, ledger_url: str) -> ProcurifyPeople | None:
    """The people of the embedded Procurify sandbox (None off the sandbox)."""
    running = _embedded(sandboxes)
    if running is None:
        return None
    return ProcurifyPeople(running["procurify"].spec.root(), ledger_url, running["jde_ais"].spec.root())
