"""Procore records read live by id, each once per run and each in its own company, for any integration
that compares or completes what it staged: a requisition's lines, a commitment and its schedule of values,
a project's commitment change orders and their lines (where this Procore serves them), vendors by id.

A read that fails is returned as the reason (a string), so one unreadable record becomes one difference in a
report, not a failed step.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connector_assets.flows.reconciliation_calls import CallCounts
from connector_assets.procore.companies import record_company
from connector_resources.procore.entities import API
from connector_resources.procore.errors import ProcoreError, ProcoreNotFoundError
from connector_resources.procore.order_lines import ProcoreLinesUnavailableError

ID_BATCH = 100  # vendor ids per Procore list call (filters[id][])


@contextmanager
def counted_companies(procore: Any, report: CallCounts) -> Iterator[Any]:
    """Procore's ``CompanySessions`` (one session per company, opened on first use), every company's
    calls added to the report's count for ``procore``."""
    with procore.company_sessions() as sessions:
        try:
            yield sessions
        finally:
            report.calls["procore"] += sessions.metrics.calls


class ProcoreReads:
    """Procore records read live, each once per run (commitments, their lines, each project's change
    orders and the approved ones' lines, vendors), each in its own company: ``sessions`` is the step's
    ``CompanySessions``; a project's company is learnt from the staged records naming it (``learn``), a
    vendor's from the staged vendor, its commitment or the ledger (``vendor_companies``); none known: the
    first company (``default_company``), as for records staged before several companies."""

    def __init__(self, sessions: Any, default_company: int) -> None:
        self.sessions, self.default_company = sessions, default_company
        self.project_companies: dict[str, int] = {}
        self.vendor_companies: dict[str, int] = {}
        self.commitments: dict[str, dict[str, Any] | str] = {}
        self.lines: dict[str, list[dict[str, Any]] | str] = {}
        self.project_change_orders: dict[str, list[dict[str, Any]] | str] = {}

    def learn(self, record: Mapping[str, Any]) -> None:
        """The company of the project a staged record (requisition, change order) names."""
        project = record.get("_project_id") or record.get("project_id")
        if project is not None:
            self.project_companies.setdefault(str(project), record_company(record, self.default_company))

    def session(self, project_id: Any = None) -> Any:
        """The session of the project's company (no project: the first company's)."""
        company = self.project_companies.get(str(project_id), self.default_company)
        return self.sessions.session(company)

    def requisition_lines(self, project_id: str, requisition_id: str) -> list[dict[str, Any]] | str:
        try:
            return list(self.session(project_id).requisition_lines(int(project_id), requisition_id))
        except ProcoreError as exc:
            return f"its lines cannot be read from Procore ({exc})"

    def commitment(self, commitment_id: str, project_id: str | None) -> dict[str, Any] | str:
        if commitment_id not in self.commitments:
            try:
                self.commitments[commitment_id] = self.session(project_id).get(
                    "commitments", commitment_id, project_id=int(project_id) if project_id else None
                )
            except ProcoreError as exc:
                self.commitments[commitment_id] = f"it cannot be read from Procore ({exc})"
            found = self.commitments[commitment_id]
            vendor = found.get("vendor") if isinstance(found, dict) else None
            if isinstance(vendor, Mapping) and vendor.get("id") is not None:  # a commitment's vendor is
                company = self.project_companies.get(str(project_id), self.default_company)  # its company's
                self.vendor_companies.setdefault(str(vendor["id"]), company)
        return self.commitments[commitment_id]

    def commitment_lines(self, commitment: Mapping[str, Any], project_id: str) -> list[dict[str, Any]] | str:
        cid = str(commitment.get("id"))
        if cid not in self.lines:
            kind = str(commitment.get("_commitment_type") or commitment.get("type") or "")
            try:
                self.lines[cid] = list(self.session(project_id).commitment_lines(int(project_id), cid, kind))
            except (ProcoreError, ValueError) as exc:
                self.lines[cid] = f"its schedule of values cannot be read from Procore ({exc})"
        return self.lines[cid]

    def change_orders(self, project_id: str) -> list[dict[str, Any]] | str:
        """The project's commitment change orders (one call: Procore does not page this list)."""
        if project_id not in self.project_change_orders:
            try:
                self.project_change_orders[project_id] = list(
                    self.session(project_id).rows_of(
                        f"{API}/projects/{int(project_id)}/commitment_change_orders",
                        {},
                        what=f"list commitment change orders of project {project_id}",
                        paginated=False,
                    )
                )
            except ProcoreError as exc:
                self.project_change_orders[project_id] = f"they cannot be read from Procore ({exc})"
        return self.project_change_orders[project_id]

    def change_order_lines(
        self, project_id: str, change_order: Mapping[str, Any]
    ) -> list[dict[str, Any]] | str | None:
        """A change order's line items (REST v2.0, not in the reference); None when this Procore has no
        line items for it (``ProcoreLinesUnavailableError``: the caller compares its ``grand_total``,
        reference §2.6); why, when they cannot be read otherwise."""
        try:
            return list(
                self.session(project_id).change_order_lines(
                    int(project_id),
                    change_order["id"],
                    commitment_id=change_order.get("contract_id"),
                )
            )
        except ProcoreLinesUnavailableError:
            return None
        except ProcoreError as exc:
            return f"its lines cannot be read from Procore ({exc})"

    def vendors(self, vendor_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """Vendor id -> its record, None when Procore has no such vendor (404 on a read by id), each read
        in its company. Active vendors come 100 to a list call; one the list does not show (inactive) is
        read by id."""
        by_company: dict[int, list[str]] = defaultdict(list)
        for vendor_id in sorted({v for v in vendor_ids if str(v).isdigit()}, key=int):
            by_company[self.vendor_companies.get(vendor_id, self.default_company)].append(vendor_id)
        found: dict[str, dict[str, Any] | None] = {}
        for company, wanted in by_company.items():
            session = self.sessions.session(company)
            for start in range(0, len(wanted), ID_BATCH):
                batch = wanted[start : start + ID_BATCH]
                rows = session.rows_of(
                    f"{API}/vendors",
                    {"company_id": session.company_id, "filters[id][]": [int(v) for v in batch]},
                    what=f"list {len(batch)} vendors by id",
                )
                found.update({str(r["id"]): r for r in rows if str(r.get("id")) in batch})
            for vendor_id in wanted:
                if vendor_id in found:
                    continue
                try:
                    found[vendor_id] = session.get("vendors", vendor_id)
                except ProcoreNotFoundError:
                    found[vendor_id] = None
        return found
