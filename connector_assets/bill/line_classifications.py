"""A bill line's BILL classifications (chart-of-accounts id, department id) from an integration's two
mapping tables, checked on BILL's side before anything is sent: each id in BILL and not archived (the
staged ``bill_chart_of_accounts`` / ``bill_departments``, ``classifications``).

Used by JDE -> BILL bills (``integrations/jde_bill/bill_mappings.py``, ``LineCoder``): the integration
checks its own side first (the account and business unit exist in its system, ``unit_problem``) and names
its tables in the refusals; ``bill_id_check`` checks the tables' BILL ids. Pure once built: the mapper
calls it, no I/O.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connector_assets.bill.classifications import BillClassification, classification_problem


def bill_id_check(prefix: str, what: str) -> Callable[[str], str | None]:
    """A mapping table's check of a BILL ``what`` id (chart-of-accounts ``0ca...``, department ``0de...``):
    ``prefix``, then letters and digits, at most 40 characters."""

    def check(value: str) -> str | None:
        text = value.strip()
        if not text.startswith(prefix) or len(text) > 40 or not text.isalnum():
            return f"a BILL {what} id starts with {prefix} (letters and digits only)"
        return None

    return check


@dataclass(frozen=True)
class BillLineCoding:
    """The account table (source account key -> BILL chart-of-accounts id) and the department table
    (business unit -> BILL department id), keys upper-cased, with BILL's staged ids; ``tables`` are the
    settings naming the two tables, ``unit_problem`` why the source system has no such business unit."""

    accounts: Mapping[str, str]
    departments: Mapping[str, str]
    chart: Mapping[str, BillClassification]
    bill_departments: Mapping[str, BillClassification]
    tables: tuple[str, str]
    unit_problem: Callable[[str, str], str | None] = lambda unit, where: None

    def classify(self, key: str, shown: str, business_unit: str, where: str) -> dict[str, str] | str:
        """``{"chartOfAccountId", "departmentId"}`` for a line charged to account ``key`` (``shown`` as a
        finance user reads it) in ``business_unit``, or why not, naming the line (``where``)."""
        chart_id = self.accounts.get(key)
        if chart_id is None:
            return (
                f"{shown} has no BILL chart-of-accounts id in the account mapping table "
                f"({self.tables[0]}; {where})"
            )
        problem = classification_problem(
            self.chart, chart_id, "chart-of-accounts", f"mapped from {shown}", where
        )
        if problem:
            return problem
        unit = business_unit.strip().upper()
        if not unit:
            return f"{where} has no business unit to take the BILL department from"
        problem = self.unit_problem(unit, where)
        if problem:
            return problem
        department_id = self.departments.get(unit)
        if department_id is None:
            return (
                f"business unit {unit} has no BILL department id in the department mapping table "
                f"({self.tables[1]}; {where})"
            )
        problem = classification_problem(
            self.bill_departments, department_id, "department", f"mapped from business unit {unit}", where
        )
        return problem or {"chartOfAccountId": chart_id, "departmentId": department_id}
