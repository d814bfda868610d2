"""Procore records a reconciliation reads live, each once per run in its own company (commitments and
vendors by list, reference §2.3-§2.4, the rest by id); a read that fails is returned as its reason, so one
unreadable record becomes one difference in a report, not a failed step."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connector_assets.flows.reconciliation_calls import CallCounts
from connector_assets.procore.companies import listed_vendors, record_company
from connector_resources.procore.entities import API
from connector_resources.procore.errors import ProcoreError, ProcoreNotFoundError
from connector_resources.procore.order_lines import ProcoreLinesUnavailableError


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
    """Procore records read live, each once per run, each in its own company (``sessions``: the step's
    ``CompanySessions``): a project's learnt from the staged records (``learn``), a vendor's from its
    commitment or the ledger (``vendor_companies``), else the first (``default_company``)."""

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
                found: dict[str, Any] | str = self.session(project_id).get(
                    "commitments", commitment_id, project_id=int(project_id) if project_id else None
                )
            except ProcoreError as exc:
                found = f"it cannot be read from Procore ({exc})"
            self._keep(commitment_id, project_id, found)
        return self.commitments[commitment_id]

    def commitments_ahead(self, records: Iterable[Mapping[str, Any]]) -> None:
        """The commitments staged records name (``commitment_id``, ``contract_id``) read by list per project
        (reference §2.4); one not listed is read by id when asked."""
        wanted: dict[int, list[str]] = defaultdict(list)
        kinds: dict[str, Any] = {}
        for record in records:
            commitment_id = str(record.get("commitment_id") or record.get("contract_id") or "")
            project = str(record.get("_project_id") or record.get("project_id") or "")
            if commitment_id.isdigit() and project.isdigit() and commitment_id not in self.commitments:
                wanted[int(project)].append(commitment_id)
                kinds.setdefault(commitment_id, record.get("commitment_type"))
        for project_id, ids in wanted.items():
            try:
                found = self.session(project_id).get_many(
                    "commitments", ids, project_id=project_id, kinds=kinds
                )
            except ProcoreError:
                continue
            for commitment_id, commitment in found.items():
                self._keep(commitment_id, str(project_id), commitment)

    def _keep(self, commitment_id: str, project_id: str | None, found: dict[str, Any] | str) -> None:
        """A commitment read (or why not); its vendor is its company's."""
        self.commitments[commitment_id] = found
        vendor = found.get("vendor") if isinstance(found, dict) else None
        if isinstance(vendor, Mapping) and vendor.get("id") is not None:
            company = self.project_companies.get(str(project_id), self.default_company)
            self.vendor_companies.setdefault(str(vendor["id"]), company)

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
        wanted = sorted({v for v in vendor_ids if str(v).isdigit()}, key=int)
        companies = {v: self.vendor_companies.get(v, self.default_company) for v in wanted}
        found: dict[str, dict[str, Any] | None] = dict(listed_vendors(self.sessions, companies))
        for vendor_id, company in companies.items():
            if vendor_id not in found:
                try:
                    found[vendor_id] = self.sessions.session(company).get("vendors", vendor_id)
                except ProcoreNotFoundError:
                    found[vendor_id] = None
        return found
