"""``make dev`` for Oracle Fusion <-> Procurify, on the embedded simulators only: a vendor fallback e-mail,
the seeded vendors paired with Fusion suppliers (seeded apart, names alone would pair none), and
``FusionProcurifyPeople``. docs/integrations/fusion_procurify.md, "In `make dev`".
"""

from __future__ import annotations

from functools import partial
from typing import Any

import click
import requests

from connector_assets.flows import instance
from connector_assets.flows.sandbox_people import round_player, written_xrefs
from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded, export_unless_set
from connector_assets.fusion.sandbox_operators import (
    FusionApTeam,
    active_supplier_names,
    enter_suppliers,
    keep_suppliers,
    suppliers_with_sites,
)
from connector_assets.fusion.supplier_names import fold
from connector_assets.procurify.sandbox_operators import ProcurifyOperators, active_vendor_ids, active_vendors
from connector_assets.procurify.sandbox_operators import pair_seeded_vendors as pair_vendors
from connector_resources.procurify.errors import ProcurifyError
from connector_resources.setting_declarations import integration_variable

from .vendor_pairs import vendor_pairing

ENTERED_BY = "make dev"
# ``make dev`` sets up the default instance, named after the package (its settings ``ML_FUSION_PROCURIFY_*``).
DEFAULT = (__package__ or __name__).rpartition(".")[2]
PAIRING, variable = vendor_pairing(DEFAULT), partial(integration_variable, DEFAULT)
SANDBOX_FALLBACK_EMAIL = "ap-no-email-in-fusion@example.com"  # example.com: reserved, never delivered
SANDBOX_DEFAULTS = {
    variable("VENDOR_FALLBACK_EMAIL"): SANDBOX_FALLBACK_EMAIL,
    variable("ACCOUNT_VALUE_SET"): "SBX_ACCOUNT",  # the Fusion sandbox's natural account value set
}


def pair_seeded_vendors(
    ledger: Any, vendor_ids: list[str], supplier_ids: list[str], limit: int | None = None
) -> int:
    """Match ``vendor_ids`` to Fusion ``supplier_ids`` in order, as manual ``vendor`` matches entered by
    ``make dev`` (``procurify.sandbox_operators.pair_seeded_vendors``); how many pairs were made."""
    return pair_vendors(ledger, PAIRING, vendor_ids, supplier_ids, entered_by=ENTERED_BY, limit=limit)


def supply_unmatched_vendors(fusion_root: str, procurify: Any, ledger: Any) -> int:
    """Fusion's supplier administrators enter the supplier of every active, purchasable Procurify vendor
    neither paired nor named by an active Fusion supplier (one supplier master, as a customer running both
    keeps it), so the vendors flow pairs it by name; how many were entered. Why: docs, "In `make dev`"."""
    named = active_supplier_names(fusion_root)
    missing: dict[str, str] = {}
    for vendor in active_vendors(procurify):
        name = str(vendor.get("name") or "").strip()
        if name and fold(name) not in named and PAIRING.paired_supplier(ledger, str(vendor["id"])) is None:
            missing.setdefault(fold(name), name)
    return enter_suppliers(fusion_root, missing.values())


