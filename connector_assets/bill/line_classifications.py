"""A bill line's BILL classifications (chart-of-accounts id, department id) from an integration's two
mapping tables, each id checked in BILL's staged snapshots (``classifications``) before anything is sent.

The integration checks its own side first (``unit_problem``) and names its tables in the refusals. Pure
once built (the mapper calls it, no I/O); a line it cannot classify is a refusal as data (``classified``)
whose kind says which side is wrong.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connector_assets.bill.classifications import BillClassification, classification_problem
from connector_resources.refusals import Refusal, mapping_missing, master_missing, source_invalid


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
    settings naming the two tables (the refusals' words), ``names`` the tables' names where people see them
    (their asset paths, a refusal's ``table``; the settings when not given), ``unit_problem`` why the
    source system has no such business unit."""

    accounts: Mapping[str, str]
    departments: Mapping[str, str]
    chart: Mapping[str, BillClassification]
    bill_departments: Mapping[str, BillClassification]
    tables: tuple[str, str]
    unit_problem: Callable[[str, str], str | None] = lambda unit, where: None
    names: tuple[str, str] | None = None

    def classify(self, key: str, shown: str, business_unit: str, where: str) -> dict[str, str] | str:
        """``classified`` with a refusal given as its sentence."""
        coded = self.classified(key, shown, business_unit, where)
        return coded.sentence if isinstance(coded, Refusal) else coded

    def classified(self, key: str, shown: str, business_unit: str, where: str) -> dict[str, str] | Refusal:
        """``{"chartOfAccountId", "departmentId"}`` for a line charged to account ``key`` (``shown`` as a
        finance user reads it) in ``business_unit``, or why not, naming the line (``where``)."""
        chart_id, problem = self._mapped(False, key, shown, where)
        if problem:
            return problem
        unit = business_unit.strip().upper()
        if not unit:
            said = f"{where} has no business unit to take the BILL department from"
            return source_invalid(said, field="business unit")
        said = self.unit_problem(unit, where)
        if said:
            return source_invalid(said, field="business unit", value=unit)
        department_id, problem = self._mapped(True, unit, f"business unit {unit}", where)
        return problem or {"chartOfAccountId": chart_id, "departmentId": department_id}

    def _mapped(self, department: bool, key: str, shown: str, where: str) -> tuple[str, Refusal | None]:
        """The BILL id the account (or ``department``) table maps ``key`` to, and why it cannot classify the
        line (None when it can): not in the table, not in BILL, or archived there."""
        index = 1 if department else 0
        table, known, what, kind = (
            (self.departments, self.bill_departments, "department", "department")
            if department
            else (self.accounts, self.chart, "chart-of-accounts", "account")
        )
        setting = self.tables[index]
        bill_id = table.get(key)
        if bill_id is None:
            said = f"{shown} has no BILL {what} id in the {kind} mapping table ({setting}; {where})"
            name = (self.names or self.tables)[index]
            return "", mapping_missing(
                said, table=name, what="business unit" if department else kind, value=key
            )
        said = classification_problem(known, bill_id, what, f"mapped from {shown}", where)
        if said is None:
            return bill_id, None
        return bill_id, master_missing(said, system="bill", what=f"{what} id", value=bill_id)
