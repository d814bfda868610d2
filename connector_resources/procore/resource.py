"""``ProcoreResource``: Procore as a Dagster resource; ``session()`` gives the client a batch uses.

How the pieces fit (all from ``docs/reference/procore.md``):

* **Auth**: OAuth 2.0 client credentials of a Developer Managed Service Account. The token comes from
  the login host (``auth_url`` + ``/oauth/token``; login.procore.com / login-sandbox.procore.com),
  the API from ``base_url`` (api.procore.com / sandbox.procore.com); tokens live 90 minutes, have no
  refresh token, are renewed shortly before expiry and again on a 401 (``expired_statuses``). The
  secret is resolved (``self.secret``) only when a session logs in.
* **Tokens kept** (``keep_tokens``, with ``ML_CONNECTOR_VAULT_KEY``): the token is kept encrypted in
  the vault (``token_store.KeptOAuthClientCredentials``, ``procore/token/<digest of login host,
  client and secret>``) and every session of every step and run adopts it until its renewal margin;
  after a 401 the processes that meet it mint one replacement between them (the store's login lock).
  Such a token is *not* revoked when a session closes, since later steps use it; it lapses by itself
  at the end of its 90 minutes. Without a vault key (or ``keep_tokens=False``) each session mints its
  own token and revokes it at close, as before.
* **Company scoping**: ``Procore-Company-Id`` on every call (a DMSA must send it even on ``/me``),
  plus the ``company_id`` / ``project_id`` parameters the endpoints still require. One app may serve
  several companies (``company_id`` is a comma-separated list, the first the default): each session
  is for one company (``session(company_id)``), ``company_sessions()`` opens one per company
  (``companies``), and ``ping`` checks every one.
* **Limits**: a process-wide in-flight cap per app (``max_in_flight``), an optional client-side
  rate (``rate_per_second``), header-driven pacing before a 429 (``ratelimit``), and the HTTP
  core's retries honouring ``Retry-After`` on 429/503 (POST creates only after 429/503, which prove
  nothing was done).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.closing import released_on_error
from connector_resources.http import ApiError, HttpClient, HttpPolicy
from connector_resources.procore.companies import (
    CompanySessions,
    ProjectScopedSession,
    company_error,
    parse_company_ids,
)
from connector_resources.procore.entities import API
from connector_resources.procore.errors import (
    ProcoreAuthError,
    ProcoreError,
    ProcoreNotFoundError,
    ProcorePermissionError,
)
from connector_resources.procore.ratelimit import ProcoreBackoffWait, shared_pacer
from connector_resources.procore.session import ProcoreSession
from connector_resources.procore.stored_materials import materials_moved
from connector_resources.redaction import get_logger, register_secret
from connector_resources.token_store import KeptOAuthClientCredentials, oauth_token_store

log = get_logger("ml_connector.procore")

# Steps of the ``procore_<client id>`` pool at once (``ProcoreResource.concurrency_pool``): one. Procore's
# windows (hourly, and 25 calls per 10 s in the documented example) count every call of the app, whatever
# the company; one step already keeps ``max_in_flight`` calls going, and the header-driven pacer is per
# process (Dagster runs each step in its own), so two steps at once would pace blind to each other and meet
# 429s together. One step at a time makes that step's pacer and in-flight cap the app's.
CONCURRENCY_POOL_LIMIT = 1

TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"


def _integer_id(value: str, setting: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{setting}={value!r} is not a Procore id (a positive integer, may exceed 32 bits)")
    return int(text)


class ProcoreResource(ApiConnectionResource):
    """Procore REST API for one or more companies of one app (settings: ``connector_resources.settings``,
    system "procore").

    ``with procore.session() as s:`` logs in once (for the first company; ``session(company_id)`` for
    another configured one), and ``s.iter_changed(...)``, ``s.get(...)``, ``s.find_adoptable_vendor(...)``,
    ``s.create_vendor(...)`` and ``s.webhooks`` share that token until the block ends.
    """

    system_key: ClassVar[str] = "procore"

    base_url: str = Field(description="API host, e.g. https://api.procore.com or https://sandbox.procore.com")
    auth_url: str = Field(description="login host, e.g. https://login.procore.com")
    company_id: str = Field(
        description="Procore company id(s) sent as Procore-Company-Id; comma-separated for several "
        "companies of one app, the first is the default"
    )
    client_id: str = Field(description="DMSA OAuth2 client id")
    client_secret: str = Field(description="DMSA OAuth2 client secret: EnvVar, vault:NAME or env:VAR")
    webhook_token: str = Field(
        default="", description="secret sent by Procore as 'Authorization: Bearer <token>' on deliveries"
    )
    project_ids: str = Field(
        default="", description="comma-separated project ids to read; blank = every permitted project"
    )
    page_size: int = Field(default=1000, ge=1, le=2000, description="per_page (Procore advises at most 2000)")
    read_timeout: float = Field(default=60.0, gt=0, description="seconds to wait for one answer")
    max_in_flight: int = Field(default=4, ge=1, description="concurrent calls per app in this process")
    rate_per_second: float | None = Field(
        default=None, gt=0, description="client-side pace (calls/s) on top of the header-driven pacing"
    )
    respect_rate_limit_headers: bool = Field(
        default=True, description="slow down before a 429 as X-Rate-Limit-Remaining runs low"
    )
    rate_limit_max_wait: float = Field(
        default=60.0, ge=0, description="longest wait for a rate-limit reset or Retry-After, in seconds"
    )
    max_pages_per_list: int = Field(default=10_000, ge=1, description="safety cap on pages of one list")
    keep_tokens: bool = Field(
        default=True,
        description="keep the access token between sessions, steps and runs (encrypted in the vault; "
        "needs ML_CONNECTOR_VAULT_KEY, else one token per session, revoked at its close)",
    )

    # -- building a session -----------------------------------------------------------------------

    def _token_url(self) -> str:
        return self.auth_url.rstrip("/") + TOKEN_PATH

    def _limit_key(self) -> str:
        # Procore's limits are per app (client id) and environment (API host).
        return f"procore:{self.base_url.rstrip('/')}|{self.client_id}"

    def _project_ids(self) -> tuple[int, ...]:
        parts = [p for p in self.project_ids.replace(";", ",").split(",") if p.strip()]
        return tuple(_integer_id(p, "project_ids") for p in parts)

    def company_ids(self) -> tuple[int, ...]:
        """The configured companies, the default (first) one first."""
        return parse_company_ids(self.company_id, "company_id")

    @property
    def concurrency_pool(self) -> str:
        """The Dagster pool of every step calling this app (source reads, writes to Procore):
        ``procore_<client id>``, limit ``CONCURRENCY_POOL_LIMIT``. Procore's limits are per app, not per
        company (reference §3), so one pool per app, whatever the number of companies it reads."""
        return "procore_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in self.client_id)

    def _company(self, company_id: int | str | None) -> int:
        companies = self.company_ids()
        if company_id is None:
            return companies[0]
        company = _integer_id(str(company_id), "company_id")
        if company not in companies:
            raise ValueError(
                f"Procore company {company} is not configured (company_id={self.company_id!r}); "
                "add it to ML_PROCORE_COMPANY_ID before reading or writing it"
            )
        return company

    def session(self, company_id: int | str | None = None) -> ProcoreSession:
        """One session for a batch of calls to ``company_id`` (None: the first configured company);
        it closes itself (revoking its token unless kept) at the end of the ``with`` block, also on error."""
        return self.open_session(company_id=company_id)

    def company_sessions(self, *, page_size: int | None = None) -> CompanySessions:
        """One session per configured company, each opened on first use, all closed by ``with``."""
        return CompanySessions(
            self.company_ids(), lambda company: self.open_session(company_id=company, page_size=page_size)
        )

    def open_session(
        self, *, company_id: int | str | None = None, page_size: int | None = None, fresh_token: bool = False
    ) -> ProcoreSession:
        """A logged-in session for ``company_id`` (None: the first configured company) the caller must
        ``close()`` (``session()`` does that for you); closing it revokes the token unless it is kept
        (``keep_tokens``: the module docstring). ``fresh_token``: mint a token of its own even where tokens
        are kept (``ping``: a kept token proves the credentials worked when it was minted, not now)."""
        company = self._company(company_id)
        projects = self._project_ids()
        # With several companies the project list applies to all: each keeps its own projects.
        scoped = bool(projects) and len(self.company_ids()) > 1
        secret = self.secret(self.client_secret)
        register_secret(secret)
        auth = KeptOAuthClientCredentials(
            self._token_url(),
            self.client_id,
            secret,
            token_endpoint_auth_method="client_secret_post",
            expired_statuses=(401,),
            store=oauth_token_store(
                "procore",
                self._token_url(),
                self.client_id,
                secret,
                keep=self.keep_tokens and not fresh_token,
                what="Procore access tokens",
                cost="every session of every Dagster step requests a token",
            ),
        )
        policy = HttpPolicy.from_settings(self, retry_after_cap=self.rate_limit_max_wait)
        key = self._limit_key()
        pacer = shared_pacer(key, max_wait=self.rate_limit_max_wait, enabled=self.respect_rate_limit_headers)
        http = HttpClient.for_json(
            "procore",
            self.base_url,
            auth=auth,
            policy=policy,
            headers={"Procore-Company-Id": str(company)},
            limit_key=key,
            max_in_flight=self.max_in_flight,
            rate_per_second=self.rate_per_second,
            wait=ProcoreBackoffWait(policy, pacer),
        )
        options: dict = dict(
            company_id=company,
            page_size=page_size or self.page_size,
            max_pages=self.max_pages_per_list,
            webhook_token=self._webhook_secret if self.webhook_token else None,
            # A kept token serves later sessions and steps: it lapses by itself instead.
            on_close=None if auth.store.shared else self._revoker(auth, secret),
        )
        if scoped:
            session: ProcoreSession = ProjectScopedSession(
                http, auth, pacer, only_projects=projects, **options
            )
        else:
            session = ProcoreSession(http, auth, pacer, project_ids=projects, **options)
        with released_on_error(http):
            session.login()
        return session

    def _webhook_secret(self) -> str:
        value = self.secret(self.webhook_token)
        register_secret(value)
        return value

    def _revoker(self, auth: KeptOAuthClientCredentials, secret: str) -> Callable[[], None]:
        """Revoke the session's token at close (always 200 per the reference): a token that is not
        needed any more should not stay valid for the rest of its 90 minutes. One quick attempt on
        its own client, so a login host that is down cannot hold up the end of a run."""

        def revoke() -> None:
            token = auth.token
            if token is None:
                return
            policy = HttpPolicy(connect_timeout=5, read_timeout=10, max_attempts=1, deadline=15)
            with HttpClient("procore", self.auth_url, policy=policy) as login_host:
                try:
                    login_host.post(
                        REVOKE_PATH,
                        data={"token": token.value, "client_id": self.client_id, "client_secret": secret},
                        authenticate=False,  # a logout: the token travels in the form, no record changes
                        idempotent=True,
                        expected=range(100, 600),
                    )
                except ApiError as exc:
                    log.debug("procore token revoke failed (ignored): %s", exc)

        return revoke

    # -- ping -------------------------------------------------------------------------------------

    def ping(self) -> str:
        """Prove reachability and credentials (a token, ``/me``) and read access to every entity the
        connector reads (one small read each, in the first permitted project), for every configured
        company; raise a ``ProcoreError`` naming everything that failed, company by company.

        Credentials are the app's, not a company's: refused credentials fail at once for all. A
        company that answers 403 (app not installed, or uninstalled) is named and the others are
        still checked."""
        companies = self.company_ids()
        if len(companies) == 1:
            session = self.open_session(fresh_token=True)
            try:
                return _ping(session, self.client_id)
            finally:
                session.close()
        passed: list[str] = []
        problems: list[str] = []
        permission_only = True
        seen_projects: set[int] = set()
        for company in companies:
            try:
                session = self.open_session(company_id=company, fresh_token=True)
            except ProcorePermissionError as exc:
                problems.append(str(company_error(company, exc)))
                continue
            # Any other login failure (credentials, host) is the app's: raised as it is, once.
            try:
                passed.append(_ping(session, self.client_id))
                seen_projects.update(session.project_ids())
            except ProcoreError as exc:
                permission_only = permission_only and isinstance(exc, ProcorePermissionError)
                problems.append(str(company_error(company, exc)))
            finally:
                session.close()
        listed = self._project_ids()
        orphans = [p for p in listed if p not in seen_projects]
        if orphans and not problems:
            problems.append(
                f"project(s) {', '.join(map(str, orphans))} in project_ids are permitted in none of the "
                f"companies {', '.join(map(str, companies))}: a company admin must add them to the app's "
                "permitted projects, or remove them from ML_PROCORE_PROJECT_IDS"
            )
        if problems:
            message = f"Procore: {len(problems)} of {len(companies)} companies failed: " + " || ".join(
                problems
            )
            raise (ProcorePermissionError if permission_only else ProcoreError)(message)
        return " || ".join(passed)


def _first_row(
    session: ProcoreSession, path: str, params: dict, what: str, *, paginated: bool = True
) -> None:
    query = dict(params)
    if paginated:
        query.update(page=1, per_page=1)
    session.call("GET", path, params=query, what=what)


def _stored_materials(session: ProcoreSession, project_id: int) -> str | None:
    """Which invoice configuration the project's first commitment has (``stored_materials``), in words;
    None when the project has no commitment or the configuration cannot be read."""
    for kind in ("purchase_order_contracts", "work_order_contracts"):
        answer = session.call(
            "GET",
            f"{API}/{kind}",
            params={"project_id": project_id, "page": 1, "per_page": 1},
            what=f"read {kind} of project {project_id}",
        )
        rows = answer.json() if answer.content else []
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and rows[0].get("id") is not None:
            try:
                moved = materials_moved(session, project_id, int(rows[0]["id"]))
            except ProcoreError:
                return None
            return (
                "stored materials move into work completed before"
                if moved
                else "stored materials stay a running balance (each invoice line is read against "
                "the previous invoice's)"
            )
    return None


def _ping(session: ProcoreSession, client_id: str) -> str:
    company = {"company_id": session.company_id}
    try:
        me = session.me()
        who = str(me.get("name") or me.get("login") or me.get("id") or "service account")
    except ProcoreNotFoundError:
        who = "no /me on this server"
    problems: list[str] = []
    readable: list[str] = []
    permission_only = True
    materials: str | None = None

    def probe(entity: str, check: Callable[[], None]) -> None:
        nonlocal permission_only
        try:
            check()
            readable.append(entity)
        except ProcoreAuthError as exc:
            if not isinstance(exc, ProcorePermissionError):
                raise
            problems.append(f"{entity}: {exc}")
        except ProcoreError as exc:
            permission_only = False
            problems.append(f"{entity}: {exc}")

    probe("vendors", lambda: _first_row(session, f"{API}/vendors", company, "read vendors"))
    project_ids: list[int] = []

    def projects() -> None:
        project_ids.extend(session.project_ids())

    probe("projects", projects)
    # With several companies and a project list, a company may hold none of the listed projects.
    if "projects" in readable and not project_ids and not isinstance(session, ProjectScopedSession):
        permission_only = False
        problems.append(
            "projects: the app is permitted on no project of this company; a company admin must add "
            "projects to the app's permitted projects"
        )
    if project_ids:
        pid = project_ids[0]
        scope = {"project_id": pid}

        def commitments() -> None:
            for kind in ("purchase_order_contracts", "work_order_contracts"):
                _first_row(session, f"{API}/{kind}", scope, f"read {kind} of project {pid}")

        probe("commitments", commitments)
        probe(
            "requisitions",
            lambda: _first_row(session, f"{API}/requisitions", scope, f"read requisitions of project {pid}"),
        )
        probe(
            "commitment_change_orders",
            lambda: _first_row(
                session,
                f"{API}/projects/{pid}/commitment_change_orders",
                {},
                f"read change orders of project {pid}",
                paginated=False,
            ),
        )
        probe(
            "cost_codes",
            lambda: _first_row(session, f"{API}/cost_codes", scope, f"read cost codes of project {pid}"),
        )

        def budget() -> None:
            view = session.budget_view_id(pid)
            if view is not None:
                _first_row(
                    session,
                    f"{API}/budget_views/{view}/detail_rows",
                    scope,
                    f"read budget lines of project {pid}",
                )

        probe("budget_line_items", budget)
        if "commitments" in readable:
            materials = _stored_materials(session, pid)
    projects_read = "permitted project(s)"
    if isinstance(session, ProjectScopedSession):
        projects_read = "permitted project(s) of the listed ones (project_ids)"
    if problems:
        message = (
            f"Procore company {session.company_id}: token issued to client {client_id!r} ({who}) but "
            f"{len(problems)} read(s) failed: " + " | ".join(problems)
        )
        raise (ProcorePermissionError if permission_only else ProcoreError)(message)
    return (
        f"company {session.company_id}: token for client {client_id!r} ({who}); "
        f"{len(project_ids)} {projects_read}; read {', '.join(readable)}"
        + (f"; {materials}" if materials else "")
    )


def register_procore_ping() -> None:
    """Register ``ml-connector ping``'s ``procore`` check, built from settings at check time."""
    ProcoreResource.register_settings_ping()
