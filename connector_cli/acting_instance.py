"""``--instance NAME`` of ``bill-webhooks`` and ``procore-webhooks``: act for an integration instance that
reaches the system through a connection of its own, registering the receiver's endpoint of that instance
(``/webhooks/<instance>_<source>``) with its own account and its own webhook secret.

Why through the instance's scope: the commands read the system's settings (the account, the secret's vault
entry, the receiver URL) as they always do; inside ``configured_settings.scope(NAME)`` the instance's own
connection stands for them. The deployment is loaded as ``ping`` loads it (``Deployment.of``), which takes
the instance's connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click

from connector_resources import configured_settings


@contextmanager
def acting_for(instance: str | None, system_key: str) -> Iterator[None]:
    """The block in which ``system_key``'s settings are ``instance``'s own connection's (the deployment's when
    None); refused in words when the instance reaches the system through the deployment's connection, or
    names no webhook secret of its own there (it would share the deployment's)."""
    if instance is None:
        yield
        return
    from connector_assets.deployment import Deployment
    from connector_assets.saas.own_side import InstanceSide
    from connector_resources.systems import system
    from connector_resources.webhooks.configured import own_webhook_secret, webhook_secrets

    Deployment.of([instance])  # loads it (its connections); an unknown name is refused naming the known
    if not InstanceSide(instance, system_key).own:
        raise click.ClickException(
            f"{instance} reaches {system_key} through the deployment's connection: run without --instance"
        )
    declared = system(system_key)
    if not own_webhook_secret(instance, declared):
        fields = " or ".join(s.field for s in webhook_secrets(declared))
        raise click.ClickException(
            f"{instance} names no webhook secret of its own: set connections.{system_key}.{fields} "
            "(vault:NAME) in its defs.yaml, so its endpoint is served and verified apart from the "
            "deployment's"
        )
    with configured_settings.scope(instance):
        yield


def instance_url(url: str, instance: str | None, source: str, *, given: bool) -> str:
    """The receiver URL to register for ``instance`` (``url`` itself when None): ``url`` when it names the
    instance's own endpoint (``.../webhooks/<instance>_<source>``); the deployment's endpoint
    (``.../webhooks/<source>``) moved to the instance's when it came from the deployment's setting, refused
    when ``given`` (``--url``, or the instance's own setting) as the deployment's. Any other URL is taken
    when given (a proxy's path), refused when it came from the deployment's setting (whose instance path
    cannot be told)."""
    if instance is None:
        return url
    from connector_resources.webhooks.configured import instance_endpoint

    own = instance_endpoint(instance, source)
    parts = urlsplit(url)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    moved = urlunsplit(parts._replace(path=f"{head}/{own}"))
    if last == own:
        return url
    if last == source:
        if given:
            raise click.ClickException(f"{url} is the deployment's endpoint; {instance}'s own is {moved}")
        return moved
    if given:
        return url
    raise click.ClickException(
        f"{instance}'s endpoint cannot be told from {url}: give --url (the receiver's /webhooks/{own})"
    )


ACTING = "ml_connector.acting_instance"  # where the group keeps the instance for its commands (ctx.meta)


def acting_instance() -> str | None:
    """The instance the running command acts for (its group's ``--instance``), None for the deployment."""
    return click.get_current_context().meta.get(ACTING)


def instance_option(account: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A webhook command group's ``--instance NAME`` (``take_instance`` acts on it): one option for every
    system's group, its help naming the ``account`` an instance has of its own there."""
    return click.option(
        "--instance",
        metavar="NAME",
        default=None,
        help=f"Act for this integration instance's own {account} [default: the deployment's].",
    )


def take_instance(ctx: click.Context, instance: str | None, system_key: str) -> None:
    """A group's ``--instance``: its commands run in the instance's scope (``acting_for``)."""
    ctx.meta[ACTING] = instance
    ctx.with_resource(acting_for(instance, system_key))