def fusion_procurify_sandbox_setup(sandboxes: list, ledger_url: str) -> dict[str, Any]:
    """On the embedded Fusion and Procurify sandboxes only: ``SANDBOX_DEFAULTS`` exported for Dagster
    (each unless already set) and the seeded vendors paired with Fusion suppliers; says what was done and
    answers it. Never when either system is configured (a real vendor is paired by name or by hand)."""
    from connector_resources.fusion import FusionResource
    from connector_resources.ledger import Ledger
    from connector_resources.procurify import ProcurifyResource

    running = embedded(sandboxes, "procurify", "fusion")
    if running is None:
        return {}
    chosen = export_unless_set(SANDBOX_DEFAULTS)
    # The first start pairs the seeded vendors by hand. On kept data those pairs are in the ledger, and the
    # suppliers with sites since (entered below under a vendor's name, added by the activity) are the
    # flows' to pair by name: paired by hand in order, a vendor got a supplier entered for another one.
    first = not (running["fusion"].kept and running["procurify"].kept)
    ledger = Ledger(ledger_url)
    try:
        procurify = ProcurifyResource.from_settings()
        if first:
            business_unit = FusionResource.from_settings().business_unit
            suppliers = suppliers_with_sites(running["fusion"].spec.root(), business_unit)
            paired = pair_seeded_vendors(ledger, active_vendor_ids(procurify), suppliers)
            pairs = (
                f"{paired} seeded Procurify vendors paired with Fusion suppliers ({len(suppliers)} have "
                f"sites in {business_unit}; `ml-connector xref list`)"
            )
        else:
            paired, pairs = 0, "the pairs of the first start kept (`ml-connector xref list`)"
        entered = supply_unmatched_vendors(running["fusion"].spec.root(), procurify, ledger)
    except requests.RequestException as exc:
        click.echo(f"Fusion <-> Procurify: seeded vendors not paired with Fusion suppliers ({exc})")
        return {"defaults": chosen, "paired": 0, "entered": 0}
    finally:
        ledger.dispose()
    defaults = ", ".join(f"{env}={text}" for env, text in chosen.items())
    click.echo(
        f"Fusion <-> Procurify sandbox: {pairs}; {entered} Fusion suppliers entered for the other vendors, "
        "for the vendors flow to pair by name" + (f"; {defaults}" if defaults else "")
    )
    return {"defaults": chosen, "paired": paired, "entered": entered}


def written_invoices(ledger: Any) -> dict[str, str]:
    """Fusion InvoiceId -> Procurify bill uuid of every invoice the invoices flow wrote (its ``invoice``
    xrefs with a target), read from the ledger."""
    return {target: key for key, target in written_xrefs(ledger, DEFAULT, "invoice", "procurify", "fusion")}


def mapped_line_problem(
    item: dict[str, Any], accounts: dict[str, str], departments: dict[str, str]
) -> str | None:
    """Why the buyer leaves a requisition line alone (None: it can go to Fusion): its vendor is read by
    the caller; here its account code must have a row in the account table and its department (the
    budget account's, ``Location|Department``) a row, its location's ``*`` row or the ``*`` row in the
    department table, as the purchase orders flow maps them."""
    from connector_assets.procurify.account_departments import department_key

    from .account_map import normal_code
    from .departments import company_cost_center

    code = item.get("accountCode")
    if not code or normal_code(code) not in accounts:
        return f"account code {code!r} has no row in the account table"
    account = item.get("account") if isinstance(item.get("account"), dict) else {}
    department = department_key(account.get("department")) or department_key(item.get("department"))
    if company_cost_center(department, departments)[0] is None:
        return f"department {department!r} has no row in the department table"
    return None


