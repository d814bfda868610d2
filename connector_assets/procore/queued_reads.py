"""Procore records a replay reads again: each queued record by id, in the company and project its retry-queue
item names (``companies.queued_companies``, ``staged_documents.queued_projects``), and one reader per
company for a step that reads in several; an integration passes its name and flow."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.core import Rejected
from connector_assets.procore.companies import queued_companies, record_company, tagged
from connector_assets.procore.staged_documents import queued_projects
from connector_resources.ledger import Ledger
from connector_resources.procore.errors import ProcoreNotFoundError
from connector_resources.refusals import Refusal, source_invalid


@dataclass(frozen=True)
class Queued:
    """Where a replay reads each queued record: its company (the first when the item names none) and its
    project (None: unknown)."""

    companies: dict[str, int]
    projects: dict[str, int | None]


def queued(ledger: Ledger, integration: str, flow: str, keys: Iterable[str], default: int) -> Queued:
    wanted = list(keys)
    return Queued(
        queued_companies(ledger, integration, flow, wanted, default),
        queued_projects(ledger, integration, flow, wanted),
    )


def read_queued(
    sessions: Any, entity: str, what: str, keys: Iterable[str], places: Queued
) -> Iterator[tuple[str, int, Any, dict[str, Any] | Rejected]]:
    """Each key read by id in its company and project: (key, company, that company's session, the record,
    or the refusal naming what cannot be read, kept with its company)."""
    for key in keys:
        company = places.companies[key]
        session = sessions.session(company)
        try:
            record = session.get(entity, key, project_id=places.projects.get(key))
        except ProcoreNotFoundError as exc:
            record = tagged(Rejected.of(key, _gone(what, key, exc)), company)
        yield key, company, session, record


class PerCompany:
    """One reader per Procore company (``make(session)``, on that company's session of the step's
    ``CompanySessions``, made on first use): a record is read in its own company (``_procore_company_id``;
    none: ``default``, the first)."""

    def __init__(self, sessions: Any, default: int, make: Callable[[Any], Any]) -> None:
        self.sessions, self.default, self.make = sessions, default, make
        self.readers: dict[int, Any] = {}

    def of(self, company: int) -> Any:
        if company not in self.readers:
            self.readers[company] = self.make(self.sessions.session(company))
        return self.readers[company]

    def __call__(self, record: Mapping[str, Any]) -> tuple[int, Any]:
        company = record_company(record, self.default)
        return company, self.of(company)


def _gone(what: str, key: str, exc: Exception) -> Refusal:
    """A queued record Procore no longer has (or no longer shows the service account): the source's."""
    sentence = f"{what} {key} cannot be read from Procore ({exc})"
    return source_invalid(sentence, field=what, value=key)
