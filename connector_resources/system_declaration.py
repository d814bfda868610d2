"""What an external system declares about itself, once, in its own package (``connector_resources/<package>/
system.py``: ``SYSTEM = System(...)``), and the helpers its settings are declared with.

Everything the project does once per system reads these declarations (``connector_resources.systems``
finds them) instead of a list of systems: the settings table and docs/configuration.md, the sandbox ports
and the simulators ``ml-connector sandbox`` starts, ``ml-connector ping``'s checks, the API concurrency
pools, the SaaS source assets, the webhook receiver's endpoints. A new system is its package; nothing
outside it names it.

The parts a system does not have stay None (JD Edwards has no SaaS change feed and no webhooks; Coupa no
concurrency pool). Hooks are plain functions of the system's package, called when needed, never at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from connector_resources.setting_kinds import Number
from connector_resources.setting_model import Setting, environment, sandbox_url

if TYPE_CHECKING:
    from connector_resources.webhooks.sources import WebhookSource

Needs = Mapping[str, list[str]]  # name (table, entity, orchestration) -> the flows needing it


@dataclass(frozen=True)
class Sandbox:
    """The simulator of the system (``connector_sandbox.<key>``, which ``ml-connector sandbox`` and ``make
    dev`` start): its port in the sandbox block (default base) and the path its API answers under, which the
    base URL's default names too; ``activity`` is the body of one round of business activity
    (``POST /sandbox/activity``, every few minutes under ``make dev``) and ``world`` the simulator settings
    of the world ``make dev`` serves beside the scale, as (setting, value) pairs."""

    port: int
    path: str = ""
    activity: Mapping[str, int] = field(default_factory=dict)
    world: tuple[tuple[str, Any], ...] = ()

    def url(self, path: str = "") -> str:
        """The default address of the simulator's API (``path`` beyond it)."""
        return sandbox_url(self.port, self.path + path)


class SaasClient(NamedTuple):
    """A SaaS change feed the SaaS source assets read (``connector_assets.saas``) through the system's
    resource: its session class (``ENTITIES``, ``SNAPSHOT_ENTITIES``, ``KEYS``), the short title assets are
    described with and the API path(s) each entity is read from."""

    session: type
    title: str
    paths: Callable[[str], tuple[str, ...]]


@dataclass(frozen=True)
class ApiPool:
    """The Dagster concurrency pool every step calling the system's account shares, where the API limits
    calls per account (BILL per organization, Procore per app) across processes.

    ``prefix`` starts every pool of the API (``bill_<org>``); ``limit`` is the steps at once in one;
    ``current`` names the pool of the configured account; ``session_in_flight`` is the requests one write
    step's session may have in flight (BILL's documented 3), None where the API sets none."""

    prefix: str
    limit: int
    current: Callable[[], str]
    session_in_flight: int | None = None


WebhookSources = Callable[[Mapping[str, str] | None, timedelta], "dict[str, WebhookSource]"]


@dataclass(frozen=True)
class System:
    """An external system: the settings needed to reach it and what the project does with it.

    ``resource`` is its Dagster resource class (an ``ApiConnectionResource``: ``from_settings`` builds it),
    under the resource key ``resource_key``.
    ``flow_name`` is how flow specs and the ledger name it (``JDE`` for ``jde_ais``; the key otherwise).
    ``ping`` registers its ``ml-connector ping`` check; ``flow_ping`` re-registers it knowing what the enabled
    flows read and write there (None: the check keeps its reads and says writes are not checked).
    ``webhooks`` builds its receiver endpoints (name -> source) from the settings and the allowed clock skew.
    ``reading_posts`` are path fragments of the POSTs its API documents as reads (a preview sends them).
    ``unreadable_records`` are path fragments of records its API takes writes at but publishes no GET for
    (a preview does not read them to show what an update would change).
    """

    key: str
    title: str
    settings: tuple[Setting, ...]
    resource: type | None = None
    sandbox: Sandbox | None = None
    flow_name: str = ""
    ping: Callable[[], None] | None = None
    flow_ping: Callable[[Needs, Needs], None] | None = None
    client: SaasClient | None = None
    pool: ApiPool | None = None
    webhooks: WebhookSources | None = None
    reading_posts: tuple[str, ...] = ()
    unreadable_records: tuple[str, ...] = ()

    @property
    def name_in_flows(self) -> str:
        return self.flow_name or self.key

    @property
    def resource_key(self) -> str:
        """Its resource's key in the definitions: its name in flows in lower case (``jde``, ``coupa``)."""
        return self.name_in_flows.lower()

    def values(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The effective value of each setting: the env var when set and non-empty, else the default."""
        return {setting.field: setting.text(environ) for setting in self.settings}

    def is_configured(self, environ: Mapping[str, str] | None = None) -> bool:
        """True when any setting of this system was given explicitly (not the sandbox default)."""
        env = environment(environ)
        return any(env.get(s.env, "").strip() for s in self.settings)

    def setting(self, field: str) -> Setting:
        for setting in self.settings:
            if setting.field == field:
                return setting
        raise KeyError(f"{self.key} has no setting {field!r}")


# Simulators that plant records showing a refusal (Procurify, Fusion) serve make dev's world without them:
# those belong to the tests that exercise them, not to a first day.
NO_PLANTED_FAULTS = (("planted_faults", False),)


# Helpers for the settings most systems declare alike, so each system's declaration says only its own.


def base_url(env: str, default: str, help: str, *, account: bool = False) -> Setting:
    """A system's ``base_url``: where its API answers (the sandbox's by default), checked as a URL;
    ``account``: the address is the account's own (a Coupa tenant's, a Procurify customer's domain)."""
    return Setting("base_url", env, default, help, is_url=True, account=account)


def login(env: str, username: str, password: str, user: str) -> tuple[Setting, Setting]:
    """The user a connector logs in as (``user`` says which) and its password (``<env>_USERNAME`` /
    ``_PASSWORD``)."""
    return (
        Setting("username", f"{env}_USERNAME", username, user),
        Setting("password", f"{env}_PASSWORD", password, "password of that user", secret=True),
    )


def oauth_client(env: str, sandbox_secret: str, kind: str = "OAuth2") -> tuple[Setting, Setting]:
    """The id and secret of an OAuth2 client-credentials client (``<env>_CLIENT_ID`` / ``_CLIENT_SECRET``)."""
    return (
        Setting("client_id", f"{env}_CLIENT_ID", "ml-connector-sandbox", f"{kind} client id"),
        Setting(
            "client_secret", f"{env}_CLIENT_SECRET", sandbox_secret, f"{kind} client secret", secret=True
        ),
    )


def webhook_max_age(env: str, minutes: str, refused: str) -> Setting:
    """``<env>_WEBHOOK_MAX_AGE_MINUTES``: deliveries older are refused (``refused`` says which, and why)."""
    return Setting(
        "webhook_max_age_minutes",
        f"{env}_WEBHOOK_MAX_AGE_MINUTES",
        minutes,
        refused,
        kind=Number(unit="minutes", above=0),
    )


def max_age(system: System, environ: Mapping[str, str] | None = None) -> timedelta:
    """The oldest event time the system's webhook sources accept (``ML_<SYSTEM>_WEBHOOK_MAX_AGE_MINUTES``)."""
    return timedelta(minutes=system.setting("webhook_max_age_minutes").read(environ))


__all__ = [
    "NO_PLANTED_FAULTS",
    "ApiPool",
    "Needs",
    "SaasClient",
    "Sandbox",
    "System",
    "base_url",
    "login",
    "max_age",
    "oauth_client",
    "webhook_max_age",
]
