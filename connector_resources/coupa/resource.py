"""``CoupaResource``: the Coupa Core API as a Dagster resource, and its ``ml-connector ping`` check.

One batch = one ``session()``: an ``HttpClient`` with ``Accept: application/json`` (without it Coupa
answers XML, quirk 1), the shared OAuth token (every configured scope; the session calls only what its
own scopes allow, ``auth``), Coupa's retry policy and a client-side rate limit.

**Rate limit** (reference §2.10): 25 requests per second with bursts of 20, answered with 429 and no
``Retry-After``. The client paces itself just under it (``rate_per_second`` 24, ``rate_burst`` 18: the
documented burst less two calls for the timing spread between our clock and Coupa's, see ``pacing``)
with a token bucket shared by every session of the same instance and client in this process, so a
short read sends its first 18 calls at once and a long one settles at ~96 % of the ceiling without
tripping it. Large change windows are read as id ranges on up to ``read_workers`` (20) threads that
share that bucket (``paging``). If Coupa grants less (the budget is shared with
another integration or process), the ``pacing`` module lowers the pace on each 429 and recovers it
on success, so the client settles just under the real limit instead of tripping it over and over;
each refused call is retried with full-jitter exponential backoff starting at ``backoff_base``
(0.25 s) and capped at ``backoff_cap``, and a ``Retry-After``, should a server send one, is honoured.
Across processes, cap concurrent Coupa runs with a Dagster concurrency pool.

**Token warm-up.** Coupa's reference says to wait at least 5 s after minting a token before its first
use (calls made at once can fail, §2.1), for reads as for writes, so ``token_warmup_seconds`` (5) is
kept, counted from the mint. With ``keep_tokens`` and a vault key the token is kept encrypted in the
vault and shared by every process (``auth``): one token request per ~20 h for the whole deployment,
and a step that adopts a token minted more than 5 s earlier does not wait at all. Without a vault key
each process mints its own and pays the warm-up once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.closing import released_on_error
from connector_resources.coupa.auth import (
    DEFAULT_WARMUP_SECONDS,
    REFUSED_SCOPE_SETS,
    CoupaOAuth,
    shared_oauth,
)
from connector_resources.coupa.entities import ALL_SCOPES, ENTITIES, normalise_scopes, scopes_for
from connector_resources.coupa.errors import CoupaError, CoupaScopeError
from connector_resources.coupa.pacing import (
    DOCUMENTED_BURST,
    RATE_BURST,
    AdaptivePacer,
    PacedBackoff,
    shared_pacer,
)
from connector_resources.coupa.session import MAX_PAGE_SIZE, MAX_READ_WORKERS, CoupaSession
from connector_resources.http import HttpClient, HttpPolicy
from connector_resources.redaction import get_logger
from connector_resources.token_store import token_store_for

log = get_logger("ml_connector.coupa")


class CoupaResource(ApiConnectionResource):
    """Coupa Core API (settings: ``connector_resources.settings``, system ``coupa``).

    ``with coupa.session(flow="invoices") as s:`` may call what that flow's scopes allow;
    ``s.iter_changed("invoices", start, end)`` streams changes, ``s.find_invoice(...)`` and
    ``s.create_invoice({...})`` search and write. ``ping()`` proves reachability, credentials and read access.
    """

    system_key: ClassVar[str] = "coupa"

    base_url: str = Field(description="instance URL, e.g. https://acme.coupahost.com (no path)")
    client_id: str = Field(description="OAuth2 client id")
    client_secret: str = Field(description="OAuth2 client secret: EnvVar, vault:NAME or env:VAR reference")
    scopes: str = Field(
        default=" ".join(ALL_SCOPES),
        description="space-separated scopes the OAuth client is granted for ml-connector; the one token "
        "every session shares asks for all of them, and each session calls only what its flow needs",
    )
    page_size: int = Field(
        default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="records per GET (<= 50)"
    )
    read_workers: int = Field(
        default=MAX_READ_WORKERS,
        ge=1,
        le=MAX_READ_WORKERS,
        description="most requests in flight when reading a large change window (fewer when the rate "
        "limit is reached with fewer)",
    )
    read_timeout: float = Field(
        default=120.0, gt=0, description="seconds to wait for one answer (large GETs are slow)"
    )
    max_attempts: int = Field(
        default=8, ge=1, description="attempts per call for 429, 503 and other retryables"
    )
    backoff_base: float = Field(
        default=0.25, gt=0, description="first backoff ceiling in seconds (full jitter)"
    )
    backoff_cap: float = Field(default=10.0, gt=0, description="largest backoff ceiling in seconds")
    rate_per_second: float = Field(
        default=24.0, ge=0, description="client-side request rate (Coupa allows 25/s); 0 turns pacing off"
    )
    rate_burst: int = Field(
        default=RATE_BURST,
        ge=1,
        le=DOCUMENTED_BURST,
        description="requests that may go back to back: Coupa's documented burst of 20 less 2 that "
        "absorb up to 80 ms of timing spread between our clock and Coupa's",
    )
    token_warmup_seconds: float = Field(
        default=DEFAULT_WARMUP_SECONDS, ge=0, description="wait after minting a token before first use"
    )
    keep_tokens: bool = Field(
        default=True,
        description="keep the access token between steps and runs (encrypted in the vault; needs "
        "ML_CONNECTOR_VAULT_KEY, else per process)",
    )

    def allowed_scopes(self) -> tuple[str, ...]:
        return normalise_scopes(self.scopes)

    def _client(self, scopes: tuple[str, ...]) -> tuple[HttpClient, CoupaOAuth, AdaptivePacer | None]:
        auth = shared_oauth(
            self.base_url,
            self.client_id,
            self.secret(self.client_secret),
            scopes,
            warmup_seconds=self.token_warmup_seconds,
            store=lambda key: token_store_for(
                "coupa",
                key,
                keep=self.keep_tokens,
                what="Coupa access tokens",
                cost="every Dagster step requests a token and waits Coupa's warm-up",
            ),
        )
        policy = HttpPolicy.from_settings(self, backoff_cap=max(self.backoff_cap, self.backoff_base))
        pacing: dict[str, Any] = {}
        pacer: AdaptivePacer | None = None
        if self.rate_per_second > 0:
            parts = urlsplit(self.base_url)
            # Per instance and client: the budget Coupa meters. Rate and burst are part of the key so
            # two differently configured resources never fight over one bucket.
            rate = f"{self.rate_per_second:g}/{self.rate_burst}"
            key = f"coupa:{parts.netloc.lower()}:{self.client_id}:{rate}"
            pacer = shared_pacer(key, self.rate_per_second, self.rate_burst)
            pacing = {
                "limit_key": key,
                "rate_per_second": self.rate_per_second,
                "rate_burst": self.rate_burst,
                "retry_when": pacer.observe,
                "wait": PacedBackoff(policy, pacer),
            }
        http = HttpClient.for_json(
            "coupa",
            self.base_url,
            auth=auth,
            policy=policy,
            # One connection per thread a read may use, so no thread waits for or discards one.
            max_in_flight=MAX_READ_WORKERS,
            **pacing,
        )
        return http, auth, pacer

    def open_session(
        self, scopes: Iterable[str] | str | None = None, *, flow: str | None = None
    ) -> CoupaSession:
        """An authenticated session the caller must ``close()`` (``session()`` does that for you).

        The session may call what its ``scopes`` (or its ``flow``'s) allow; its token carries every scope
        the resource is configured to hold, so every session, flow, step and run shares one token: one
        token request and one warm-up per token lifetime, not one per flow. Should Coupa refuse
        that set (a scope configured but not granted to the client), tokens are asked for each session's
        own scopes instead, as they were, and the refusal is logged once: the flows the client can serve
        keep working while the setting is put right (``ml-connector ping`` names the scope)."""
        allowed = self.allowed_scopes()
        wanted = scopes_for(scopes, flow, allowed)
        narrow = (self.base_url.rstrip("/"), self.client_id, allowed)
        if narrow not in REFUSED_SCOPE_SETS:
            try:
                return self._authenticated(wanted, token_scopes=allowed)
            except CoupaScopeError as refused:
                if set(wanted) == set(allowed):
                    raise
                REFUSED_SCOPE_SETS.add(narrow)
                log.warning(
                    "coupa: the token endpoint refused the configured scope set (%s); asking each session's "
                    "own scopes from now on: %s",
                    " ".join(allowed),
                    refused,
                )
        return self._authenticated(wanted, token_scopes=wanted)

    def _authenticated(self, scopes: tuple[str, ...], *, token_scopes: tuple[str, ...]) -> CoupaSession:
        http, auth, pacer = self._client(token_scopes)
        session = CoupaSession(
            http,
            auth,
            page_size=self.page_size,
            read_workers=self.read_workers,
            pacer=pacer,
            scopes=scopes,
        )
        with released_on_error(http):
            session.authenticate()
        return session

    def session(self, scopes: Iterable[str] | str | None = None, *, flow: str | None = None) -> CoupaSession:
        """One authenticated client for a batch of calls, with ``scopes`` or the ``flow``'s scopes
        (``entities.FLOW_SCOPES``); by default every read scope.
        The session closes itself at the end of the ``with`` block."""
        return self.open_session(scopes, flow=flow)

    def ping(
        self,
        reads: Mapping[str, Sequence[str]] | None = None,
        writes: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """Prove reachability and credentials (a token with every configured scope, so a scope the
        client lost is named) and read access to each entity (one one-record page each); raise a
        ``CoupaError`` naming every entity that failed.

        ``reads`` / ``writes`` map an entity to the flows that read / write it (derived from the enabled
        flows by ``connector_assets.flows.access``): one whose read or write scope is not among the
        resource's scopes fails, naming the flows. Write access goes no further than the token grant:
        Coupa grants only scopes the client holds (reference §2.1) and documents no write without
        writing, so nothing is written.
        """
        reads, writes = reads or {}, writes or {}
        started = time.monotonic()
        scopes = self.allowed_scopes()
        problems = _scope_problems("readable", reads, scopes) + _scope_problems("writable", writes, scopes)
        with self.session(scopes) as session:
            readable = [name for name, ent in ENTITIES.items() if ent.read_scope in scopes]
            refused: list[str] = []
            for name in readable:
                try:
                    session.search(name, {}, limit=1)
                except CoupaError as exc:
                    needed = f": needed by {', '.join(reads[name])}" if name in reads else ""
                    refused.append(f"{name}: {exc}{needed}")
            if refused or problems:
                parts = [f"{len(refused)} of {len(readable)} entities cannot be read: " + " | ".join(refused)]
                raise CoupaError(
                    f"Coupa at {self.base_url}: token for client {self.client_id} granted, but "
                    + " | ".join((parts if refused else []) + problems)
                )
            skipped = [name for name in ENTITIES if name not in readable]
            note = f"; not checked (no read scope configured): {', '.join(skipped)}" if skipped else ""
            if writes:
                note += "; write scopes granted for " + ", ".join(sorted(writes))
            return (
                f"{self.base_url}: token for client {self.client_id} with {len(scopes)} scope(s); read "
                f"{', '.join(readable)} in {session.metrics.calls} calls, "
                f"{time.monotonic() - started:.1f}s{note}; {_callout_variant()}"
            )


def _callout_variant() -> str:
    """Which call-out authentication the receiver takes. Coupa's API cannot tell how a call-out endpoint
    is configured (Setup > Integrations > Call Outs only), so ping names the setting, not Coupa's side."""
    from connector_resources.coupa.system import SYSTEM
    from connector_resources.setting_model import SettingError

    try:
        scheme = SYSTEM.setting("webhook_auth").read()
    except SettingError as exc:
        return f"call-outs: {exc}"
    return (
        f"call-outs taken by {scheme} (ML_COUPA_WEBHOOK_AUTH; Coupa's call-out endpoint settings are not "
        "readable through its API)"
    )


def _scope_problems(verb: str, needs: Mapping[str, Sequence[str]], scopes: tuple[str, ...]) -> list[str]:
    """Each needed entity the resource's scopes cannot reach (``verb``: readable / writable), with its
    flows; a scope outside the list would never be asked for, so the flow would fail on its first call."""
    problems = []
    for name, flows in sorted(needs.items()):
        entity = ENTITIES.get(name)
        scope = None if entity is None else entity.read_scope if verb == "readable" else entity.write_scope
        if entity is None:
            why = "not an entity this client knows"
        elif scope not in scopes:
            why = f"scope {scope} is not among the resource's scopes"
        else:
            continue
        problems.append(f"{name} not {verb} ({why}): needed by {', '.join(flows)}")
    return problems


def register_coupa_ping(
    reads: Mapping[str, Sequence[str]] | None = None,
    writes: Mapping[str, Sequence[str]] | None = None,
    **overrides: Any,
) -> None:
    """Register ``ml-connector ping``'s ``coupa`` check, built from settings when it runs
    (``overrides`` set resource fields, e.g. ``token_warmup_seconds`` for a sandbox); ``reads`` /
    ``writes`` are what the enabled flows need (entity -> flows)."""
    CoupaResource.register_settings_ping(reads, writes, **overrides)
