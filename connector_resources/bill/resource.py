"""``BillResource``: BILL v3 as a Dagster resource, and the ping that proves it works.

``with bill.session() as s:`` gives a ``BillSession`` whose calls share the process's one BILL
session (``auth``, kept between processes by ``session_store``) and the process's one in-flight cap for
the devKey + organization.

BILL's three limits (reference §2.3) and where each is kept:

* **3 requests in flight per organization** (``BDC_1322``), across every process. Inside a process every
  client holds one of ``max_in_flight`` (3) slots per request (``HttpClient``'s shared ``limit_key``).
  Across processes, every Dagster step that calls BILL (the BILL source reads of ``saas_assets``, each
  flow's write step to BILL, anything else that calls BILL) is in the one concurrency pool
  ``bill_<organization id>`` (``concurrency_pool``) whose limit is **1** (``CONCURRENCY_POOL_LIMIT``,
  applied with the write pools by ``ml-connector dev``): one BILL step runs at a time and uses up to 3
  requests at once, so the steps together never exceed 3. (A pool counts steps, not requests; a limit
  of 3 steps each allowed 3 requests would allow 9.) A write step uses its 3 by writing 6 records at
  once (``FlowSpec.write_concurrency``; each request waits for one of the 3 slots); a read pages one
  request at a time.
  Outside Dagster nothing holds the pool: ``ml-connector replay`` (one record at a time), ``ping`` and
  the webhook-subscription commands may add a request while a step uses all 3. BILL answers that one
  with ``BDC_1322``, which the client retries with exponential backoff (``retry_when``: up to
  ``max_attempts`` over at most ``deadline`` seconds), so the collision costs a delay, not a failure.
* **20,000 requests per developer key per hour** (``BDC_1144``): never retried within the hour
  (``retry_when``); a write step stops sending at once and queues the rest with the time BILL takes
  calls again (``connector_assets.flows.written_step``), a read fails naming it (``step_retry``).
* **200 logins per developer key per hour**: the session is kept between steps and runs, encrypted, and
  logins are counted and refused before the 201st (``session_store``).
"""

from __future__ import annotations

from contextlib import closing
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.bill.auth import BillSessionAuth, reference_digest, retry_when, shared_session_auth
from connector_resources.bill.errors import BillError, BillUnavailableError
from connector_resources.bill.listing import ENTITY_SPECS, MAX_PAGE_SIZE
from connector_resources.bill.session import BillSession
from connector_resources.bill.session_store import LOGINS_PER_HOUR, store_for
from connector_resources.http import HttpClient, HttpPolicy
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.bill")

LOGIN_PATH = "v3/login"
LOGOUT_PATH = "v3/logout"
DOCUMENTED_IN_FLIGHT_CAP = 3
# Steps of the ``bill_<org>`` pool at once: one, each using up to ``max_in_flight`` requests (docstring).
CONCURRENCY_POOL_LIMIT = 1


