"""Several Procore companies under one app: the company list, one session per company, errors that
name the company.

Why this shape (reference §1): a Developer Managed Service Account is one client id / secret for every
company that installed the app, and every call says which company it is about in
``Procore-Company-Id``. So a construction group with three companies configures one app and a list of
company ids (``ML_PROCORE_COMPANY_ID=4264807,4264808``, the first is the default company). Each company
is read through its own session (its own token, its own company header and project list), while the
rate limits stay per app: every session of the app shares one in-flight cap and one header-driven
pacer (``ratelimit.shared_pacer``, keyed by app and host), however many companies it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from connector_resources.closing import Closing
from connector_resources.http.metrics import CallMetrics
from connector_resources.procore.errors import ProcoreError
from connector_resources.procore.session import ProcoreSession

COMPANY_SETTING = "ML_PROCORE_COMPANY_ID"


def parse_company_ids(value: str, setting: str = COMPANY_SETTING) -> tuple[int, ...]:
    """``"4264807, 4264808"`` -> ``(4264807, 4264808)``: at least one positive integer, none twice
    (a company read twice in one step would stage its records twice and fail the read)."""
    parts = [p.strip() for p in str(value).replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError(f"{setting} is blank: name the Procore company id(s) the app is installed in")
    ids: list[int] = []
    for part in parts:
        if not part.isdigit() or int(part) <= 0:
            raise ValueError(
                f"{setting}={value!r}: {part!r} is not a Procore company id (a positive integer)"
            )
        if int(part) in ids:
            raise ValueError(f"{setting}={value!r}: company {part} is listed twice")
        ids.append(int(part))
    return tuple(ids)


def company_error(company_id: int, exc: ProcoreError) -> ProcoreError:
    """``exc`` again, same class and fields (so the step-retry rules classify it as before), with a
    message starting ``Procore company <id>:``: with several companies an operator must know which
    one uninstalled the app or failed."""
    message = exc.args[0] if exc.args else str(exc)
    prefix = f"Procore company {company_id}"
    if str(message).startswith(prefix):
        return exc
    return type(exc)(f"{prefix}: {message}", **exc._fields())


class ProjectScopedSession(ProcoreSession):
    """A company's session when ``ML_PROCORE_PROJECT_IDS`` lists projects and several companies are
    configured: the list applies to every company, but a project id belongs to one company, so this
    session keeps only the listed projects among its own company's permitted ones (one project list
    call, on first use). With one company the list is used as given, as it always was."""

    def __init__(self, *args: Any, only_projects: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_projects = tuple(int(p) for p in only_projects)

    def projects(self) -> list[dict[str, Any]]:
        if self._projects is None:
            wanted = set(self.only_projects)
            permitted = super().projects()  # every permitted project of this company
            self._projects = [p for p in permitted if p.get("id") is not None and int(p["id"]) in wanted]
        return list(self._projects)


class CompanySessions(Closing):
    """One session per configured company, opened on first use and all closed together (``with``).

    ``session(company_id)`` raises the company's failure (app uninstalled: 403; credentials) with the
    company named. ``pages`` and ``metrics`` add up every session's, for a step's metadata.
    """

    def __init__(self, companies: Sequence[int], opener: Callable[[int], ProcoreSession]) -> None:
        self.companies = tuple(companies)
        self._opener = opener
        self._open: dict[int, ProcoreSession] = {}

    def session(self, company_id: int) -> ProcoreSession:
        if company_id not in self._open:
            try:
                self._open[company_id] = self._opener(company_id)
            except ProcoreError as exc:
                raise company_error(company_id, exc) from exc
        return self._open[company_id]

    def __iter__(self) -> Iterator[tuple[int, ProcoreSession]]:
        for company_id in self.companies:
            yield company_id, self.session(company_id)

    @property
    def pages(self) -> int:
        return sum(s.pages for s in self._open.values())

    @property
    def metrics(self) -> CallMetrics:
        total = CallMetrics()
        for session in self._open.values():
            total.merge(session.metrics)
        return total

    def close(self) -> None:
        sessions, self._open = list(self._open.values()), {}
        failure: BaseException | None = None
        for session in sessions:
            try:
                session.close()
            except Exception as exc:  # noqa: BLE001 - close every session, report the first failure
                failure = failure or exc
        if failure is not None:
            raise failure
