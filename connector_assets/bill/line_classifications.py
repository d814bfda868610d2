"""A bill line's BILL classifications (chart-of-accounts id, department id) from an integration's two
mapping tables, checked on BILL's side before anything is sent: each id in BILL and not archived (the
staged ``bill/chart_of_accounts`` / ``bill/departments``, ``classifications``).

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
        chart_id, problem = self._mapped(False, key, shown, where)
        if problem:
            return problem
        unit = business_unit.strip().upper()
        if not unit:
            return f"{where} has no business unit to take the BILL department from"
        problem = self.unit_problem(unit, where)
        if problem:
            return problem
        department_id, problem = self._mapped(True, unit, f"business unit {unit}", where)
        return problem or {"chartOfAccountId": chart_id, "departmentId": department_id}

    def _mapped(self, department: bool, key: str, shown: str, where: str) -> tuple[str, str | None]:
        """The BILL id the account (or ``department``) table maps ``key`` to, and why it cannot classify the
        line (None when it can): not in the table, not in BILL, or archived there."""
        table, known, what, kind, setting = (
            (self.departments, self.bill_departments, "department", "department", self.tables[1])
            if department
            else (self.accounts, self.chart, "chart-of-accounts", "account", self.tables[0])
        )
        bill_id = table.get(key)
        if bill_id is None:
            return "", f"{shown} has no BILL {what} id in the {kind} mapping table ({setting}; {where})"
        return bill_id, classification_problem(known, bill_id, what, f"mapped from {shown}", where)
