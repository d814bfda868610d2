"""The ``jde_bill`` sandbox mapping tables, made from the JDE and BILL simulators' seeds for one BILL
organization: what ``mappings/sandbox/jde_bill_accounts.csv`` / ``jde_bill_departments.csv`` hold for the
default instance (organization ``00801SANDBOXORG00001``, every JDE company) and
``jde_bill_west_accounts.csv`` / ``jde_bill_west_departments.csv`` for the ``jde_bill_west`` instance
(organization ``00801SANDBOXORG00002``, JDE company 00200 only).

Accounts: every postable expense account of F0901 at scale 1 (a superset of the smaller scales' charts) of
the instance's companies, mapped by its object (and subsidiary) to the BILL sandbox account of the same
meaning (6110 Office Supplies -> 6030 Office Supplies, 7110.CONC -> 5040 Concrete & Aggregates, ...), and
``LNTY:S`` (stock lines) to 5010 Job Materials. Departments: each business unit of those companies to one
live BILL department by name. A BILL organization's classifications are seeded from a generator of its
own (its id in the seed), before anything else and whatever the scale: the same names in every
organization, other ids; so the tables of two organizations differ in ids only.

``.venv/bin/python tests/jde_bill_sandbox_tables.py`` writes the files; ``test_two_orgs_sandbox`` checks
the checked-in files are what this makes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.seed import DataFactory
from connector_sandbox.bill.settings import Organization
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.seed import seed as seed_jde
from connector_sandbox.jde_ais.store import Store
from connector_sandbox.jde_ais.vocabulary import CHART_OF_ACCOUNTS, COMPANIES

SANDBOX = Path(__file__).resolve().parents[1] / "mappings" / "sandbox"
STOCK_KEY = "LNTY:S"
ORG_1 = "00801SANDBOXORG00001"
ORG_2 = "00801SANDBOXORG00002"

# JDE object (or object.subsidiary, which wins) -> BILL sandbox account number of the same meaning.
ACCOUNT_BY_MEANING = {
    "6110": "6030",  # Office Supplies
    "6120": "6120",  # Postage & Courier -> Freight & Delivery
    "6130": "6160",  # Telephone & Internet
    "6210": "6050",  # Travel (AIR, HOTEL, RAIL too)
    "6220": "6060",  # Meals & Entertainment
    "6310": "6080",  # Rent - Facilities -> Rent - Yard & Office
    "6320": "6070",  # Utilities
    "6410": "6040",  # Repairs & Maintenance
    "6510": "6100",  # Professional Fees
    "6520": "6100",  # Legal Fees -> Professional Fees
    "6610": "6090",  # Insurance
    "6710": "6110",  # Software Subscriptions
    "6720": "6020",  # Computer Hardware -> Small Tools
    "6810": "6120",  # Freight In -> Freight & Delivery
    "6910": "7000",  # Bank Charges -> Interest Expense
    "7110": "5010",  # Construction Materials (ELEC, LUMBER, cost codes) -> Job Materials
    "7110.CONC": "5040",  # Concrete & Aggregates
    "7110.STEEL": "5050",  # Steel & Rebar
    "7120": "5020",  # Subcontractor Costs -> Subcontractors
    "7130": "5030",  # Equipment Rental
    "7140": "6130",  # Permits & Fees -> Permits & Licenses
    "8150": "5999-" + "9" * 25,  # Other Expense -> the 100-character accrual account
}
STOCK_ACCOUNT = "5010"  # Job Materials: stock lines carry no account in JDE
# JDE business unit -> BILL sandbox department name (the units of every JDE sandbox company).
DEPARTMENT_BY_UNIT = {
    "1": "Administration",
    "3": "Finance & Accounting",
    "20": "Operations",
    "30": "Field Services",
    "M30": "Construction – East",
    "50": "Engineering",
    "5010": "Entwicklung (München)",
    "M50": "Construction – West",
    "70": "Procurement",
    "7010": "Safety",
    "200": "IT",
    "M200": "Construction – East",
    "LONGJOBUNIT1": "Construction – West",
}


@dataclass(frozen=True)
class Instance:
    """A JDE -> BILL instance's sandbox tables: its BILL organization and JDE companies."""

    name: str  # the files' prefix: <name>_accounts.csv, <name>_departments.csv
    organization_id: str
    companies: tuple[str, ...]  # JDE company codes (KCO); empty: every company

    def files(self) -> dict[str, Path]:
        return {kind: SANDBOX / f"{self.name}_{kind}.csv" for kind in ("accounts", "departments")}


