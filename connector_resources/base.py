"""The base every API resource extends, and the contract every SaaS client session keeps.

``ApiConnectionResource``: settings from the registry, secrets resolved only at use time.

Why secrets are references: a Dagster resource's config is stored with each run and shown in the UI.
A secret setting therefore holds either a ``dagster.EnvVar`` (the UI shows the variable's name, never
its value) or a ``vault:NAME`` reference; ``secret()`` turns it into the value inside the process, at the
moment of login, and registers it for redaction.

``SaasSession`` / ``SaasClient``: what the SaaS source assets (``connector_assets.saas.entities``) rely on, so
one asset factory reads every system. A session declares its entities (``ENTITIES``: entity -> the
field that says when a record last changed; ``SNAPSHOT_ENTITIES``: read whole; ``KEYS``: the fields
that identify a record) and offers the change feed (``iter_changed``), the whole read (``iter_all``),
its HTTP counters (``metrics``) and the list pages it read (``pages``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from connector_resources import configured_settings, settings
from connector_resources.closing import Closing
from connector_resources.http.auth import AuthScheme
from connector_resources.http.client import HttpClient
from connector_resources.http.errors import ApiError
from connector_resources.http.metrics import CallMetrics
from connector_resources.ping import register_ping
from connector_resources.settings import System, system
from connector_resources.vault import resolve_secret

_SessionT = TypeVar("_SessionT", bound=Closing, covariant=True)


def initialized(resource: Any) -> Any:
    """``resource`` (any Dagster ``ConfigurableResource``) initialised outside a run, inside Dagster's context
    manager: the ephemeral instance Dagster opens for it is closed here, on the calling thread, not left to
    the garbage collector on another one. For resources without teardown, whose value outlives the context."""
    with resource.process_config_and_initialize_cm() as value:
        return value


class _OpensSessions(Protocol[_SessionT]):
    """A resource whose ``open_session`` returns ``_SessionT`` (so ``session()`` is typed like it)."""

    def open_session(self) -> _SessionT: ...


class ApiConnectionResource(ConfigurableResource):
    """Common behaviour of the six API resources; subclasses set ``system_key`` and declare fields."""

    system_key: ClassVar[str] = ""

    # Knobs of every resource's ``HttpPolicy`` (read by name), declared once; a resource whose own default
    # or meaning differs declares the field again.
    connect_timeout: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, description="attempts per call for retryable failures")

    @classmethod
    def system(cls) -> System:
        return system(cls.system_key)

    @classmethod
    def from_settings(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """Build the resource from environment variables, falling back to the sandbox defaults.

        A secret setting whose variable is set becomes ``EnvVar(name)`` so only the name enters run
        config; an unset one keeps its sandbox default (sandbox credentials are not secrets).
        """
        sys_ = cls.system()
        values: dict[str, Any] = sys_.values(environ)
        for setting in sys_.settings:
            # An instance's own secret (in its scope) is a vault:/env: reference, resolved as the resource
            # uses it; the deployment's is named by its variable, resolved by Dagster.
            own = environ is None and configured_settings.scoped(setting.env)
            if setting.secret and not own and settings.given(setting.env, environ):
                values[setting.field] = EnvVar(setting.env)
        fields = set(cls.model_fields)
        values = {k: v for k, v in values.items() if k in fields}
        values.update(overrides)
        return cls(**values)

    @classmethod
    def initialized_from_settings(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """``from_settings``, initialised: what a CLI command or a replay outside a Dagster run must use.

        A secret given by environment variable is an ``EnvVar`` field, which Dagster resolves only when it
        initialises the resource; read uninitialised outside a run it raises (``xref set`` once crashed so).
        Initialised inside Dagster's context manager, so the ephemeral instance Dagster opens for it is closed
        here, on this thread: ``process_config_and_initialize`` left it to the garbage collector, which
        closed its in-memory SQLite connections on whichever thread it ran (a traceback on ``make dev``'s
        console). Our resources hold no teardown, so the value outlives the context (``initialized``).
        """
        return initialized(cls.from_settings(environ, **overrides))

    def open_session(self) -> Closing:
        """A session the caller must ``close()``; each resource says how it logs in."""
        raise NotImplementedError

    def session(self: _OpensSessions[_SessionT]) -> _SessionT:
        """One session for a batch of calls (``open_session``); it closes itself at the end of the
        ``with`` block, also on error."""
        return self.open_session()

    def ping(self, *args: Any) -> str:
        """Prove reachability and credentials (a short detail in plain words) or raise; each resource
        says what it reads."""
        raise NotImplementedError

    @classmethod
    def register_settings_ping(cls, *ping_args: Any, **overrides: Any) -> None:
        """Register ``ml-connector ping``'s check for this system (named ``system_key``), built from
        settings when it runs: ``overrides`` set resource fields, ``ping_args`` go to ``ping``."""

        def check() -> str:
            resource = cls.initialized_from_settings(**overrides)
            return resource.ping(*ping_args)

        register_ping(cls.system_key, check)

    def secret(self, value: str) -> str:
        """The secret behind a setting value (``vault:NAME``, ``env:VAR`` or a literal sandbox value)."""
        return resolve_secret(value)


class SaasSession(Closing, ABC):
    """An authenticated client of one SaaS system for one batch; ``with`` closes it.

    Subclasses assign the three declarations from their ``entities`` module (the API reference's
    entities, change stamps and keys) and implement the reads.
    """

    # entity -> the API's "updated" field, for the entities read by day (``iter_changed``).
    ENTITIES: ClassVar[dict[str, str]] = {}
    # Entities without a documented change stamp: small master data, read whole (``iter_all``).
    SNAPSHOT_ENTITIES: ClassVar[tuple[str, ...]] = ()
    # entity -> the field(s) that identify a record, first present wins.
    KEYS: ClassVar[Mapping[str, str | tuple[str, ...]]] = {}

    # List pages read by this session so far (a figure of each read's metadata).
    pages: int = 0
    # The client the session calls through (a session that calls through more says so in ``metrics``).
    _http: HttpClient
    # The credential its calls carry (a token, a login), obtained up front by ``_fresh_credentials``.
    _auth: AuthScheme

    def __init__(self, http: HttpClient, auth: AuthScheme) -> None:
        """Hold the client and the credential that ``metrics``, ``__repr__`` and ``_fresh_credentials``
        use; a session whose credential lives inside its client alone says so in those instead."""
        self._http = http
        self._auth = auth

    @property
    def metrics(self) -> CallMetrics:
        """The HTTP counters of this session (every attempt, retries, re-logins, statuses)."""
        return self._http.metrics

    def __repr__(self) -> str:
        # The host and the auth scheme's own (secret-free) repr: what a log line needs to say which
        # session it was. Sessions with a better name for themselves override it.
        return f"{type(self).__name__}(base_url={self._http.base_url!r}, auth={self._auth!r})"

    def _fresh_credentials(self, failure: Callable[[ApiError], Exception]) -> None:
        """Obtain (or reuse) the credential now, so bad credentials fail before any work rather than
        mid-read; an ``ApiError`` becomes ``failure(error)``, the system's own typed error."""
        try:
            self._auth.ensure_fresh(self._http)
        except ApiError as exc:
            raise failure(exc) from None

    @abstractmethod
    def iter_changed(self, entity: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """The ``entity`` records whose ``ENTITIES[entity]`` lies in ``[start, end)``, once each, with
        the parsed change time under ``_updated_at``."""

    @abstractmethod
    def iter_all(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every record of a ``SNAPSHOT_ENTITIES`` entity, once each."""

    @classmethod
    def updated_field(cls, entity: str) -> str:
        """The field that says when an ``entity`` record last changed (a ``KeyError`` if none)."""
        return cls.ENTITIES[entity]


class SaasClient(Protocol):
    """A SaaS resource as the source assets use it: a session per batch, closed by ``with``."""

    def session(self) -> AbstractContextManager[SaasSession]: ...
