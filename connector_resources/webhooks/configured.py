"""The webhook sources of a deployment, built from the connection settings (secrets resolved here): the
endpoints of every declared system that takes webhooks (``System.webhooks`` in its
``connector_resources/<system>/system.py``), each at ``/webhooks/<name>``, and the same endpoints again for
each integration instance reaching such a system through a connection of its own, at
``/webhooks/<instance>_<name>`` (``instance_endpoint``), verified with that connection's own secret (an
instance whose connection names none gets no endpoint and polls alone).

Why an instance gets endpoints of its own: another Coupa tenant, BILL organization or Procore company signs
with its own secret and its events are its own; stored under the deployment's source name they would be
taken for the deployment's account's. Each endpoint stores into the inbox source of its name, which is the
inbox the instance's flows and inbox sensor read (``connector_assets.saas.own_side``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta

from connector_resources import configured_settings, settings
from connector_resources.redaction import get_logger
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import System
from connector_resources.system_declaration import max_age as declared_max_age
from connector_resources.systems import declared_systems, own_systems, system
from connector_resources.webhooks.sources import WebhookSource

log = get_logger(__name__)


def future_skew(environ: Mapping[str, str] | None = None) -> timedelta:
    """How far in the future an event time may lie (``ML_WEBHOOK_FUTURE_SKEW_SECONDS``): clock skew."""
    return timedelta(seconds=settings.read("ML_WEBHOOK_FUTURE_SKEW_SECONDS", environ))


def max_age(system_key: str, environ: Mapping[str, str] | None = None) -> timedelta:
    """The oldest event time a source accepts (``ML_<SYSTEM>_WEBHOOK_MAX_AGE_MINUTES``)."""
    return declared_max_age(system(system_key), environ)


def instance_endpoint(instance: str, source: str) -> str:
    """The endpoint (``/webhooks/<name>``) and inbox source at which ``instance``, on a connection of its
    own, takes the deliveries of the system's source ``source``: ``coupa_jde_west_coupa_invoices``. The one
    spelling: the receiver serves it and the instance's flows and sensor read its inbox."""
    return f"{instance}_{source}"


# A system whose deliveries authenticate one of several ways names the way in ``webhook_auth`` (Coupa's
# call-outs): the secret in force is the one that way uses.
_SECRET_OF_SCHEME = {"hmac": "webhook_secret"}
_SCHEMED_DEFAULT_SECRET = "webhook_password"  # basic credentials or an OAuth client secret


def webhook_secrets(declared: System) -> tuple[Setting, ...]:
    """The settings that authenticate ``declared``'s deliveries (its secret ``webhook_*`` settings: Coupa's
    ``webhook_password`` or ``webhook_secret``, as its ``webhook_auth`` chooses, BILL's ``webhook_key``,
    Procore's ``webhook_token``), read in the scope in force."""
    found = tuple(s for s in declared.settings if s.secret and s.field.startswith("webhook_"))
    scheme = next((s for s in declared.settings if s.field == "webhook_auth"), None)
    if scheme is None:
        return found
    wanted = _SECRET_OF_SCHEME.get(str(scheme.read()), _SCHEMED_DEFAULT_SECRET)
    return tuple(s for s in found if s.field == wanted)


def own_webhook_secret(instance: str, declared: System) -> bool:
    """Whether ``instance``'s own connection to ``declared`` names the webhook secret in force for it.
    Without one its endpoint would verify with the deployment's, so a delivery from the deployment's
    account (signed or authenticated with that secret) would be taken for the instance's own: no endpoint
    is served for it."""
    with configured_settings.scope(instance):
        secrets = webhook_secrets(declared)
    return any(s.env in configured_settings.connection(instance) for s in secrets)


def configured_sources(
    environ: Mapping[str, str] | None = None, *, instances: Iterable[str] = ()
) -> dict[str, WebhookSource]:
    """One source per webhook endpoint: ``/webhooks/<name>`` for each declared system's sources, then
    ``/webhooks/<instance>_<name>`` for each of ``instances`` (the loaded instances' names) reaching such a
    system through a connection of its own that names its own webhook secret (``own_webhook_secret``),
    built in its scope (its own secret, time field, age window); a name claimed twice is refused.

    The instances' connections are this process's (``configured_settings.connect``, done by loading them),
    so ``environ`` cannot be combined with ``instances``: its values would stand for every instance's.
    """
    instances = tuple(instances)
    if environ is not None and instances:
        raise ValueError("an instance's own connection is read from this process's settings, not an environ")
    skew = future_skew(environ)
    sources: dict[str, WebhookSource] = {}

    def add(name: str, source: WebhookSource, claimed_by: str) -> None:
        if name in sources:
            raise ValueError(f"webhook endpoint /webhooks/{name} is declared twice ({claimed_by})")
        sources[name] = source

    for declared in declared_systems():
        if declared.webhooks is None:
            continue
        for name, source in declared.webhooks(environ, skew).items():
            add(name, source, declared.key)
    for instance in instances:
        for declared in own_systems(instance):
            if declared.webhooks is None:
                continue
            if not own_webhook_secret(instance, declared):
                log.warning(
                    "%s reaches %s through its own connection but names no webhook secret of its own "
                    "(connections.%s: %s): no endpoint for it, it polls alone",
                    instance,
                    declared.key,
                    declared.key,
                    " or ".join(s.field for s in webhook_secrets(declared)) or "none declared",
                )
                continue
            with configured_settings.scope(instance):
                built = declared.webhooks(None, skew)
            for name, source in built.items():
                endpoint = instance_endpoint(instance, name)
                add(endpoint, replace(source, name=endpoint), f"{instance}'s own {declared.key}")
    return sources
