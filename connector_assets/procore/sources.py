"""Procore's source steps: every configured company read in one step, staged as one partition.

Why one step for all companies rather than one asset per company: the staged asset is what the flows
read (``procore/commitments`` etc.), and Procore's limits are per app, not per company (reference §3),
so parallel per-company steps would only compete for the same budget. Each company is read through its
own session (its ``Procore-Company-Id``, its token, its permitted projects); the sessions share the
app's in-flight cap and rate pacer (``connector_resources.procore.ratelimit.shared_pacer``).

* Every staged record carries ``_procore_company_id`` (int): the company it was read from. Record keys
  stay the Procore id (ids are unique across companies); the same id from two companies in one read
  fails the step rather than merging two records (``saas.unique_rows`` with one ``seen`` set).
* All or nothing per partition (or per backfill window): the companies' rows go through one staged write,
  so a company that fails (403: the app was uninstalled there; 5xx after the client's retries) fails the
  step naming the company and leaves the staged files as they were. Cursors move only after the write.
* One cursor per company for the current day (``cursor_stream``): the cursor is the last change stamp
  *seen*, so a company added today, or one quiet since the morning, must not start from another's (it
  would skip records). A company with no cursor for today is read whole for the day and merged. With one
  company the cursor key is the entity name, as it always was.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from connector_assets.runtime.incremental import (
    DayRead,
    Stream,
    _coerced,
    _merge,
    _replace,
    read_window,
    since_cursor,
)
from connector_assets.runtime.staging import StagingResource
from connector_assets.saas.entities import SaasEntity, day_window, midnight, overlap, stream_of, unique_rows
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreError, ProcoreResource, ProcoreSession
from connector_resources.procore.companies import CompanySessions, company_error

COMPANY_FIELD = "_procore_company_id"


def cursor_stream(entity: str, company_id: int, companies: tuple[int, ...]) -> str:
    """The ledger cursor of ``entity`` for ``company_id``: the entity name alone when one company is
    configured (the key single-company deployments always had), ``<entity>@<company id>`` for each
    company when several are. Every company is suffixed then, not "all but the first", so reordering
    the list never hands one company another's cursor (the cursor is the last change *seen* in that
    company: inheriting a busier company's would skip records)."""
    return entity if len(companies) == 1 else f"{entity}@{company_id}"


def _company_records(
    sessions: CompanySessions, company_id: int, read: Any, spec: SaasEntity, seen: set[str]
) -> Iterator[dict[str, Any]]:
    """The staged rows of one company: its records tagged with the company, checked for unique keys
    across every company of the read; a Procore failure names the company."""

    def tagged() -> Iterator[dict[str, Any]]:
        try:
            session = sessions.session(company_id)
            for record in read(session):
                record[COMPANY_FIELD] = company_id
                yield record
        except ProcoreError as exc:
            named = company_error(company_id, exc)
            if named is exc:
                raise
            raise named from exc

    return unique_rows(spec, tagged(), seen)


def _day_reader(entity: str, day: date, since: datetime | None):
    start, end = day_window(day, since)

    def read(session: ProcoreSession) -> Iterator[dict[str, Any]]:
        return session.iter_changed(entity, start, end)

    return read


def _range_reader(entity: str, first: date, end: date):
    start, stop = midnight(first), midnight(end)

    def read(session: ProcoreSession) -> Iterator[dict[str, Any]]:
        return session.iter_changed(entity, start, stop)

    return read


def read_companies_day(
    spec: SaasEntity,
    stream: Stream,
    sessions: CompanySessions,
    staging: StagingResource,
    ledger: Ledger,
    *,
    day: date,
    today: date,
    overlap: timedelta,
    run_id: str,
) -> DayRead:
    """One day partition over every company (``connector_assets.runtime.incremental.read_day``'s rules, with
    the current-day cursor kept per company). Past days, and today before any company has a cursor,
    are read whole for every company and replace the file; otherwise each company is read from its
    own cursor less the overlap (whole day if it has none) and merged into the file."""
    companies = sessions.companies
    partition = day.isoformat()
    names = {c: cursor_stream(stream.name, c, companies) for c in companies}
    since: dict[int, datetime | None] = dict.fromkeys(companies)
    if day == today and staging.exists(stream.asset, partition):
        for company in companies:
            cursor = ledger.get_cursor(stream.integration, names[company])
            since[company] = since_cursor(cursor, day, overlap)
    incremental = any(value is not None for value in since.values())
    per_company = {c: DayRead(day, "incremental" if since[c] else "whole day") for c in companies}
    seen: set[str] = set()

    def rows() -> Iterator[dict[str, Any]]:
        for company in companies:
            records = _company_records(
                sessions, company, _day_reader(spec.entity, day, since[company]), spec, seen
            )
            yield from _coerced(stream, records, per_company[company], ledger, run_id)

    if incremental:
        _merge(stream, partition, rows(), staging)
    else:
        _replace(stream, partition, rows(), staging)
    if day == today:
        for company, read in per_company.items():
            if read.last is not None:
                ledger.advance_cursor(stream.integration, names[company], read.last.isoformat())
    return _combined(day, per_company, incremental)


def _combined(day: date, per_company: dict[int, DayRead], incremental: bool) -> DayRead:
    mode = "whole day"
    if incremental:
        whole = [str(c) for c, read in per_company.items() if read.mode == "whole day"]
        mode = "incremental" + (f" (whole day for company {', '.join(whole)})" if whole else "")
    total = DayRead(day, mode)
    for read in per_company.values():
        total.rows += read.rows
        total.rejected += read.rejected
        total.rejected_ids.extend(read.rejected_ids)
        total.saw(read.first)
        total.saw(read.last)
    return total


def read_procore_companies(
    spec: SaasEntity,
    client: ProcoreResource,
    staging: StagingResource,
    book: Ledger,
    days: list[date] | None,
    today: date,
    run_id: str,
) -> tuple[list[DayRead], int, dict[str, Any]]:
    """The Procore ``saas.SourceReader``: every configured company, each through its own session."""
    stream = stream_of(spec)
    with client.company_sessions() as sessions:
        updated_field = "none (read whole)" if days is None else ProcoreSession.updated_field(spec.entity)

        def fetch(_day: date | None, _since: datetime | None) -> Iterator[dict[str, Any]]:
            seen: set[str] = set()
            for company in sessions.companies:
                yield from _company_records(sessions, company, lambda s: s.iter_all(spec.entity), spec, seen)

        def fetch_range(first: date, end: date) -> Iterator[dict[str, Any]]:
            seen: set[str] = set()
            for company in sessions.companies:
                read = _range_reader(spec.entity, first, end)
                yield from _company_records(sessions, company, read, spec, seen)

        def one_day(day: date) -> DayRead:
            return read_companies_day(
                spec, stream, sessions, staging, book, day=day, today=today, overlap=overlap(), run_id=run_id
            )

        reads = read_window(
            stream, staging, book, days, today=today, run_id=run_id, fetch=fetch, fetch_range=fetch_range,
            read_one_day=one_day,
        )  # fmt: skip
        extra = {
            "updated_field": updated_field,
            "procore_companies": ", ".join(str(c) for c in sessions.companies),
            **sessions.metrics.as_metadata(),
        }
        return reads, sessions.pages, extra
