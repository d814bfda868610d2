"""The mapping tables of JDE -> BILL bills (one ``MappingTable`` each, staged as snapshots like every
table), and the check of every bill line against both systems (``LineCoder``): the JDE side in F0901,
BILL's ids in ``connector_assets.bill.classifications``. The tables and what is checked:
docs/integrations/jde_bill.md, "Mapping tables" and "The flows" ("bills").
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from connector_assets.bill.classifications import (
    BillClassification,
    classification_ids,
)
from connector_assets.bill.line_classifications import BillLineCoding, bill_id_check
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.master_checks import key_problems, merged, value_problems
from connector_assets.flows.setting_tables import Check, setting_table
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.document_statuses import DocumentStatuses
from connector_assets.jde.master_data import business_units, postable_accounts
from connector_resources.refusals import Refusal, mapping_missing, source_invalid

STOCK_KEY = "LNTY:S"  # the account-table key of stock lines (no account in JDE; AAIs choose it)
GUARDED_BY = ("jde_ais", "bill")  # the sandbox tables only fit these two sandboxes


def _net_days(value: str) -> str | None:
    text = value.strip()
    if not text.isdigit() or int(text) > 366:
        return "net days must be a whole number of days from 0 to 366"
    return None


class BillTables(NamedTuple):
    """An instance's three tables (``bill_tables``)."""

    accounts: MappingTable
    departments: MappingTable
    payment_terms: MappingTable


def _accounts_master(resources: Mapping[str, Any], rows: Mapping[str, str]) -> dict[str, str]:
    return merged(
        key_problems(
            rows, lambda keys: postable_accounts(resources["jde"], keys), keep=lambda k: k != STOCK_KEY
        ),
        value_problems(rows, lambda ids: classification_ids(resources["bill"], "chart_of_accounts", ids)),
    )


def _departments_master(resources: Mapping[str, Any], rows: Mapping[str, str]) -> dict[str, str]:
    return merged(
        key_problems(rows, lambda keys: business_units(resources["jde"], keys)),
        value_problems(rows, lambda ids: classification_ids(resources["bill"], "departments", ids)),
    )


def bill_tables(it: Instance) -> BillTables:
    """The instance's tables as their settings declare them in ``settings.toml`` (each asset the setting's
    name, the sandbox file its default), guarded by both sandboxes, their values stripped."""

    def table(short: str, key: str, value: str, check: Check, description: str, master: Any) -> MappingTable:
        variable = it.variable(short)
        said = description.format(variable)
        return setting_table(
            it.instance, variable, key, value, said, GUARDED_BY, check, str.strip, master=master
        )

    return BillTables(
        table(
            "account_map",
            "jde_account",
            "bill_chart_of_account_id",
            bill_id_check("0ca", "chart-of-accounts"),
            "JDE account (BU.OBJ[.SUB] as typed; LNTY:S for stock lines) -> BILL chart-of-accounts id, "
            "staged from {}. Every bill line's GL account comes from this snapshot.",
            MasterData(
                ("jde", "bill"),
                _accounts_master,
                "the JDE account is in F0901 and postable; the BILL account is in BILL and not archived",
            ),
        ),
        table(
            "department_map",
            "jde_business_unit",
            "bill_department_id",
            bill_id_check("0de", "department"),
            "JDE business unit -> BILL department id, staged from {}. Every bill line's department comes "
            "from this snapshot.",
            MasterData(
                ("jde", "bill"),
                _departments_master,
                "the JDE business unit has accounts in F0901; the BILL department is in BILL and not "
                "archived",
            ),
        ),
        table(
            "payment_terms_map",
            "jde_payment_terms",
            "net_days",
            _net_days,
            "JDE payment terms code (F4301 PTC / F0401 TRAP) -> net days, staged from {}: the due date of a "
            "bill made from a purchase order.",
            # No master-data check: the value is a number of days, which no system holds, and JDE's payment
            # terms (F0014) are no table ml-connector reads (nor the JDE sandbox serves); a code missing from
            # the table is refused by the flow naming it.
            None,
        ),
    )


@dataclass(frozen=True)
class BillPolicy(DocumentStatuses):
    """Which JDE documents become bills (``jde.document_statuses``), and the due-date default: settings,
    since status codes and terms are each customer's own."""

    default_net_days: int  # an order with no terms at all
    companies: frozenset[str] = frozenset()  # the JDE companies sent (five digits); empty: every one

    @classmethod
    def of(cls, it: Instance) -> "BillPolicy":
        """The instance's policy as its settings say now."""
        return cls(
            it.setting("po_approved_status"),
            it.setting("po_closed_status"),
            frozenset(it.setting("voucher_pay_statuses")),
            it.setting("default_net_days"),
            frozenset(company_code(c) for c in it.setting("companies")),
        )

    def sends(self, company: object) -> bool:
        """Whether documents of JDE company ``company`` are this instance's to send."""
        return not self.companies or company_code(company) in self.companies


def company_code(company: object) -> str:
    """A JDE company as F4301 KCOO holds it: five digits (``200`` and ``00200`` are one company)."""
    return str(company or "").strip().zfill(5)


class LineCoder:
    """Each bill line's BILL classifications (GL account, department), checked on both sides: the JDE
    account in F0901 and postable, the business unit in F0901, then BILL's ids (``BillLineCoding``)."""

    def __init__(
        self,
        accounts: Mapping[str, str],
        departments: Mapping[str, str],
        gl: GlAccounts,
        chart: Mapping[str, BillClassification],
        bill_departments: Mapping[str, BillClassification],
        tables: BillTables,
    ) -> None:
        self.gl, self.tables = gl, tables
        self.bill = BillLineCoding(
            {k.strip().upper(): v for k, v in accounts.items()},
            {k.strip().upper(): v for k, v in departments.items()},
            chart,
            bill_departments,
            (tables.accounts.variable, tables.departments.variable),
            gl.unit_problem,
            (tables.accounts.name, tables.departments.name),
        )

    def classify(self, account: str | None, business_unit: str, where: str) -> dict[str, str] | Refusal:
        """The classifications of a line charged to ``account`` (None: a stock line) in ``business_unit``,
        or why not, naming the line (``where``) in a finance user's words: an account JDE's F0901 lacks
        or does not post to is the JDE document's to correct (``source_invalid``)."""
        if account is None:
            return self.bill.classified(STOCK_KEY, "stock lines (LNTY:S)", business_unit, where)
        checked = self.gl.postable(account, where)
        if isinstance(checked, str):
            return source_invalid(checked, field="account (F0901)", value=account)
        return self.bill.classified(account.strip().upper(), f"account {account}", business_unit, where)


def net_days(
    codes: Iterable[str | None], terms: Mapping[str, str], policy: BillPolicy, table: MappingTable
) -> int | Refusal:
    """Net days of the first terms code given (the order's PTC, then the supplier's TRAP) in ``terms``
    (``table``'s snapshot), or why none:
    no code at all takes the default (a setting); a code missing from the table is refused
    (``mapping_missing``), since a guessed due date could have the bill paid early or late."""
    for code in codes:
        text = str(code or "").strip()
        if text:
            days = terms.get(text)
            if days is None:
                said = f"payment terms {text} have no net days in the terms mapping table ({table.variable})"
                return mapping_missing(said, table=table.name, what="payment terms", value=text)
            return int(days)
    return policy.default_net_days
