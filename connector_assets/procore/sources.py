"""Procore's source steps: every configured company read in one step, staged as one partition (Procore's
limits are per app, reference §3: per-company steps would compete for one budget). All or nothing per
partition, one cursor per company: docs/integrations/procore_jde.md, "Several companies"."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from connector_assets.procore.document_reads import kept_session, run_kept
from connector_assets.runtime.incremental import DayRead
from connector_assets.saas.entities import SourceRead, read_sessions
from connector_resources.procore import ProcoreError, ProcoreResource, ProcoreSession
from connector_resources.procore.companies import CompanySessions, company_error

COMPANY_FIELD = "_procore_company_id"


def cursor_stream(entity: str, company_id: int, companies: tuple[int, ...]) -> str:
    """The ledger cursor of ``entity``: its name alone for one company, ``<entity>@<company id>`` for every
    company when several are (reordering the list never hands one company another's cursor)."""
    return entity if len(companies) == 1 else f"{entity}@{company_id}"


class _CompanySession:
    """One company's session as the SaaS reader reads it: its records tagged with the company, a
    Procore failure naming the company."""

    def __init__(self, sessions: CompanySessions, company_id: int, run_id: str | None = None) -> None:
        self.sessions, self.company_id, self.run_id = sessions, company_id, run_id

    def iter_all(self, entity: str) -> Iterator[dict[str, Any]]:
        return self._tagged(lambda session: session.iter_all(entity))

    def iter_changed(self, entity: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        return self._tagged(lambda session: session.iter_changed(entity, start, end))

    def _tagged(self, read: Callable[[ProcoreSession], Iterable[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        session = self.sessions.session(self.company_id)
        if self.run_id is not None:  # the run's project list: one call a run, not one a project-scoped step
            kept_session(session, run_kept(self.run_id, self.company_id))
        try:
            for record in read(session):
                record[COMPANY_FIELD] = self.company_id
                yield record
        except ProcoreError as exc:
            named = company_error(self.company_id, exc)
            if named is exc:
                raise
            raise named from exc


def _combined(day: date, per_company: dict[int, DayRead]) -> DayRead:
    mode = "whole day"
    if any(read.mode == "incremental" for read in per_company.values()):
        whole = [str(c) for c, read in per_company.items() if read.mode == "whole day"]
        mode = "incremental" + (f" (whole day for company {', '.join(whole)})" if whole else "")
    total = DayRead(day, mode)
    for read in per_company.values():
        total.rows += read.rows
        total.rejected += read.rejected
        total.saw(read.first)
        total.saw(read.last)
    return total


def read_procore_companies(
    read: SourceRead, client: ProcoreResource
) -> tuple[list[DayRead], int, dict[str, Any]]:
    """The Procore ``saas.SourceReader``: every configured company, each through its own session."""
    with client.company_sessions() as sessions:
        companies = sessions.companies
        feeds = {
            cursor_stream(read.spec.entity, c, companies): _CompanySession(sessions, c, read.run_id)
            for c in companies
        }

        def combined(day: date, reads: dict[str, DayRead]) -> DayRead:
            return _combined(day, {feeds[name].company_id: one for name, one in reads.items()})

        reads = read_sessions(read, feeds, combine=combined)
        extra = {
            "updated_field": read.updated_field(ProcoreSession),
            "procore_companies": ", ".join(str(c) for c in companies),
            **sessions.metrics.as_metadata(),
        }
        return reads, sessions.pages, extra


# What the SaaS source steps read Procore with (``connector_assets.saas``): every company in one step.
READER = read_procore_companies
