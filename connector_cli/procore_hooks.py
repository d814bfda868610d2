"""``ml-connector procore-webhooks``: Procore's webhook hook to the receiver, registered by an operator.

Procore signs nothing (reference 2.10): a delivery is authentic when it carries the destination header
registered with the hook, ``Authorization: Bearer <token>``, and the receiver (``/webhooks/procore``)
checks it against ``ML_PROCORE_WEBHOOK_TOKEN``. ``make dev`` registers the sandbox's hook; against a real
company these commands do it, in every company of ``ML_PROCORE_COMPANY_ID``:

* ``create --url`` makes the app's hook (namespace ``ml-connector``, one per app) with a trigger per
  resource the Procore -> JDE inbox sensor acts on; a hook that exists is adopted (updated when its URL or
  token differ), never doubled (``procore.inbox_events.ensure_procore_hook``). The token is the vault entry
  the setting references (``vault:NAME``); when the vault holds none a random one is made and stored
  there first, so a create whose answer is lost is completed by running it again.
* ``rotate`` stores a new token in the vault, then sets it on each company's hook; the running receiver
  picks it up without a restart (``connector_resources.webhooks.live_secret``).
* ``delete`` removes the app's hook from each company; ``list`` shows every hook, header values masked.
* ``--instance NAME`` (before the command) acts for an integration instance reaching a Procore company
  of its own: its connection's companies and ``webhook_token`` entry; ``create --url`` must then name its
  own receiver endpoint (``/webhooks/<NAME>_procore``; ``acting_instance``).

The token is never printed or logged (Procore echoes destination headers; ``ProcoreWebhooks`` masks them).
Each change is audited (integration ``procore``, flow ``webhook_hook``, target id = the hook id).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from connector_assets.integrations.procore_jde.hooks import procore_hook_resources
from connector_assets.procore.inbox_events import INBOX_SOURCE, PROCORE_HOOK_NAMESPACE, ensure_procore_hook
from connector_cli.acting_instance import acting_instance, instance_option, instance_url, take_instance
from connector_cli.subscriptions import AuditedAs, vault_entry
from connector_resources.ledger import Ledger, ledger_url
from connector_resources.redaction import register_secret
from connector_resources.settings import SettingError, system

if TYPE_CHECKING:  # loaded by the commands that use them
    from connector_resources.procore import ProcoreResource
    from connector_resources.vault import Vault

AUDIT: AuditedAs = {"integration": "procore", "flow": "webhook_hook", "entity": "hook"}
TOKEN_SETTING = "ML_PROCORE_WEBHOOK_TOKEN"


def _token_entry(ledger: Ledger) -> tuple[Vault, str]:
    """The vault and entry name ``ML_PROCORE_WEBHOOK_TOKEN`` references, checked writable."""
    try:
        reference = system("procore").values()["webhook_token"]
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None
    why = "a token made here would be kept nowhere the receiver reads it"
    return vault_entry(ledger, TOKEN_SETTING, reference, "vault:procore_webhook_token", why)


def _new_token(vault: Vault, name: str) -> None:
    token = secrets.token_urlsafe(32)
    register_secret(token)
    vault.set(name, token)


@contextmanager
def _opened() -> Iterator[tuple[ProcoreResource, Ledger]]:
    """The Procore resource built from settings and the ledger; Procore errors become one clear line."""
    from connector_resources.procore import ProcoreError, ProcoreResource

    ledger = Ledger(ledger_url())
    try:
        yield ProcoreResource.initialized_from_settings(), ledger
    except (ProcoreError, ValueError) as exc:
        raise click.ClickException(f"Procore: {exc}") from None
    finally:
        ledger.dispose()


def _audit(ledger: Ledger, action: str, hook_id: int | str, reason: str) -> None:
    ledger.audit(**AUDIT, action=action, target_system="procore", target_id=str(hook_id), reason=reason)


def _line(company: int, hook: dict[str, Any]) -> str:
    return (
        f"company {company}  hook id={hook.get('id')}  namespace={hook.get('namespace')}  "
        f"{hook.get('destination_url')}  api {hook.get('api_version') or '?'}"
    )


def _ensure_all(resource: ProcoreResource, ledger: Ledger, url: str, why: str) -> None:
    for company in resource.company_ids():
        with resource.session(company) as session:
            sync = ensure_procore_hook(session, url, procore_hook_resources())
        action = {"created": "create", "adopted": "adopt"}.get(sync.action, "update")
        _audit(ledger, action, sync.id, f"Procore hook {sync.action} for {url} in company {company}{why}")
        click.echo(f"{sync.action}: {_line(company, sync.hook)}")


@click.group("procore-webhooks")
@instance_option("Procore company (its connections.procore): its companies, its own webhook_token")
@click.pass_context
def procore_webhooks(ctx: click.Context, instance: str | None) -> None:
    """Create, list, rotate and delete Procore's webhook hook to the receiver (token in the vault)."""
    take_instance(ctx, instance, "procore")


