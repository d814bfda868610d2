"""``ml-connector bill-webhooks``: BILL's webhook subscription, managed so nobody does it by hand.

BILL sends bill and payment events to the receiver (``ml-connector webhooks``, ``/webhooks/bill``) only
through a subscription, and signs them with the subscription's ``securityKey``, which BILL shows once
(reference 2.10). These commands make and keep that subscription:

* ``create`` never makes a second subscription to the receiver's URL: one that exists is adopted
  (its events set to the wanted ones, re-enabled when BILL disabled it). A create carries a UUID4
  ``X-Idempotent-Key`` that is stored in the vault (``<key name>.create-in-flight``) *before* it is
  sent and removed once BILL's answer is stored, so a create whose answer was lost is resent with the
  same key on the next run and BILL answers it again instead of making another subscription.
* The ``securityKey`` goes straight into the credential vault, under the name the BILL setting
  ``ML_BILL_WEBHOOK_KEY`` references (``vault:NAME``), which is what the receiver verifies with; it is
  never printed or logged. ``NAME.subscription`` records which subscription that key belongs to, so an
  adopted subscription whose key the vault does not hold gets a new key (``rotate``) instead of being
  trusted with someone else's.
* BILL allows 10 subscriptions per organization: at the limit no create is sent; the organization's
  subscriptions are listed so the operator can delete one.
* ``rotate`` asks BILL for a new key and stores it; the running receiver re-reads the vault when a
  delivery does not verify (``connector_resources.webhooks.live_secret``), so no restart is needed.
* ``--instance NAME`` (before the command) acts for an integration instance reaching a BILL organization
  of its own: its connection's organization and ``webhook_key`` entry, and its own receiver endpoint
  (``/webhooks/<NAME>_bill``, from ``ML_BILL_WEBHOOK_URL``'s path unless given; ``acting_instance``).

Each change is appended to the ledger's audit trail (integration ``bill``, flow ``webhook_subscription``,
target id = the subscription id), so ``ml-connector audit <subscription id>`` shows its history.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

import click

from connector_cli.acting_instance import acting_instance, instance_option, instance_url, take_instance
from connector_resources import configured_settings
from connector_resources.bill.errors import (
    BillAuthError,
    BillError,
    BillInputError,
    BillNotFoundError,
    BillValidationError,
)
from connector_resources.bill.webhooks import (
    MAX_SUBSCRIPTIONS_PER_ORG,
    subscription_enabled,
    subscription_event_types,
)
from connector_resources.ledger import Ledger, ledger_url
from connector_resources.settings import SettingError, system

if TYPE_CHECKING:  # the vault and the BILL session are loaded by the commands that use them
    from connector_resources.bill.session import BillSession
    from connector_resources.vault import Vault


class AuditedAs(TypedDict):
    """Whose audit events a webhook command appends (``Ledger.audit``'s first three fields)."""

    integration: str
    flow: str
    entity: str


AUDIT: AuditedAs = {"integration": "bill", "flow": "webhook_subscription", "entity": "subscription"}
KEY_SETTING = "ML_BILL_WEBHOOK_KEY"


# -- settings and the vault --------------------------------------------------------------------------


def _configured() -> dict[str, str]:
    try:
        return system("bill").values()
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None


def _receiver_url(given: str | None) -> str:
    """``--url``, else ``ML_BILL_WEBHOOK_URL``; acting for an instance, its own endpoint
    (``/webhooks/<instance>_bill``, ``acting_instance.instance_url``)."""
    instance = acting_instance()
    if given:
        return instance_url(given, instance, "bill", given=True)
    own = instance is not None and "ML_BILL_WEBHOOK_URL" in configured_settings.connection(instance)
    return instance_url(_configured()["webhook_url"], instance, "bill", given=own)


def _events(given: Sequence[str]) -> list[str]:
    """The event types asked for (``--event``, comma lists allowed), else ``ML_BILL_WEBHOOK_EVENTS``."""
    raw = list(given) or [_configured()["webhook_events"]]
    kinds = [kind.strip() for item in raw for kind in item.split(",") if kind.strip()]
    if not kinds:
        raise click.ClickException("no event types: give --event or set ML_BILL_WEBHOOK_EVENTS")
    return sorted(set(kinds))


@dataclass(frozen=True)
class PendingCreate:
    """A create sent (or about to be) whose answer is not stored yet: resent with the same key."""

    idempotency_key: str
    notification_url: str
    events: list[str]
    name: str
    started_at: str


class KeyStore:
    """Where the subscription's key lives: the vault entry ``ML_BILL_WEBHOOK_KEY`` names, beside two
    entries of bookkeeping (``NAME.subscription``: whose key it is; ``NAME.create-in-flight``)."""

    def __init__(self, vault: Vault, name: str) -> None:
        self.vault = vault
        self.name = name
        self.owner_name = f"{name}.subscription"
        self.pending_name = f"{name}.create-in-flight"

    def _read(self, name: str) -> str | None:
        return self.vault.get_if_stored(name)

    def key_owner(self) -> str | None:
        """The id of the subscription whose key is stored, None when no key is stored."""
        owner = self._read(self.owner_name)
        if owner is None or self._read(self.name) is None:
            return None
        try:
            return json.loads(owner).get("subscriptionId")
        except (ValueError, AttributeError):  # not ours to trust: the key gets replaced
            return None

    def store_key(self, key: str, subscription: Mapping[str, Any]) -> None:
        self.vault.set(self.name, key)
        owner = {"subscriptionId": subscription["id"], "notificationUrl": subscription.get("notificationUrl")}
        self.vault.set(self.owner_name, json.dumps({**owner, "storedAt": _now()}))

    def pending(self) -> PendingCreate | None:
        raw = self._read(self.pending_name)
        if not raw:
            return None
        try:
            return PendingCreate(**json.loads(raw))
        except (ValueError, TypeError):
            raise click.ClickException(
                f"the vault entry {self.pending_name} is not a create in flight written by this command; "
                f"remove it with `ml-connector credentials delete {self.pending_name}`"
            ) from None

    def begin(self, pending: PendingCreate) -> None:
        self.vault.set(self.pending_name, json.dumps(asdict(pending)))

    def finish(self) -> None:
        from connector_resources.vault import SecretNotFound

        with suppress(SecretNotFound):
            self.vault.delete(self.pending_name)


def vault_entry(ledger: Ledger, setting: str, reference: str, example: str, why: str) -> tuple[Vault, str]:
    """The vault and entry name a webhook secret setting references (``vault:NAME``), checked writable
    before the system is asked for anything: ``why`` says what would be lost otherwise, ``example`` the
    reference to set. Shared by ``bill-webhooks`` and ``procore-webhooks``."""
    from connector_resources.vault import Vault, VaultKeyError

    if not reference.startswith("vault:") or not reference[len("vault:") :]:
        raise click.ClickException(
            f"{setting} is not a vault reference, so {why}: set {setting}={example} (for the receiver too), "
            "then run this again"
        )
    try:
        vault = Vault(ledger)
    except VaultKeyError as exc:
        raise click.ClickException(str(exc)) from None
    health = vault.health()
    if not health.ok:
        raise click.ClickException(f"nothing was asked: the vault cannot store it: {health.problem()}")
    return vault, reference[len("vault:") :]


def _key_store(ledger: Ledger) -> KeyStore:
    """The vault the key goes to, checked before BILL is asked for a key it shows only once."""
    reference = _configured()["webhook_key"]
    why = "the key BILL shows only once would have nowhere to go"
    return KeyStore(*vault_entry(ledger, KEY_SETTING, reference, "vault:bill_webhook_key", why))


@contextmanager
def _opened() -> Iterator[tuple[BillSession, Ledger]]:
    """A BILL session built from settings (as ``ping`` builds it) and the ledger; BILL errors become
    one clear line (their messages are already redacted)."""
    from connector_resources.bill import BillResource

    ledger = Ledger(ledger_url())
    try:
        resource = BillResource.initialized_from_settings()
        with resource.session() as session:
            yield session, ledger
    except BillError as exc:
        raise click.ClickException(f"BILL: {exc}") from None
    finally:
        ledger.dispose()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _audit(ledger: Ledger, action: str, subscription_id: str, reason: str) -> None:
    ledger.audit(**AUDIT, action=action, target_system="bill", target_id=subscription_id, reason=reason)


# -- what the operator reads --------------------------------------------------------------------------


def _line(subscription: Mapping[str, Any]) -> str:
    state = "enabled" if subscription_enabled(subscription) else "DISABLED"
    events = ", ".join(subscription_event_types(subscription)) or "(none)"
    return (
        f"{subscription.get('name') or '(no name)'}  id={subscription.get('id')}  {state}  "
        f"{subscription.get('notificationUrl')}  events: {events}"
    )


def _echo_all(subscriptions: Sequence[Mapping[str, Any]]) -> None:
    for subscription in subscriptions:
        click.echo("  " + _line(subscription))


def _find(session: BillSession, subscription_id: str | None, url: str) -> dict[str, Any]:
    """The subscription named by id, else the one delivering to ``url`` (the receiver)."""
    subscriptions = session.list_subscriptions()
    if subscription_id:
        found = [s for s in subscriptions if s.get("id") == subscription_id]
        if not found:
            raise click.ClickException(f"BILL has no subscription {subscription_id} in this organization")
        return found[0]
    found = [s for s in subscriptions if s.get("notificationUrl") == url]
    if len(found) == 1:
        return found[0]
    if not found:
        raise click.ClickException(
            f"no subscription delivers to {url}; run `ml-connector bill-webhooks create`, or name one by id"
        )
    _echo_all(found)
    raise click.ClickException(f"{len(found)} subscriptions deliver to {url}: name one by id")


# -- the commands ------------------------------------------------------------------------------------


@click.group("bill-webhooks")
@instance_option(
    "BILL organization (its connections.bill): its endpoint /webhooks/<NAME>_bill, its own webhook_key"
)
@click.pass_context
def bill_webhooks(ctx: click.Context, instance: str | None) -> None:
    """Create, list and rotate BILL's webhook subscription to the receiver (keys go to the vault)."""
    take_instance(ctx, instance, "bill")


@bill_webhooks.command("create")
@click.option("--url", default=None, help="Receiver URL to subscribe [default: ML_BILL_WEBHOOK_URL].")
@click.option(
    "--event",
    "events",
    multiple=True,
    help="Event type to deliver, repeatable or comma-separated [default: ML_BILL_WEBHOOK_EVENTS].",
)
@click.option("--name", default="ml-connector", show_default=True, help="Name of the subscription in BILL.")
def create(url: str | None, events: tuple[str, ...], name: str) -> None:
    """Subscribe the receiver to BILL's events, or adopt the subscription that already delivers there.

    The one-time securityKey is stored in the vault entry ML_BILL_WEBHOOK_KEY names (never shown).
    Safe to run again: it never makes a second subscription to the same URL.
    """
    url = _receiver_url(url)
    wanted = _events(events)
    with _opened() as (session, ledger):
        store = _key_store(ledger)
        pending = store.pending()
        if pending is not None and pending.notification_url != url:
            click.echo(
                f"a create for {pending.notification_url} (started {pending.started_at}) never got its "
                f"answer and is given up; if BILL made it, `bill-webhooks list` shows it: delete it there"
            )
            store.finish()
            pending = None
        subscriptions = session.list_subscriptions()
        at_url = [s for s in subscriptions if s.get("notificationUrl") == url]
        if len(at_url) > 1:
            _echo_all(at_url)
            raise click.ClickException(
                f"{len(at_url)} subscriptions deliver to {url}, each signing with its own key while the "
                "receiver verifies one: delete all but one (`bill-webhooks delete ID`), then run create again"
            )
        full = len(subscriptions) >= MAX_SUBSCRIPTIONS_PER_ORG
        if pending is not None and not at_url and full:  # it made nothing, and BILL would refuse it now
            store.finish()
            pending = None
        if pending is not None:
            click.echo(f"resending the create started {pending.started_at} with the same X-Idempotent-Key")
            if _send_create(session, ledger, store, pending, resent=True):
                if sorted(pending.events) != wanted:
                    changed = session.update_subscription(_find(session, None, url)["id"], events=wanted)
                    click.echo(f"events set to {', '.join(wanted)}: {_line(changed)}")
                return
        if at_url:
            _adopt(session, ledger, store, at_url[0], wanted)
            return
        if full:
            click.echo(
                f"BILL allows {MAX_SUBSCRIPTIONS_PER_ORG} subscriptions per organization; this one has:"
            )
            _echo_all(subscriptions)
            raise click.ClickException(
                f"nothing was created: the organization already has {len(subscriptions)} subscriptions. "
                "Delete one that is no longer used (`ml-connector bill-webhooks delete ID`), then run "
                "create again"
            )
        pending = PendingCreate(str(uuid.uuid4()), url, wanted, name, _now())
        store.begin(pending)  # before the request: a lost answer is then resent with this same key
        _send_create(session, ledger, store, pending, resent=False)


def _send_create(
    session: BillSession, ledger: Ledger, store: KeyStore, pending: PendingCreate, *, resent: bool
) -> bool:
    """Send (or resend) ``pending``; store the key and forget ``pending`` once BILL answered. False when
    a resent create is refused (e.g. as a duplicate: BILL did not replay it): the caller adopts instead."""
    try:
        subscription = session.create_subscription(
            name=pending.name,
            events=pending.events,
            notification_url=pending.notification_url,
            idempotency_key=pending.idempotency_key,
        )
    except BillError as exc:
        refused = isinstance(exc, BillValidationError | BillAuthError | BillInputError | BillNotFoundError)
        if exc.outcome_unknown or not refused:  # no answer, BILL failing, or throttled: keep the key
            raise click.ClickException(
                f"BILL: {exc}. The create may or may not have happened: run `ml-connector bill-webhooks "
                "create` again; it resends the same X-Idempotent-Key, so BILL cannot make a second one"
            ) from None
        store.finish()  # refused: nothing was made with this key
        if resent:  # e.g. a duplicate of what the lost answer made: list and adopt instead
            click.echo(f"BILL refused the resent create ({exc}); looking for the subscription to adopt")
            return False
        raise
    key = subscription.get("securityKey")
    if not isinstance(key, str) or not key:
        store.finish()
        raise click.ClickException(
            f"BILL created subscription {subscription['id']} but sent no securityKey: run "
            "`ml-connector bill-webhooks rotate` to get one"
        )
    try:
        store.store_key(key, subscription)
    except Exception as exc:  # the pending key stays: a rerun makes BILL answer again, with the key
        raise click.ClickException(
            f"BILL created subscription {subscription['id']} but its key could not be stored in the vault "
            f"({type(exc).__name__}): fix the vault, then run `ml-connector bill-webhooks create` again; it "
            "resends the same X-Idempotent-Key and BILL answers with the key again"
        ) from None
    store.finish()
    how = "created (the lost answer was resent by BILL)" if resent else "created"
    _audit(ledger, "create", subscription["id"], f"webhook subscription {how} for {pending.notification_url}")
    click.echo(f"{how}: {_line(subscription)}")
    click.echo(f"its securityKey is stored in the vault as {store.name} (BILL never shows it again)")
    return True


def _adopt(
    session: BillSession, ledger: Ledger, store: KeyStore, subscription: dict[str, Any], wanted: list[str]
) -> None:
    """Make the existing subscription to the URL the one we use: wanted events, enabled, key known."""
    sid = subscription["id"]
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if list(subscription_event_types(subscription)) != wanted:
        changes["events"] = wanted
        notes.append(f"events set to {', '.join(wanted)}")
    if not subscription_enabled(subscription):
        changes["enabled"] = True
        notes.append(
            "re-enabled: it was disabled (BILL disables a subscription when a delivery's retries are "
            "exhausted; events of that time were not delivered, the updatedTime poll picks those changes up)"
        )
    if changes:
        subscription = session.update_subscription(sid, **changes)
    if store.key_owner() == sid:
        notes.append(f"its key is already in the vault as {store.name}")
    else:
        key = session.rotate_security_key(sid)
        store.store_key(key, subscription)
        notes.append(
            f"the vault held no key for it (BILL shows a key only once), so a new key was requested "
            f"and stored as {store.name}"
        )
    _audit(ledger, "adopt", sid, "adopted the existing webhook subscription; " + "; ".join(notes))
    click.echo(f"adopted (not created again): {_line(subscription)}")
    for note in notes:
        click.echo(f"  {note}")


@bill_webhooks.command("list")
def list_command() -> None:
    """The organization's subscriptions: name, id, enabled, URL, events (keys are never shown)."""
    url = _receiver_url(None)
    with _opened() as (session, _ledger):
        subscriptions = session.list_subscriptions()
    click.echo(
        f"{len(subscriptions)} of {MAX_SUBSCRIPTIONS_PER_ORG} subscriptions BILL allows per organization"
    )
    for subscription in subscriptions:
        mine = "  <- this receiver" if subscription.get("notificationUrl") == url else ""
        click.echo("  " + _line(subscription) + mine)
    if any(not subscription_enabled(s) for s in subscriptions):
        click.echo(
            "a DISABLED subscription gets no events: BILL disables one when a delivery's retries are "
            "exhausted; fix the receiver, then `ml-connector bill-webhooks enable ID` (or `create`, which "
            "re-enables ours)"
        )


@bill_webhooks.command("rotate")
@click.argument("subscription_id", required=False)
@click.option("--url", default=None, help="The subscription delivering here [default: ML_BILL_WEBHOOK_URL].")
def rotate(subscription_id: str | None, url: str | None) -> None:
    """Ask BILL for a new securityKey and store it in the vault; the receiver uses it without a restart.

    A delivery BILL signed with the old key just before is refused (401) and verified on BILL's retry.
    """
    url = _receiver_url(url)
    with _opened() as (session, ledger):
        store = _key_store(ledger)
        subscription = _find(session, subscription_id, url)
        sid = subscription["id"]
        key = session.rotate_security_key(sid)
        try:
            store.store_key(key, subscription)
        except Exception as exc:
            raise click.ClickException(
                f"BILL rotated the key of {sid} but it could not be stored ({type(exc).__name__}); "
                "deliveries are refused until a key is stored: fix the vault, then run rotate again"
            ) from None
        pending = store.pending()
        if pending is not None and pending.notification_url == subscription.get("notificationUrl"):
            store.finish()  # its answer would carry the key just replaced; the subscription is ours now
        _audit(ledger, "update", sid, "webhook subscription securityKey rotated; new key stored in the vault")
    click.echo(f"rotated the key of {_line(subscription)}")
    click.echo(f"new key stored in the vault as {store.name}; the receiver verifies with it from now on")


def _set_enabled(subscription_id: str | None, url: str | None, enabled: bool) -> None:
    url = _receiver_url(url)
    with _opened() as (session, ledger):
        sid = _find(session, subscription_id, url)["id"]
        subscription = session.update_subscription(sid, enabled=enabled)
        word = "enabled" if enabled else "disabled"
        _audit(ledger, "update", sid, f"webhook subscription {word} by the operator")
    click.echo(f"{word}: {_line(subscription)}")
    if not enabled:
        click.echo("BILL sends it nothing until it is enabled again; the updatedTime poll still runs")


@bill_webhooks.command("enable")
@click.argument("subscription_id", required=False)
@click.option("--url", default=None, help="The subscription delivering here [default: ML_BILL_WEBHOOK_URL].")
def enable(subscription_id: str | None, url: str | None) -> None:
    """Turn deliveries on again (BILL turns a subscription off when a delivery's retries are exhausted)."""
    _set_enabled(subscription_id, url, True)


@bill_webhooks.command("disable")
@click.argument("subscription_id", required=False)
@click.option("--url", default=None, help="The subscription delivering here [default: ML_BILL_WEBHOOK_URL].")
def disable(subscription_id: str | None, url: str | None) -> None:
    """Stop deliveries without deleting the subscription (its key stays valid)."""
    _set_enabled(subscription_id, url, False)


@bill_webhooks.command("delete")
@click.argument("subscription_id")
def delete(subscription_id: str) -> None:
    """Delete a subscription (to make room under BILL's 10-per-organization limit, or to drop one)."""
    with _opened() as (session, ledger):
        if not session.delete_subscription(subscription_id):
            click.echo(f"BILL has no subscription {subscription_id}: nothing to delete")
            return
        _audit(ledger, "update", subscription_id, "webhook subscription deleted by the operator")
    click.echo(f"deleted subscription {subscription_id}")
