"""Procore documents read live while a flow maps them for an ERP, in their company's session: a 404 is a
refusal naming what could not be read (a replay tries again), an outage fails the step (rerun)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Rejected
from connector_assets.procore.document_fields import document_label, project_label
from connector_assets.runtime.run_reads import RunReads
from connector_resources.procore.errors import ProcoreDataError, ProcoreNotFoundError, ProcorePermissionError
from connector_resources.procore.order_lines import ProcoreLinesUnavailableError
from connector_resources.refusals import Refusal, source_invalid
from connector_resources.said import Said, said


class ProjectLabels:
    """Project names for messages (a change order names only its project id): every project the session
    reads, listed once (``ProcoreSession.projects``: pages of 1,000, kept by the session) on the first ask;
    one the list does not name (configured project ids list no names) read by id, once."""

    def __init__(self, session: Any, names: dict[str, str] | None = None) -> None:
        self.session = session
        self.names: dict[str, str] = {} if names is None else names  # a run's (``Kept.project_names``)
        self.listed = bool(self.names)

    def __call__(self, project_id: str) -> str:
        if not self.listed:
            self.listed = True
            try:
                projects = self.session.projects()
            except (ProcoreNotFoundError, ProcorePermissionError):
                projects = []
            self.names.update(
                {str(p["id"]): project_label({"project": p}) for p in projects if p.get("name")}
            )
        if project_id not in self.names:
            try:
                self.names[project_id] = project_label({"project": self.session.get("projects", project_id)})
            except (ProcoreNotFoundError, ProcorePermissionError):
                self.names[project_id] = ""  # the label only names the project in messages
        return self.names[project_id]


def commitment_with_lines(
    session: Any, commitment_id: str, project_id: int | None, erp: str, read: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str, list[dict[str, Any]]] | Rejected:
    """A commitment (``read`` when the caller has it already, else read by id), its project id and its
    schedule of values, or the refusal naming what cannot be read."""
    try:
        commitment = (
            read if read is not None else session.get("commitments", commitment_id, project_id=project_id)
        )
    except ProcoreNotFoundError as exc:
        sentence = (
            f"commitment {commitment_id} of project {project_id or '(unknown)'} cannot be read from Procore "
            f"({exc}); check the service account's access to the project, then replay"
        )
        access = Refusal("configuration", sentence, {"system": "Procore", "setting": "project access"})
        return Rejected.of(commitment_id, access, {"project_id": str(project_id or "")})
    project = str(commitment.get("_project_id") or project_id or "")
    kind = commitment.get("_commitment_type") or commitment.get("type")
    try:
        lines = list(session.commitment_lines(int(project), commitment_id, kind))
    except ProcoreNotFoundError as exc:  # an outage fails the step instead (rerun)
        sentence = (
            f"{document_label('commitment', commitment)} on project {project}: its schedule of values cannot "
            f"be read from Procore ({exc}); nothing was sent to {erp}"
        )
        unread = source_invalid(sentence, field="schedule of values")
        return Rejected.of(commitment_id, unread, {"project_id": project})
    return commitment, project, lines


def schedule_of_values(
    session: Any, commitment_id: str, project_id: int, kind: str | None, erp: str
) -> list[dict[str, Any]] | Rejected:
    """A commitment's schedule of values, or the refusal naming what cannot be read. With its kind known,
    one read at that kind's path; without it (or a 404 there) the commitment is read first, which tries the
    purchase order path and then the work order one: a 404 for every work order contract."""
    if kind:
        try:
            return list(session.commitment_lines(project_id, commitment_id, kind))
        except ProcoreNotFoundError:
            pass
    read = commitment_with_lines(session, commitment_id, project_id, erp)
    return read if isinstance(read, Rejected) else read[2]


def change_order_lines(
    session: Any,
    change_order: Mapping[str, Any],
    erp: str,
    mode: str = "lines",
    commitment_type: str | None = None,
    *,
    mode_setting: str,
) -> tuple[str, str, list[dict[str, Any]] | None] | Rejected:
    """A change order's project id, commitment id and line items (None: add it as its ``grand_total``,
    ``mode``: the integration's ``mode_setting``), or the refusal naming what cannot be read."""
    change_order_id = str(change_order.get("id") or "")
    project = str(change_order.get("_project_id") or change_order.get("project_id") or "")
    commitment_id = str(change_order.get("contract_id") or "")
    refused = {"project_id": project}
    label = document_label("change order", change_order)
    if not project.isdigit() or not commitment_id.isdigit():
        sentence = (
            f"{label} names no project or commitment (contract_id); it cannot be added to a {erp} order"
        )
        return Rejected.of(change_order_id, source_invalid(sentence, field="contract_id"), refused)
    if mode == "total":
        return project, commitment_id, None
    try:
        # The change order's contract_id (reference §2.6) is the commitment whose lines a change order line
        # may point at: passed, so a line without its own cost code costs no read of the change order again.
        lines = list(
            session.change_order_lines(
                int(project), change_order_id, commitment_id=commitment_id, commitment_type=commitment_type
            )
        )
    except ProcoreLinesUnavailableError as exc:
        if mode == "auto":
            return project, commitment_id, None
        sentence = (
            f"{label} of commitment {commitment_id} on project {project}: its line items cannot be read from "
            f"Procore ({exc}); nothing was added to the {erp} order. Set {mode_setting} "
            "to auto or total to add it as one line of its grand_total, then replay"
        )
        setting = {"system": "Procore", "setting": mode_setting}
        return Rejected.of(change_order_id, Refusal("configuration", sentence, setting), refused)
    except (ProcoreNotFoundError, ProcoreDataError) as exc:  # an outage fails the step instead (rerun)
        sentence = (
            f"{label} of commitment {commitment_id} on project {project}: its line items cannot be read from "
            f"Procore ({exc}); nothing was added to the {erp} order"
        )
        return Rejected.of(change_order_id, source_invalid(sentence, field="line items"), refused)
    return project, commitment_id, lines