@procore_webhooks.command("create")
@click.option(
    "--url",
    required=True,
    help="The receiver's Procore endpoint (https://.../webhooks/procore; an instance's: .../<NAME>_procore).",
)
def create(url: str) -> None:
    """Register the app's hook to URL in every configured company, or adopt the one already there.

    Safe to run again: the hook is found by its namespace and never made twice.
    """
    url = instance_url(url, acting_instance(), INBOX_SOURCE, given=True)
    with _opened() as (resource, ledger):
        vault, name = _token_entry(ledger)
        made = vault.get_if_stored(name) is None
        if made:
            _new_token(vault, name)  # before Procore is asked: a lost answer is completed by a rerun
        _ensure_all(resource, ledger, url, "")
    if made:
        click.echo(f"a new token was made and stored in the vault as {name}; the receiver verifies with it")
    else:
        click.echo(f"the hook sends the token stored in the vault as {name}")


@procore_webhooks.command("list")
def list_command() -> None:
    """Every hook of every configured company (header values masked), ours marked."""
    with _opened() as (resource, _ledger):
        for company in resource.company_ids():
            with resource.session(company) as session:
                hooks = session.webhooks.list_hooks("*")
                click.echo(f"company {company}: {len(hooks)} hook(s)")
                for hook in hooks:
                    triggers = session.webhooks.list_triggers(hook["id"])
                    count = "?" if triggers is None else str(len(triggers))
                    mine = "  <- ml-connector" if hook.get("namespace") == PROCORE_HOOK_NAMESPACE else ""
                    click.echo(f"  {_line(company, hook)}  {count} trigger(s){mine}")


@procore_webhooks.command("rotate")
def rotate() -> None:
    """Store a new token in the vault and set it on the app's hook in every company.

    The running receiver re-reads the vault when a delivery does not verify, so it needs no restart;
    a delivery sent with the old token in between gets 401 and is retried by Procore (up to 12 hours).
    """
    with _opened() as (resource, ledger):
        vault, name = _token_entry(ledger)
        found: list[tuple[int, dict[str, Any]]] = []
        for company in resource.company_ids():
            with resource.session(company) as session:
                found += [(company, h) for h in session.webhooks.list_hooks(PROCORE_HOOK_NAMESPACE)]
        if not found:
            raise click.ClickException("no ml-connector hook in any company: run `procore-webhooks create`")
        _new_token(vault, name)
        for company, hook in found:
            with resource.session(company) as session:
                headers = session.webhooks.default_headers()
                session.webhooks.update_hook(hook["id"], destination_headers=headers)
            _audit(ledger, "update", hook["id"], f"Procore hook token rotated in company {company}")
            click.echo(f"rotated: {_line(company, hook)}")
    click.echo(f"new token stored in the vault as {name}; the receiver verifies with it from now on")


@procore_webhooks.command("delete")
def delete() -> None:
    """Delete the app's hook (namespace ml-connector) from every configured company."""
    with _opened() as (resource, ledger):
        gone = 0
        for company in resource.company_ids():
            with resource.session(company) as session:
                for hook in session.webhooks.list_hooks(PROCORE_HOOK_NAMESPACE):
                    session.webhooks.delete_hook(hook["id"])
                    _audit(ledger, "update", hook["id"], f"Procore hook deleted in company {company}")
                    click.echo(f"deleted: {_line(company, hook)}")
                    gone += 1
    if not gone:
        click.echo("no ml-connector hook in any company: nothing to delete")