class BillResource(ApiConnectionResource):
    """BILL (bill.com) v3 AP API (settings: ``connector_resources.settings``, system ``bill``)."""

    system_key: ClassVar[str] = "bill"

    base_url: str = Field(description="API gateway base up to /connect (gateway.stage or gateway.prod)")
    username: str = Field(description="BILL API user name")
    password: str = Field(description="password: EnvVar, vault:NAME or env:VAR reference")
    organization_id: str = Field(description="BILL organization id (begins 008)")
    dev_key: str = Field(description="developer key: EnvVar, vault:NAME or env:VAR reference")
    webhook_key: str = Field(
        default="", description="securityKey of the webhook subscription (EnvVar / vault reference)"
    )
    events_url: str = Field(
        default="", description="webhook-management base; blank = base_url with /connect -> /connect-events"
    )
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="rows per list page")
    read_timeout: float = Field(default=60.0, gt=0, description="seconds to wait for one BILL answer")
    backoff_base: float = Field(default=0.5, gt=0, description="first retry waits up to this (s)")
    backoff_cap: float = Field(default=30.0, gt=0, description="no retry waits longer than this (s)")
    deadline: float = Field(default=300.0, gt=0, description="a call gives up after this long (s)")
    max_in_flight: int = Field(
        default=DOCUMENTED_IN_FLIGHT_CAP,
        ge=1,
        le=DOCUMENTED_IN_FLIGHT_CAP,
        description="concurrent requests per devKey + organization in this process (BILL allows 3)",
    )
    keep_sessions: bool = Field(
        default=True,
        description="keep the BILL session between steps and runs (encrypted in the vault; needs "
        "ML_CONNECTOR_VAULT_KEY, else per process)",
    )
    logins_per_hour: int = Field(
        default=LOGINS_PER_HOUR,
        ge=1,
        le=LOGINS_PER_HOUR,
        description="logins this connector makes per developer key and hour at most (BILL allows 200)",
    )

    # -- wiring -----------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def webhooks_url(self) -> str:
        """The webhook-management base (reference §1: ``.../connect-events``)."""
        if self.events_url.strip():
            return self.events_url.strip().rstrip("/")
        if self.api_url.endswith("/connect"):
            return self.api_url + "-events"
        raise BillError(
            f"cannot derive BILL's webhook API from {self.api_url} (it does not end in /connect); "
            "set events_url"
        )

    @property
    def limit_key(self) -> str:
        """The in-flight cap's key: one per devKey + organization (never the key itself)."""
        return f"bill:{self.organization_id}:{reference_digest(self.dev_key)}"

    @property
    def concurrency_pool(self) -> str:
        """The Dagster concurrency pool of every step calling this organization (limit
        ``CONCURRENCY_POOL_LIMIT``, 1: see the module docstring)."""
        return f"bill_{self.organization_id}"

    def _policy(self, max_attempts: int | None = None) -> HttpPolicy:
        # 429 and 503 are retried through ``retry_when`` (which also knows BDC_1322 and never retries
        # BDC_1144); the policy keeps the server failures that only idempotent calls may retry.
        return HttpPolicy.from_settings(
            self,
            max_attempts=max_attempts or self.max_attempts,
            retry_statuses=frozenset({500, 502, 504}),
            replay_safe_statuses=frozenset(),
        )

    def _client(self, base_url: str, auth: BillSessionAuth, policy: HttpPolicy) -> HttpClient:
        return HttpClient.for_json(
            "bill",
            base_url,
            auth=auth,
            policy=policy,
            limit_key=self.limit_key,
            max_in_flight=self.max_in_flight,
            retry_when=retry_when,
        )

    def _auth(self) -> BillSessionAuth:
        return shared_session_auth(
            login_url=f"{self.api_url}/{LOGIN_PATH}",
            username=self.username,
            organization_id=self.organization_id,
            dev_key_reference=self.dev_key,
            password=lambda: self.secret(self.password),
            dev_key=lambda: self.secret(self.dev_key),
            store=lambda key: store_for(key, keep=self.keep_sessions, budget=self.logins_per_hour),
        )

    def open_session(self, *, max_attempts: int | None = None) -> BillSession:
        """A ``BillSession`` the caller must ``close()`` (``session()`` does that for you). It logs in
        only if the process has no BILL session yet, and leaves the session for the next batch (BILL
        allows 200 logins an hour). ``max_attempts`` overrides the setting (``ping`` wants a quick
        answer, not patience)."""
        auth = self._auth()
        policy = self._policy(max_attempts)
        http = self._client(self.api_url, auth, policy)
        events_url = self.webhooks_url
        events_http = None
        if _origin(events_url) != _origin(self.api_url):
            events_http = self._client(events_url, auth, policy)
        return BillSession(
            http,
            auth,
            page_size=self.page_size,
            events_url=events_url,
            events_http=events_http,
            max_in_flight=self.max_in_flight,
        )

    def logout(self) -> bool:
        """End the process's BILL session for these credentials (BILL sessions otherwise end after
        35 idle minutes). Best effort: False when there was none or BILL refused."""
        auth = self._auth()
        if auth.token is None:
            return False
        with self.session() as session:
            try:
                session._call("POST", LOGOUT_PATH, what="log out of BILL", idempotent=True)
                ok = True
            except BillError as exc:
                log.warning("BILL logout failed (ignored): %s", exc)
                ok = False
        auth.invalidate()
        return ok

    # -- ping -------------------------------------------------------------------------------------

    def ping(self) -> str:
        """Prove reachability, credentials (a login, or the process's live session) and read access
        to every entity the connector reads (one one-row page each); raise a ``BillError`` naming
        everything that failed. Retries are capped at 3 attempts: a ping should answer quickly."""
        with closing(self.open_session(max_attempts=min(3, self.max_attempts))) as session:
            try:
                info = session.login()
            except BillUnavailableError as exc:
                raise BillUnavailableError(f"BILL is not reachable at {self.api_url}: {exc}") from None
            refused: list[str] = []
            for entity, spec in ENTITY_SPECS.items():
                try:
                    session._call("GET", spec.path, what=f"read {entity}", params={"max": 1})
                except BillError as exc:
                    refused.append(f"{entity}: {exc}")
            if refused:
                raise BillError(
                    f"logged in to BILL as {info.username} but cannot read {len(refused)} of "
                    f"{len(ENTITY_SPECS)} entities: " + " | ".join(refused)
                )
            trusted = "" if info.trusted is None else f", MFA-trusted {str(info.trusted).lower()}"
            return (
                f"BILL {self.api_url}: logged in as {info.username} to organization "
                f"{info.organization_id}{trusted}{_mfa_status(session)}; read {', '.join(ENTITY_SPECS)}"
            )


def _mfa_status(session: BillSession) -> str:
    """The session's MFA status as ``GET /v3/login/session`` reports it (collection 'Get API session
    details': ``mfaStatus``): the one configuration of the organization the API lets a ping read that
    decides what the connector may do (payments need a trusted session). Empty when BILL does not say."""
    try:
        payload = session._call("GET", "v3/login/session", what="read the BILL session's details")
    except BillError:
        return ""
    status = payload.get("mfaStatus") if isinstance(payload, dict) else None
    return f", MFA status {status}" if isinstance(status, str) and status else ""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc.lower())


def register_bill_ping() -> None:
    """Register ``ml-connector ping``'s ``bill`` check, built from settings at check time."""
    BillResource.register_settings_ping()