def payment_due(requisition: Mapping[str, Any]) -> Any:
    """``summary.current_payment_due`` as Procore sent it, None when absent or blank."""
    summary = requisition.get("summary")
    due = summary.get("current_payment_due") if isinstance(summary, Mapping) else None
    return None if due is None or str(due).strip() == "" else due


@dataclass
class Kept:
    """What one company's reads keep for a run (records, schedules, lines, cost codes, project names), so a
    backfill reads each once, not once a day or a step that names it."""

    commitments: dict[str, Any] = field(default_factory=dict)
    schedules: dict[str, Any] = field(default_factory=dict)
    vendors: dict[str, Any] = field(default_factory=dict)
    vendors_listed: set[str] = field(default_factory=set)  # asked of the list (one it hides: read by id)
    requisition_lines: dict[str, Any] = field(default_factory=dict)
    cost_codes: dict[int, Any] = field(default_factory=dict)
    commitment_lines: dict[tuple[int, int], Any] = field(default_factory=dict)
    project_names: dict[str, str] = field(default_factory=dict)
    # project id -> commitment id -> its requisitions (``commitment_requisitions.requisition_statuses``)
    requisition_statuses: dict[int, dict[str, Any]] = field(default_factory=dict)
    # change orders as the run's staged lists gave them, by id: a pull's release maps them again unread
    change_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    # company id -> its permitted projects, listed once a run (``ProcoreSession.keep_projects_in``)
    listed_projects: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


_kept: RunReads[dict[int, Kept]] = RunReads(dict)


def step_kept(context: Any, company: int) -> Kept:
    """The reads the run of ``context`` keeps in ``company`` (no run, a test's: kept nowhere)."""
    kept = _kept.of(context)
    return Kept() if kept is None else kept.setdefault(int(company), Kept())


def run_kept(run_id: str, company: int) -> Kept:
    """The reads run ``run_id`` keeps in ``company`` (a source step's, which knows its run by id)."""
    return _kept(run_id).setdefault(int(company), Kept())


def kept_session(session: Any, kept: Kept) -> Any:
    """``session`` keeping its cost codes, commitment lines (``OrderLineReads.keep_in``) and project list
    (``ProcoreSession.keep_projects_in``) in ``kept``."""
    keep_in = getattr(session, "keep_in", None)
    if keep_in is not None:
        keep_in(kept.cost_codes, kept.commitment_lines)
    keep_projects_in = getattr(session, "keep_projects_in", None)
    if keep_projects_in is not None:
        keep_projects_in(kept.listed_projects)
    return session