INSTANCES = (
    Instance("jde_bill", ORG_1, ()),
    Instance("jde_bill_west", ORG_2, ("00200",)),
)


def bill_classifications(organization_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """(account number -> id, department name -> id) of the live classifications the BILL sandbox seeds
    for ``organization_id`` (the ids depend on the seed and the organization, not on the scale)."""
    settings = BillSandboxSettings()
    org = Organization(id=organization_id, name="classifications")
    factory = DataFactory(
        org, random.Random(f"{settings.seed}:{org.id}"), dt.date(2025, 1, 1), settings.user_id
    )
    accounts: dict[str, str] = {}
    departments: dict[str, str] = {}
    for doc in factory.classifications():
        if doc["archived"]:
            continue
        if doc["_kind"] == "chart-of-accounts":
            accounts[doc["accountNumber"]] = doc["id"]
        elif doc["_kind"] == "departments":
            departments[doc["name"]] = doc["id"]
    return accounts, departments


def jde_expense_accounts(companies: tuple[str, ...]) -> list[tuple[str, str]]:
    """(typed account ``BU.OBJ[.SUB]``, object key) of every postable expense account of F0901 at scale 1
    in ``companies`` (empty: all)."""
    expense = {account.obj for account in CHART_OF_ACCOUNTS if account.expense}
    store = Store(None)
    try:
        seed_jde(store, JdeSandboxSettings(scale=1))
        rows = store.conn.execute("SELECT CO, MCU, OBJ, SUB FROM F0901 WHERE PEC = ''").fetchall()
    finally:
        store.close()
    found = []
    for company, unit, obj, sub in rows:
        if obj.strip() not in expense or (companies and company.strip() not in companies):
            continue
        parts = [unit.strip(), obj.strip(), sub.strip()]
        found.append((".".join(p for p in parts if p), ".".join(p for p in parts[1:] if p)))
    return found


def business_units(companies: tuple[str, ...]) -> list[str]:
    """The business units of ``companies`` (empty: all), in the JDE sandbox's order, then those F0901
    has beyond the companies' own (the 12-character job unit of company 00001)."""
    units = [u for c in COMPANIES if not companies or c.code in companies for u in c.business_units]
    if not companies or "00001" in companies:
        units.append("LONGJOBUNIT1")
    return units


def tables(instance: Instance) -> dict[str, list[tuple[str, str]]]:
    """The rows (header first) of the instance's account and department tables."""
    bill_accounts, bill_departments = bill_classifications(instance.organization_id)
    accounts = {STOCK_KEY: bill_accounts[STOCK_ACCOUNT]}
    for typed, key in sorted(jde_expense_accounts(instance.companies)):
        number = ACCOUNT_BY_MEANING.get(key) or ACCOUNT_BY_MEANING[key.split(".")[0]]
        accounts[typed] = bill_accounts[number]
    departments = {u: bill_departments[DEPARTMENT_BY_UNIT[u]] for u in business_units(instance.companies)}
    return {
        "accounts": [("jde_account", "bill_chart_of_account_id"), *accounts.items()],
        "departments": [("jde_business_unit", "bill_department_id"), *departments.items()],
    }


def as_csv(rows: list[tuple[str, str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def main() -> None:
    for instance in INSTANCES:
        made = tables(instance)
        for kind, path in instance.files().items():
            path.write_text(as_csv(made[kind]), encoding="utf-8")
            print(f"{path.relative_to(SANDBOX.parents[1])}: {len(made[kind]) - 1} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
