"""``make dev`` for JD Edwards <-> Procurify: what the two embedded simulators need so a newcomer sees
records flow both ways without touching anything (never done against a configured, real system): the
Procurify vendors re-pointed at JDE suppliers, and people who purchase, bill and pay. Why each:
docs/integrations/jde_procurify.md, "In `make dev`".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import requests

from connector_assets.flows.mapping_tables import ROOT
from connector_assets.flows.sandbox_people import round_player, written_xrefs
from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded, export_unless_set
from connector_assets.jde.sandbox_payment_run import JdeClerk, process_voucher_batches
from connector_assets.jde.sandbox_suppliers import all_jde_supplier_numbers
from connector_assets.procurify.sandbox_operators import ProcurifyOperators, link_vendor_erp_keys
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession
from connector_resources.setting_declarations import integration_variable

# The package's own name (its folder): its sandbox files, and the default instance ``make dev`` runs.
PACKAGE = Path(__file__).parent.name


def link_procurify_vendors_to_jde(procurify_root: str, jde_root: str) -> dict[str, Any]:
    """Re-point the Procurify sandbox's seeded vendor ERP keys at the JDE sandbox's supplier numbers
    (``procurify.sandbox_operators.link_vendor_erp_keys``); idempotent."""
    return link_vendor_erp_keys(procurify_root, all_jde_supplier_numbers(jde_root))


def _embedded(sandboxes: list) -> dict[str, Any] | None:
    """The running Procurify and JDE simulators by key, both embedded and neither configured."""
    return embedded(sandboxes, "procurify", "jde_ais")


def procurify_sandbox_links(sandboxes: list) -> None:
    """On the embedded Procurify and JDE sandboxes only, the seeded Procurify vendors' ERP keys re-pointed
    to suppliers the JDE sandbox has; says what was done. Both keep their data across a restart and the
    sandbox re-points only the vendors its first linking left unmatched, so a later start changes nothing
    the first one (or a flow since) linked."""
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
        f"{PACKAGE}_suppliers flow syncs its supplier (backfill it over the sandbox's busy day, 21 days "
        "ago, to pair most at once)"
    )


# What ``make dev`` sets for this integration on the embedded sandboxes only, unless the operator set it:
# * a fallback e-mail: half the JDE sandbox's seeded suppliers and every supplier its activity adds have
#   no F01151 e-mail, and Procurify requires one on a vendor, so without it most suppliers (and the
#   orders and bills held on them) would wait in the retry queue for an address nobody will type in;
# * the account codes hourly instead of at 05:30: a purchase order waits until the codes of its lines'
#   accounts are in Procurify, so on a new instance nothing would reach Procurify until tomorrow morning;
# * the account table of make dev's Procurify world (seeded without planted faults: each department
#   budgets on its own location's codes, ``connector_sandbox.procurify.budgets``), which keeps each
#   location's codes in one JDE company, so no bill of that world spans two companies. The
#   default table is the tests' world's, where every department budgets on every code.
SANDBOX_FALLBACK_EMAIL = "ap-no-email-in-jde@example.com"  # example.com: reserved, never delivered
SANDBOX_ACCOUNT_CODES_CRON = "5 * * * *"
# Absolute: a run reads it from DAGSTER_HOME, not from the project folder (a relative path failed make dev's
# first staging run).
SANDBOX_ACCOUNT_MAP = str(ROOT / "mappings" / "sandbox" / f"{PACKAGE}_accounts_make_dev.csv")
SANDBOX_DEFAULTS = {
    integration_variable(PACKAGE, "VENDOR_FALLBACK_EMAIL"): SANDBOX_FALLBACK_EMAIL,
    integration_variable(PACKAGE, "ACCOUNT_CODES_CRON"): SANDBOX_ACCOUNT_CODES_CRON,
    integration_variable(PACKAGE, "ACCOUNT_MAP"): SANDBOX_ACCOUNT_MAP,
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
    """The buyer, receiver and AP clerk of the Procurify sandbox (``procurify.sandbox_operators``), acting on
    the connector's documents one step per round (``round``); what they did is kept in memory for the next
    round only. After a restart the buyer purchases the flow's requisitions not purchased yet (the kept
    sandbox refuses the others); a PO an earlier ``make dev`` purchased but did not bill stays unbilled, as
    a person's unfinished work would."""

    def __init__(
        self,
        procurify_root: str,
        ledger_url: str,
        jde_root: str | None = None,
        jde: SessionSource[JdeSession] | None = None,
    ) -> None:
        from connector_resources.ledger import Ledger

        self.operators, self.jde_root = ProcurifyOperators(procurify_root), jde_root
        self.ledger = Ledger(ledger_url)
        self.handled: set[str] = set()  # requisition uuids purchased (or gone)
        self.to_bill: list[int] = []  # PO numbers purchased last round
        self.to_pay: list[str] = []  # bill uuids entered last round, paid in Procurify
        # Every other bill entered is paid in JDE once posted (None: no JDE resource, all in Procurify).
        self.clerk = JdeClerk(jde_root, jde, self.posted_as) if jde_root and jde is not None else None
        self.entered = 0

    def requisitions(self) -> list[str]:
        """The requisitions the purchase orders flow made (its xrefs' target ids), oldest first."""
        return [
            target
            for _key, target in written_xrefs(self.ledger, PACKAGE, "purchase_order", "JDE", "procurify")
        ]

    def posted_as(self, bill_uuid: str) -> str | None:
        """The bills flow's target id of the bill (``KCO:DOC:DCT`` or ``EDUS/EDBT/EDTN``), if posted."""
        xref = self.ledger.get_xref(PACKAGE, "bill", "procurify", bill_uuid, "JDE")
        return xref.target_id if xref is not None and xref.target_id else None

    def round(self) -> dict[str, int]:
        """Run R04110ZA in JDE, pay in JDE the posted bills kept for it, pay last round's other bills in
        Procurify, receive and bill last round's POs, purchase the new requisitions; counts of each."""
        vouchered = process_voucher_batches(self.jde_root) if self.jde_root else 0
        paid_in_jde = self.clerk.round() if self.clerk is not None else 0
        # One payment per bill: the sandbox's own activity may have paid one meanwhile (then refused).
        paid = sum(1 for uuid in self.to_pay if self.operators.pay(uuid))
        self.to_pay, billed = [], 0
        for number in self.to_bill:
            entered = self.operators.receive_and_bill(number)
            if entered:
                self.entered += 1
                if self.clerk is not None and self.entered % 2 == 0:
                    self.clerk.to_pay.append(entered)
                else:
                    self.to_pay.append(entered)
                billed += 1
        self.to_bill = []
        purchased = 0
        for uuid in self.requisitions():
            if uuid in self.handled:
                continue
            self.handled.add(uuid)
            bought = self.operators.purchase(uuid)
            if bought is not None:
                purchased += 1
                self.to_bill += bought
        return {
            "vouchered": vouchered,
            "purchased": purchased,
            "billed": billed,
            "paid": paid,
            "paid_in_jde": paid_in_jde,
        }

    def dispose(self) -> None:
        self.ledger.dispose()


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


SANDBOX = IntegrationSandbox(set_up=set_up, people=procurify_people, play=round_player("Procurify"))