class RequisitionReads:
    """What a step reads for its requisitions on one Procore session: each commitment and vendor once (by
    list first, ``commitments_ahead``, ``vendors_ahead``), a requisition's payment due and lines; why one
    cannot be read is a ``Said``."""

    erp = "JDE"  # what the refusals say was not sent

    def __init__(self, session: Any, kept: Kept | None = None) -> None:
        self.kept = kept or Kept()
        self.session = kept_session(session, self.kept)
        self.commitments: dict[str, dict[str, Any] | Said] = self.kept.commitments
        self.vendors: dict[str, dict[str, Any] | None] = self.kept.vendors

    def commitments_ahead(
        self, by_project: Mapping[int, Iterable[str]], kinds: Mapping[str, Any] | None = None
    ) -> None:
        """The commitments not read yet, read by list, project by project (``filters[id][]``, reference
        §2.4; ``kinds``: the type of those whose type is known, only its list asked). A project whose list
        is refused (404 / 403) is left to the reads by id, which word why."""
        for project_id, ids in by_project.items():
            wanted = [i for i in dict.fromkeys(ids) if i and i not in self.commitments]
            if not wanted:
                continue
            try:
                self.commitments.update(
                    self.session.get_many("commitments", wanted, project_id=project_id, kinds=kinds)
                )
            except (ProcoreNotFoundError, ProcorePermissionError):
                continue

    def vendors_ahead(self, vendor_ids: Iterable[str]) -> None:
        """The vendors not read yet, read by list (``filters[id][]``, reference §2.3), each asked once a run;
        an inactive vendor the list does not show is read by id when asked."""
        listed = self.kept.vendors_listed
        wanted = [v for v in dict.fromkeys(vendor_ids) if v and v not in self.vendors and v not in listed]
        if wanted:
            listed.update(wanted)
            self.vendors.update(self.session.get_many("vendors", wanted))

    def commitment(self, commitment_id: str, project_id: int | None) -> dict[str, Any] | Said:
        """The commitment, or why it cannot be read (the service account's access to its project)."""
        if commitment_id not in self.commitments:
            try:
                self.commitments[commitment_id] = self.session.get(
                    "commitments", commitment_id, project_id=project_id
                )
            except ProcoreNotFoundError as exc:
                sentence = (
                    f"its commitment {commitment_id} cannot be read from Procore ({exc}); check the service "
                    "account's access to the project, then replay"
                )
                access = {"system": "Procore", "setting": "project access"}
                self.commitments[commitment_id] = said(Refusal("configuration", sentence, access))
        return self.commitments[commitment_id]

    def vendor(self, vendor_id: str) -> dict[str, Any] | None:
        """The vendor, None when Procore has no such vendor."""
        if vendor_id not in self.vendors:
            try:
                self.vendors[vendor_id] = self.session.get("vendors", vendor_id)
            except ProcoreNotFoundError:
                self.vendors[vendor_id] = None
        return self.vendors[vendor_id]

    def with_payment_due(self, requisition: dict[str, Any], project_id: int) -> dict[str, Any] | Said:
        """The requisition with its ``summary.current_payment_due`` (reference §2.5), the only documented
        confirmation of the amount payable, or why it has none. A list may leave ``summary`` out, so a staged
        record without it is read again by id; one that still states none is refused."""
        if payment_due(requisition) is not None:
            return requisition
        requisition_id = str(requisition.get("id"))
        try:
            read = self.session.get("requisitions", requisition_id, project_id=project_id)
        except ProcoreNotFoundError as exc:
            sentence = (
                f"requisition {requisition_id} cannot be read from Procore ({exc}); nothing was sent to "
                f"{self.erp}"
            )
            return said(source_invalid(sentence, field="requisition", value=requisition_id))
        if payment_due(read) is not None:
            return {**requisition, "summary": read["summary"]}
        sentence = (
            f"requisition {requisition_id}: Procore states no current payment due for it "
            "(summary.current_payment_due), so the voucher's amount cannot be checked against Procore's own "
            f"figure; nothing was sent to {self.erp}. Check the invoice in Procore, then replay"
        )
        return said(source_invalid(sentence, field="summary.current_payment_due"))

    def lines(
        self, requisition_id: str, project_id: int, change_orders: bool = True
    ) -> list[dict[str, Any]] | Said:
        """The requisition's lines (with its change order items: ``change_orders``), or why not."""
        kept = self.kept.requisition_lines
        if requisition_id not in kept:
            try:
                less = {} if change_orders else {"change_orders": False}
                read = self.session.requisition_lines(project_id, requisition_id, **less)
                kept[requisition_id] = list(read)
            except ProcoreNotFoundError as exc:  # an outage fails the step instead (rerun)
                sentence = (
                    f"requisition {requisition_id}: its lines cannot be read from Procore ({exc}); nothing "
                    f"was sent to {self.erp}"
                )
                kept[requisition_id] = said(source_invalid(sentence, field="requisition lines"))
        return kept[requisition_id]

    def read(
        self, requisition: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], int, list[dict[str, Any]]] | Said:
        """What a requisition is mapped with: itself (with its payment due), its commitment, its project id
        and its lines; or why it cannot be read, in words that start with the requisition (with its kind)."""
        requisition_id = str(requisition.get("id"))
        project = requisition.get("_project_id") or requisition.get("project_id")
        project_id = int(project) if project is not None and str(project).isdigit() else None
        commitment_id = str(requisition.get("commitment_id") or "")
        if not commitment_id:
            sentence = f"requisition {requisition_id} names no commitment"
            return said(source_invalid(sentence, field="commitment_id"))
        commitment = self.commitment(commitment_id, project_id)
        if isinstance(commitment, Said):
            return Said(commitment.refusal, f"requisition {requisition_id}: {commitment}")
        project_id = project_id or int(commitment.get("_project_id") or 0) or None
        if project_id is None:
            sentence = f"requisition {requisition_id}: its project is unknown"
            return said(source_invalid(sentence, field="project_id"))
        requisition = self.with_payment_due(requisition, project_id)
        if isinstance(requisition, Said):
            return requisition
        lines = self.lines(requisition_id, project_id, has_change_orders(commitment))
        return lines if isinstance(lines, Said) else (requisition, commitment, project_id, lines)


def has_change_orders(commitment: Mapping[str, Any]) -> bool:
    """Whether its ``approved_change_orders`` (reference §2.4) is not zero or unsaid: an invoice bills only
    approved ones (one missed is refused, the lines falling short of ``current_payment_due``)."""
    approved = amounts.amount(commitment.get("approved_change_orders"))
    return approved is None or approved != 0
