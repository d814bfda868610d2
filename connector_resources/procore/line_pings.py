"""``ml-connector ping``'s Procore line reads: each line endpoint the enabled flows read, proved on a record.

Why apart from ``ProcoreResource.ping``: a record's lines sit behind endpoints of their own (the v2 change
order lines answered 404 on a Procore without that endpoint while ping passed), and which of them must be
proved depends on the flows a deployment enables, which only the flows know (``flows.access``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connector_resources.procore.entities import API
from connector_resources.procore.errors import ProcoreError
from connector_resources.procore.resource import ProcoreResource

# The Procore reads ``ProcoreResource.ping`` makes itself (one small read of each, in every company).
PROCORE_CHECKED_READS = frozenset(
    {
        "vendors",
        "projects",
        "commitments",
        "requisitions",
        "commitment_change_orders",
        "cost_codes",
        "budget_line_items",
    }
)
# The lines of a record, each behind its own endpoint, read by the flows' own session methods
# (``connector_resources.procore.order_lines``). Each needs a record of its parent kind to ask about:
# name -> (parent list path under /rest/v1.0, paged?, how to read that parent's lines).
PROCORE_LINE_READS: dict[str, tuple[str, bool, Callable[[Any, int, int], Any]]] = {
    "commitment_line_items": (
        "purchase_order_contracts",
        True,
        lambda s, pid, cid: s.commitment_lines(pid, cid, "purchase_order_contracts"),
    ),
    "requisition_contract_items": (
        "requisitions",
        True,
        lambda s, pid, rid: list(s.requisition_lines(pid, rid)),
    ),
    # REST v2.0, a different API family: an app may read v1 change orders and still not their lines.
    "commitment_change_order_line_items": (
        "projects/{pid}/commitment_change_orders",
        False,
        lambda s, pid, coid: s.change_order_lines(pid, coid),
    ),
}
PROCORE_PROJECTS_SEARCHED = 5  # projects tried for a record whose lines can be read, per company


def with_line_reads(check: Callable[[], str], reads: Mapping[str, list[str]]) -> Callable[[], str]:
    """The ``procore`` check, then each line read the enabled flows declare (on the first record found
    in the first projects of each company), so ping proves what the mapped steps read: the v2 change
    order lines answered 404 on a Procore without that endpoint, and ping used to pass there. A read a
    flow declares that neither check knows fails ping, naming the flow, rather than going unchecked."""
    lines = {name: flows for name, flows in reads.items() if name not in PROCORE_CHECKED_READS}

    def checked() -> str:
        detail = check()
        if not lines:
            return detail
        unknown = [f"{n} ({', '.join(f)})" for n, f in sorted(lines.items()) if n not in PROCORE_LINE_READS]
        if unknown:
            where = "connector_resources.procore.line_pings"
            raise RuntimeError(f"Procore: no check for the read(s) {'; '.join(unknown)} ({where})")
        return f"{detail}; {procore_line_reads(lines)}"

    return checked


def procore_line_reads(lines: Mapping[str, list[str]], resource: Any = None) -> str:
    """Read the lines of one record for each name in ``lines`` (name -> flows needing it) in every
    company of ``resource`` (a ``ProcoreResource``; default: built from settings); raise a
    ``ProcoreError`` naming each read that failed and its flows. A name with no record to ask about in
    the projects searched is said to be not proved, not failed (a new company may have no change order)."""
    if resource is None:
        resource = ProcoreResource.initialized_from_settings()
    unproved: set[str] = set(lines)
    problems: list[str] = []
    for company in resource.company_ids():
        with resource.session(company) as session:
            for name in sorted(lines):
                parents, paged, read_lines = PROCORE_LINE_READS[name]
                for pid in session.project_ids()[:PROCORE_PROJECTS_SEARCHED]:
                    params = {"project_id": pid, "page": 1, "per_page": 1} if paged else {}
                    what = f"list {parents.format(pid=pid)} of project {pid} (ping)"
                    try:
                        response = session.call(
                            "GET", f"{API}/{parents.format(pid=pid)}", params=params, what=what
                        )
                        first = next(iter(session.decode(response, what) or []), None)
                        if first is None:
                            continue
                        read_lines(session, pid, int(first["id"]))
                    except ProcoreError as exc:
                        problems.append(f"{name} not readable ({exc}): needed by {', '.join(lines[name])}")
                    else:
                        unproved.discard(name)
                    break
    if problems:
        raise ProcoreError("Procore: " + " | ".join(problems))
    read = sorted(set(lines) - unproved)
    note = f"read lines: {', '.join(read)}" if read else "read no lines"
    if unproved:
        searched = f"the first {PROCORE_PROJECTS_SEARCHED} projects of each company"
        note += f"; not proved (no record in {searched}): {', '.join(sorted(unproved))}"
    return note