class FusionProcurifyPeople:
    """The requesters, buyer, receiver and AP clerk of the Procurify sandbox, acting on paired vendors one
    step per round (``round``), and Fusion's supplier administrators and AP team. What they did is kept in
    memory for the next round only: what an earlier ``make dev`` left half done stays as it was in the kept
    sandboxes, as a person's unfinished work would."""

    def __init__(
        self,
        procurify_root: str,
        ledger_url: str,
        procurify: Any,
        fusion_root: str | None = None,
        *,
        currency: str | None = None,
        batch: int = 8,
        most: int = 40,
        wanted: int = 2,
    ) -> None:
        """``procurify``: the Procurify resource the buyer reads requisition lines with; ``currency``:
        the only currency bought (default ``ML_FUSION_PROCURIFY_LEDGER_CURRENCY``: the tests' Fusion
        sandbox knows no CAD, and the sandbox's US locations map to the business unit's company); ``batch``
        requisitions are raised at a time until ``wanted`` can be purchased or ``most`` were raised this
        round (about a third of the sandbox's vendors are paired and two of its six locations buy in
        dollars, so about one requisition in ten qualifies)."""
        from connector_resources import settings
        from connector_resources.ledger import Ledger

        from .account_map import accounts_table
        from .departments import departments_table

        segments = partial(settings.read, variable("ACCOUNT_SEGMENTS"))

        self.operators, self.procurify, self.fusion_root = (
            ProcurifyOperators(procurify_root),
            procurify,
            fusion_root,
        )
        self.ledger = Ledger(ledger_url)
        self.currency = currency or instance.read(variable("LEDGER_CURRENCY"))
        self.batch, self.most, self.wanted = batch, most, wanted
        self.accounts = accounts_table(variable("ACCOUNT_MAP"), segments).read()
        self.departments = departments_table(variable("DEPARTMENT_MAP"), segments).read()
        self.to_bill: list[int] = []  # PO numbers purchased last round
        self.bills: list[str] = []  # uuids of the bills entered, approved
        # Invoices the flow wrote before this start: the AP team of that start paid them or not, and what
        # it settled (which it paid half) was kept in its memory only, so this one leaves them alone rather
        # than pay a half-paid one in full.
        self.earlier = set(written_invoices(self.ledger)) if fusion_root else set()
        self.ap_team = FusionApTeam(fusion_root) if fusion_root else None

    def purchasable(self, num: int) -> tuple[str | None, str | None]:
        """(uuid, None) of requisition ``num`` when every line names a paired vendor and a mapped account
        code and department in the currency bought, else (uuid, why not)."""
        uuid, items = self.operators.requisition_lines(self.procurify, num)
        if not items:
            return uuid, "it has no lines"
        for item in items:
            currency = (item.get("currency") or {}).get("name")
            if currency != self.currency:
                return uuid, f"it is in {currency}, not {self.currency}"
            vendor = (item.get("vendor") or {}).get("id")
            if vendor is None or PAIRING.paired_supplier(self.ledger, vendor) is None:
                return uuid, f"vendor {vendor} is paired with no Fusion supplier"
            problem = mapped_line_problem(item, self.accounts, self.departments)
            if problem:
                return uuid, problem
        return uuid, None

    def buy(self) -> tuple[int, list[int]]:
        """Raise requisitions in batches and purchase those the flows can carry; (raised, PO numbers)."""
        return self.operators.buy(self.purchasable, batch=self.batch, most=self.most, wanted=self.wanted)

    def bill(self) -> int:
        """Receive in full and bill (approved) last round's POs; how many bills were entered."""
        entered = self.operators.bill_all(self.to_bill)
        self.bills += entered
        self.to_bill = []
        return len(entered)

    def pay_invoices(self) -> dict[str, int]:
        """Fusion's AP team (``fusion.sandbox_operators.FusionApTeam``) pays the invoices the invoices flow
        wrote since this start, once validated: most in full, every ``PARTIAL_EVERY``-th half (Procurify's
        API cannot record a partial payment, so the payment status flow audits it and leaves the bill)."""
        if self.ap_team is None:
            return {"paid_in_full": 0, "paid_partly": 0}
        return self.ap_team.pay(set(written_invoices(self.ledger)) - self.earlier)

    def round(self) -> dict[str, int]:
        """Touch Fusion suppliers and enter those of new Procurify vendors, pay the connector's validated
        invoices in Fusion, bill last round's POs, then raise and purchase new requisitions; counts of
        each."""
        suppliers = keep_suppliers(self.fusion_root) if self.fusion_root else 0
        entered = (
            supply_unmatched_vendors(self.fusion_root, self.procurify, self.ledger) if self.fusion_root else 0
        )
        paid = self.pay_invoices()
        billed = self.bill()
        raised, bought = self.buy()
        self.to_bill = bought
        return {
            "suppliers": suppliers,
            "suppliers_for_new_vendors": entered,
            **paid,
            "billed": billed,
            "raised": raised,
            "purchase_orders": len(bought),
        }

    def dispose(self) -> None:
        self.ledger.dispose()


def fusion_procurify_people(sandboxes: list, ledger_url: str) -> FusionProcurifyPeople | None:
    """The people of the embedded Procurify sandbox acting for Fusion <-> Procurify (None unless both
    simulators are embedded and neither system is configured)."""
    running = embedded(sandboxes, "procurify", "fusion")
    if running is None:
        return None
    from connector_resources.procurify import ProcurifyResource

    return FusionProcurifyPeople(
        running["procurify"].spec.root(),
        ledger_url,
        ProcurifyResource.from_settings(),
        running["fusion"].spec.root(),
    )


SANDBOX = IntegrationSandbox(
    set_up=fusion_procurify_sandbox_setup,
    people=fusion_procurify_people,
    play=round_player("Fusion <-> Procurify", ProcurifyError),
)
