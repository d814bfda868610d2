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
* Every other bill the clerk enters is paid in JDE instead (``JdeClerk``): once the bills flow posted it
  and R04110ZA made its voucher, JDE's payment run pays the voucher in full (``ML_RecordPayment`` stands in
  for it, as the flow tests do: F0411 AAP 0, PST P, UPMJ today) while Procurify holds no payment, which is
  what the paid_marks flow carries back (the bill marked paid in Procurify). Without it nothing in the
  sandboxes pays a voucher in JDE, and paid_marks would never move a record.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click
import requests
import sqlalchemy as sa

from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded, export_unless_set
from connector_assets.jde.sandbox_suppliers import all_jde_supplier_numbers

INTEGRATION = "jde_procurify"
JDE_PAYMENT_REFERENCE = "JDE-CHK-{doc}"  # the check number JDE's payment run gives (F0413), <= 25


def link_procurify_vendors_to_jde(procurify_root: str, jde_root: str) -> dict[str, Any]:
    """Re-point the Procurify sandbox's seeded vendor ERP keys at the JDE sandbox's supplier numbers
    (``POST /sandbox/vendors/erp-links``); idempotent. The route's counts plus ``suppliers`` (how many JDE
    numbers were offered)."""
    numbers = all_jde_supplier_numbers(jde_root)
    response = requests.post(
        f"{procurify_root}/sandbox/vendors/erp-links", json={"numbers": numbers, "format": "{n}"}, timeout=60
    )
    response.raise_for_status()
    return {**response.json(), "suppliers": len(numbers)}


def _embedded(sandboxes: list) -> dict[str, Any] | None:
    """The running Procurify and JDE simulators by key, both embedded and neither configured."""
    return embedded(sandboxes, "procurify", "jde_ais")


def procurify_sandbox_links(sandboxes: list) -> None:
    """On the embedded Procurify and JDE sandboxes only, the seeded Procurify vendors' ERP keys re-pointed
    to suppliers the JDE sandbox has; says what was done. Procurify re-seeds at every start and JDE keeps
    its seeded suppliers' numbers, so every start links the same vendors to the same suppliers."""
    from connector_resources.jde.errors import JdeError

    running = _embedded(sandboxes)
    if running is None:
        return
    try:
        done = link_procurify_vendors_to_jde(running["procurify"].spec.root(), running["jde_ais"].spec.root())
    except (requests.RequestException, ValueError, KeyError, JdeError) as exc:
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


# What ``make dev`` sets for this integration on the embedded sandboxes only, unless the operator set it:
# * a fallback e-mail: half the JDE sandbox's seeded suppliers and every supplier its activity adds have
#   no F01151 e-mail, and Procurify requires one on a vendor, so without it most suppliers (and the
#   orders and bills held on them) would wait in the retry queue for an address nobody will type in;
# * the account codes hourly instead of at 05:30: a purchase order waits until the codes of its lines'
#   accounts are in Procurify, so on a new instance nothing would reach Procurify until tomorrow morning.
SANDBOX_FALLBACK_EMAIL = "ap-no-email-in-jde@example.com"  # example.com: reserved, never delivered
SANDBOX_ACCOUNT_CODES_CRON = "5 * * * *"
SANDBOX_DEFAULTS = {
    "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL": SANDBOX_FALLBACK_EMAIL,
    "ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON": SANDBOX_ACCOUNT_CODES_CRON,
}


def procurify_sandbox_defaults(sandboxes: list) -> dict[str, str]:
    """On the embedded Procurify and JDE sandboxes only, ``SANDBOX_DEFAULTS`` exported for Dagster (each
    unless already set: the operator's value wins); never when either system is configured, where a
    supplier without an e-mail must be refused and the account codes keep their daily cron. Answers what
    was set."""
    if _embedded(sandboxes) is None:
        return {}
    chosen = export_unless_set(SANDBOX_DEFAULTS)
    if chosen:
        click.echo(
            "JDE <-> Procurify sandbox defaults: "
            + ", ".join(f"{env}={text}" for env, text in chosen.items())
        )
    return chosen


