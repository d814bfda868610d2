"""``JdeAisResource``: the JD Edwards AIS server as a Dagster resource: its settings, the session it
opens for a batch, and ``ml-connector ping``'s check of it.

Its own module because this is the public face flows are given (``connector_resources.jde``): what
is configured and how a session is opened. What a session does is ``session`` (token and calls),
``paging`` (reads), ``orchestration`` (writes) and ``rows`` (values); ``ping_checks`` holds the
ping's separate questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.closing import released_on_error
from connector_resources.http import HttpClient, HttpPolicy
from connector_resources.jde.auth import JdeAisAuth, session_store
from connector_resources.jde.dates import DatePattern
from connector_resources.jde.errors import JdeError
from connector_resources.jde.optional_tables import OPTIONAL_TABLES
from connector_resources.jde.ping_checks import (
    batch_purge_variant,
    date_conditions_understood,
    optional_tables_note,
    reachability,
)
from connector_resources.jde.session import JdeSession


class JdeAisResource(ApiConnectionResource):
    """JD Edwards EnterpriseOne through its AIS server (settings: ``connector_resources.settings``).

    ``with jde.session() as s:`` logs in, and ``s.browse(...)``, ``s.count(...)`` and
    ``s.orchestrate(...)`` share that token until the block ends and logs out.
    """

    system_key: ClassVar[str] = "jde_ais"

    base_url: str = Field(description="AIS base URL up to and including /jderest")
    username: str = Field(description="AIS user the connector logs in as")
    password: str = Field(description="password: EnvVar, vault:NAME or env:VAR reference")
    environment: str = Field(default="", description="JDE environment (server default when blank)")
    role: str = Field(default="", description="JDE role (server default when blank)")
    device_name: str = Field(default="ml-connector", description="device name the AIS token is bound to")
    page_size: int = Field(
        default=500, ge=1, description="rows per data-service page (ML_JDE_PAGE_SIZE); at most two in memory"
    )
    read_timeout: float = Field(default=120.0, gt=0, description="seconds to wait for one AIS answer")
    max_restarts: int = Field(
        default=5, ge=0, description="query restarts in a row without progress before a read gives up"
    )
    query_date_format: str = Field(
        default="",
        description="date format for query conditions when the server does not take the user's "
        "simpleDateFormat (e.g. yyyyMMdd, or CYYDDD for Julian); blank = the user's format",
    )
    overlap_calls: bool = Field(
        default=False,
        description="let a read's prefetched next page be in flight while the session makes another AIS "
        "call (ML_JDE_OVERLAP_CALLS); off: one call at a time per token, the documentation being silent",
    )
    next_page_interval_ms: int = Field(
        default=1000,
        ge=0,
        description="nextPageTimeInterval sent with every paged read (ML_JDE_NEXT_PAGE_INTERVAL_MS): 1000 "
        "or less, AIS fetches a next page only when asked; more, it pre-fetches for that long",
    )
    voucher_processor_version: str = Field(
        default="ZJDE0001",
        description="the R04110ZA version the site schedules (ML_JDE_VOUCHER_PROCESSOR_VERSION); ping reads "
        "its processing options",
    )
    keep_sessions: bool = Field(
        default=True,
        description="keep the AIS token between batches, steps and runs (encrypted in the vault; needs "
        "ML_CONNECTOR_VAULT_KEY, else kept by the process and logged out at its exit)",
    )

    def _client(self, *, keep: bool | None = None) -> tuple[HttpClient, JdeAisAuth]:
        """The HTTP client and its AIS auth; ``keep`` (default ``keep_sessions``): share the token
        through the vault, else within the process (``auth`` module docstring)."""
        policy = HttpPolicy.from_settings(self)
        store = session_store(
            self.base_url,
            self.username,
            self.environment,
            self.role,
            self.device_name,
            keep=self.keep_sessions if keep is None else keep,
            policy=policy,
        )
        auth = JdeAisAuth(
            username=self.username,
            password=lambda: self.secret(self.password),
            device_name=self.device_name,
            environment=self.environment,
            role=self.role,
            store=store,
        )
        http = HttpClient.for_json("jde_ais", self.base_url, auth=auth, policy=policy)
        return http, auth

    def open_session(self) -> JdeSession:
        """A logged-in session the caller must ``close()`` (``session()`` does that for you); closing
        it logs out unless the token is kept (``keep_sessions``)."""
        if self.query_date_format.strip():
            DatePattern(self.query_date_format)  # a bad setting fails before any login
        http, auth = self._client()
        session = JdeSession(
            http,
            auth,
            page_size=self.page_size,
            query_date_format=self.query_date_format,
            max_restarts=self.max_restarts,
            overlap_calls=self.overlap_calls,
            next_page_interval_ms=self.next_page_interval_ms,
        )
        with released_on_error(http):
            session.login()
        return session

    def ping(
        self,
        reads: Mapping[str, Sequence[str]] | None = None,
        writes: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """Prove reachability (``defaultconfig``), credentials (login), a one-row read of every table in
        ``reads`` and that every orchestration in ``writes`` is offered to this user (``discover``,
        reference §2.6: it lists what the user may call, without running anything); raise ``JdeError``
        naming each table or orchestration that failed and the flows that need it.

        ``reads`` / ``writes`` map a table / orchestration to the flows that use it; the CLI derives them
        from the enabled flows (``connector_assets.flows.access``), so there is no list here to forget.
        """
        reads, writes = reads or {}, writes or {}
        # A fresh login, not a kept token: ping proves the credentials work today.
        http, auth = self._client(keep=False)
        session = JdeSession(http, auth, page_size=1, query_date_format=self.query_date_format)
        try:
            reach = reachability(http)
            info = session.login()
            problems: list[str] = []
            optional = optional_tables_note(session, reads, problems)
            for table, flows in sorted(reads.items()):
                if table in OPTIONAL_TABLES:
                    continue  # probed above, with the setting that turns it off
                try:
                    session.sample(table)
                except JdeError as exc:
                    problems.append(f"{table} not readable ({exc}): needed by {', '.join(flows)}")
            if writes:
                try:
                    offered = session.discover()
                except JdeError as exc:
                    problems.append(f"orchestrations not listed by discover ({exc})")
                else:
                    problems += [
                        f"orchestration {name} not offered to {info.username} (discover): needed by "
                        f"{', '.join(flows)}"
                        for name, flows in sorted(writes.items())
                        if name not in offered
                    ]
            batches = "; " + batch_purge_variant(session, self.voucher_processor_version)
            dates = ""
            if "F0101" not in {p.split(" ", 1)[0] for p in problems}:
                try:
                    dates = "; " + date_conditions_understood(session)
                except JdeError as exc:
                    problems.append(str(exc))
            if problems:
                who = f"JD Edwards (logged in as {info.username})"
                raise JdeError(
                    f"{who}: {len(problems)} problem(s): "
                    + " | ".join(problems)
                    + f" (optional tables: {optional})"
                )
            read_note = f"read {len(reads)} table(s) ({', '.join(sorted(reads))})" if reads else "no tables"
            write_note = (
                f"orchestrations offered ({', '.join(sorted(writes))})" if writes else "no orchestrations"
            )
            return (
                f"{reach}; logged in as {info.username} ({info.environment}, {info.role}, dates "
                f"{info.date_pattern}); {read_note}; {write_note}{dates}{batches}; optional tables: "
                f"{optional}"
            )
        finally:
            session.close()


def register_jde_ping(
    reads: Mapping[str, Sequence[str]] | None = None, writes: Mapping[str, Sequence[str]] | None = None
) -> None:
    """Register ``ml-connector ping``'s ``jde_ais`` check, built from settings at check time; it reads
    each table in ``reads`` and looks for each orchestration in ``writes`` (name -> flows needing it)."""
    JdeAisResource.register_settings_ping(reads, writes)