class ProcurifyPeople:
    """The buyer, receiver and AP clerk of the Procurify sandbox, acting on the connector's documents one
    step per round (``round``); what they did is kept in memory for the next round (the Procurify sandbox
    re-seeds at every start, so nothing of an earlier ``make dev`` is left to act on)."""

    def __init__(
        self, procurify_root: str, ledger_url: str, jde_root: str | None = None, jde: Any = None
    ) -> None:
        self.root, self.jde_root = procurify_root, jde_root
        self.engine = sa.create_engine(ledger_url)
        self.handled: set[str] = set()  # requisition uuids purchased (or gone)
        self.to_bill: list[int] = []  # PO numbers purchased last round
        self.to_pay: list[str] = []  # bill uuids entered last round, paid in Procurify
        # Every other bill entered is paid in JDE once posted (None: no JDE resource, all in Procurify).
        self.clerk = JdeClerk(jde_root, self.engine, jde) if jde_root and jde is not None else None
        self.entered = 0

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
        """Run R04110ZA in JDE, pay in JDE the posted bills kept for it, pay last round's other bills in
        Procurify, receive and bill last round's POs, purchase the new requisitions; counts of each."""
        vouchered = 0
        if self.jde_root:
            answer = requests.post(f"{self.jde_root}/sandbox/process-vouchers", timeout=120)
            answer.raise_for_status()
            vouchered = len(answer.json()["processed"])
        paid_in_jde = self.clerk.round() if self.clerk is not None else 0
        # One payment per bill: the sandbox's own activity may have paid one meanwhile (then refused).
        paid = sum(
            1 for uuid in self.to_pay if self._post("payments", {"bill_uuids": [uuid], "status": "paid"})
        )
        self.to_pay, billed = [], 0
        for number in self.to_bill:
            if self._post(f"purchase-orders/{number}/receive", {"fraction": 1.0}) is None:
                continue
            entered = self._post(f"purchase-orders/{number}/bill", {"status": 2})
            if entered:
                self.entered += 1
                if self.clerk is not None and self.entered % 2 == 0:
                    self.clerk.to_pay.append(entered["bill_uuid"])
                else:
                    self.to_pay.append(entered["bill_uuid"])
                billed += 1
        self.to_bill = []
        purchased = 0
        for uuid in self.requisitions():
            if uuid in self.handled:
                continue
            self.handled.add(uuid)
            done = self._post(f"requisitions/{uuid}/purchase", {})
            if done:
                purchased += 1
                self.to_bill += [po["procurify_PO"] for po in done["purchase_orders"]]
        return {
            "vouchered": vouchered,
            "purchased": purchased,
            "billed": billed,
            "paid": paid,
            "paid_in_jde": paid_in_jde,
        }

    def dispose(self) -> None:
        self.engine.dispose()


class JdeClerk:
    """JDE's payment run on the vouchers of chosen Procurify bills: a bill the bills flow posted (its
    ``bill`` xref names the voucher, or the voucher batch R04110ZA made it from) is paid in full in JDE,
    once, through ``ML_RecordPayment`` (reference ``JDE-CHK-<DOC>``). A bill not posted yet, or whose batch
    is not processed yet, waits for a later round."""

    def __init__(self, jde_root: str, engine: sa.Engine, jde: Any) -> None:
        self.jde_root, self.engine, self.jde = jde_root, engine, jde
        self.to_pay: list[str] = []  # bill uuids to pay in JDE once posted

    def _posted_as(self, bill_uuid: str) -> str | None:
        """The bills flow's target id of the bill (``KCO:DOC:DCT`` or ``EDUS/EDBT/EDTN``), if posted."""
        from connector_resources.ledger.schema import xref

        query = sa.select(xref.c.target_id).where(
            xref.c.integration == INTEGRATION,
            xref.c.entity == "bill",
            xref.c.source_system == "procurify",
            xref.c.source_key == bill_uuid,
            xref.c.target_id.is_not(None),
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return str(found) if found else None

    def _rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        answer = requests.get(f"{self.jde_root}/sandbox/rows/{table}", params=where, timeout=60)
        answer.raise_for_status()
        return answer.json()["rows"]

    def voucher(self, bill_uuid: str) -> tuple[str, int, str] | None:
        """(KCO, DOC, DCT) of the bill's JDE voucher once it exists, else None (a journal posting has
        no voucher to pay)."""
        from connector_assets.jde.posted_documents import PostedDocument

        posted = PostedDocument.parse(self._posted_as(bill_uuid))
        if posted is None:
            return None
        if posted.number is not None:
            return (posted.company or "", posted.number, posted.doc_type or "PV")
        assert posted.batch is not None
        batch = posted.batch
        rows = self._rows("F0411Z1", EDUS=batch.user, EDBT=batch.batch, EDTN=batch.transaction)
        done = [r for r in rows if str(r.get("EDSP")).strip() == "1" and r.get("DOC")]
        if not done:
            return None
        return (str(done[0]["KCO"]).strip(), int(done[0]["DOC"]), str(done[0]["DCT"]).strip() or "PV")

    def round(self) -> int:
        """Pay every kept bill whose voucher exists; how many were paid."""
        from datetime import UTC, datetime

        from connector_resources.jde.errors import JdeError

        paid, waiting = 0, []
        for bill_uuid in self.to_pay:
            voucher = self.voucher(bill_uuid)
            if voucher is None:
                waiting.append(bill_uuid)
                continue
            company, number, doc_type = voucher
            items = self._rows("F0411", KCO=company, DOC=number, DCT=doc_type)
            open_amount = sum(Decimal(int(item["AAP"])) for item in items) / 100  # stored in cents
            if open_amount <= 0:
                continue  # paid already (Procurify's own payment reached JDE first)
            try:
                with self.jde.session() as session:
                    session.orchestrate(
                        "ML_RecordPayment",
                        {
                            "Document_Company": company,
                            "Document_Number": number,
                            "Document_Type": doc_type,
                            "Payment_Amount": f"{open_amount:.2f}",
                            "Payment_Date": datetime.now(UTC).date(),
                            "Payment_Reference": JDE_PAYMENT_REFERENCE.format(doc=number),
                        },
                    )
            except JdeError as exc:  # e.g. the voucher is on hold: JDE's clerk leaves it
                click.echo(f"JDE sandbox: voucher {company}:{number}:{doc_type} not paid ({exc})")
                continue
            paid += 1
        self.to_pay = waiting
        return paid


def procurify_people(sandboxes: list, ledger_url: str) -> ProcurifyPeople | None:
    """The people of the embedded Procurify sandbox (None off the sandbox)."""
    running = _embedded(sandboxes)
    if running is None:
        return None
    from connector_resources.jde import JdeAisResource

    jde = JdeAisResource.initialized_from_settings()
    return ProcurifyPeople(running["procurify"].spec.root(), ledger_url, running["jde_ais"].spec.root(), jde)


def set_up(sandboxes: list, ledger_url: str) -> None:
    """``make dev``'s start for this integration: vendor ERP keys linked, then the sandbox defaults."""
    procurify_sandbox_links(sandboxes)
    procurify_sandbox_defaults(sandboxes)


def play_round(people: ProcurifyPeople) -> Any:
    """One round of ``people``; a failure is said and the round skipped (the next one tries again)."""
    try:
        return people.round()
    except (requests.RequestException, sa.exc.SQLAlchemyError) as exc:
        click.echo(f"Procurify sandbox people skipped a round: {exc}")
        return None


SANDBOX = IntegrationSandbox(set_up=set_up, people=procurify_people, play=play_round)
