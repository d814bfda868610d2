"""Every ``ml-connector`` command run in the project finds the running ``make dev`` by itself.

Why: in a second shell nothing is exported, yet ``ping``, ``replay`` or ``audit`` must open the same
instance folder, the secrets stored with ``make dev``'s vault key, and the sandboxes wherever
``--sandbox-ports free`` put them this time. ``ml-connector dev`` publishes those in its instance folder
(``connector_cli.dev_instance``); before any other command runs, this module takes from that record what
the shell does not set itself:

* ``DAGSTER_HOME``, ``ML_SANDBOX_PORT_BASE`` and ``ML_DAGSTER_URL`` (its Dagster UI) from the running
  instance;
* ``ML_CONNECTOR_VAULT_KEY`` from the key file it names, or, when nothing runs, from the make-dev home's
  ``vault.key`` if there is one; in both cases only when this shell's ledger is that instance's ledger
  (the key belongs to the secrets of that ledger and no other).

A setting given in the environment always wins; where it contradicts the running instance, a note on
stderr says so. The values are set for the command's own process (and what it starts), and put back when
the command ends (so a command invoked in-process, as the tests do, leaves the environment as it was).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from connector_cli.dev_instance import DevInstance, running
from connector_cli.dev_vault import KEY_FILE, DevVaultKeyError, existing_key
from connector_resources import settings
from connector_resources.ledger.engine import SQLITE_FILENAME, describe_url, ledger_url
from connector_resources.project_home import DAGSTER_HOME_ENV, NoProject, locate
from connector_resources.redaction import register_secret
from connector_resources.settings import SANDBOX_PORT_BASE_ENV
from connector_resources.vault import KEY_ENV

DAGSTER_URL_ENV = "ML_DAGSTER_URL"

# Commands that start servers of their own: they take nothing from another running instance (``dev`` on
# another home would otherwise inherit the first one's ports and key).
SERVERS = frozenset({"dev", "sandbox"})


@dataclass
class Adopted:
    """What a command took from the running instance (setting -> value) and what it should be told."""

    instance: DevInstance | None
    taken: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def make_dev_home(start: Path | None = None) -> Path | None:
    """The instance folder ``make dev`` uses from here (``project_home.locate``): $DAGSTER_HOME, else
    ``.dagster_home`` in the project folder holding ``start`` (default: the current directory); None outside
    a project without one."""
    return locate(start).dagster_home


def adopt_running_dev() -> tuple[Adopted, Callable[[], None]]:
    """Set, in this process, what the running ``make dev`` knows and the environment does not say; return
    what was taken and a function putting the environment back."""
    home = make_dev_home()
    adopted = Adopted(instance=running(home) if home else None)
    undo: list[Callable[[], None]] = []

    def take(name: str, value: str) -> None:
        undo.append(settings.export_for_now(name, value))
        adopted.taken[name] = value

    def restore() -> None:
        while undo:
            undo.pop()()

    instance = adopted.instance
    if home is None:
        return adopted, restore
    if instance is not None:
        if not settings.given(DAGSTER_HOME_ENV):
            take(DAGSTER_HOME_ENV, instance.dagster_home)
        if not settings.given(DAGSTER_URL_ENV) and instance.ui:
            take(DAGSTER_URL_ENV, instance.ui)
        _take_port_base(instance, adopted, take)
    if not settings.given(KEY_ENV):
        _take_key(home, adopted, take)
    return adopted, restore


def _take_key(home: Path, adopted: Adopted, take: Callable[[str, str], None]) -> None:
    """The vault key of the running instance (else of the make-dev home), when this command's ledger is the
    one whose secrets it opens."""
    key_file, key_ledger = _key_of(home, adopted.instance)
    if key_file is None or not key_file.is_file():
        return
    shell_ledger = _shell_ledger()
    if shell_ledger != key_ledger:
        if adopted.instance is not None:
            adopted.notes.append(
                f"the vault key of the make dev running on {home} ({key_file}) is not used: this "
                f"shell's ledger is {shell_ledger}, that instance's is {key_ledger}"
            )
        return
    try:
        key = existing_key(key_file.parent)
    except DevVaultKeyError as exc:
        adopted.notes.append(f"vault key not taken from {key_file}: {exc}")
        return
    if key is not None:
        register_secret(key)  # never in a log line, whatever prints the environment
        take(KEY_ENV, key)


def _take_port_base(instance: DevInstance, adopted: Adopted, take: Callable[[str, str], None]) -> None:
    """The running instance's sandbox ports, unless this shell moves them itself (then say it differs)."""
    if instance.sandbox_port_base is None:
        return
    given = settings.given(SANDBOX_PORT_BASE_ENV)
    if not given:
        take(SANDBOX_PORT_BASE_ENV, str(instance.sandbox_port_base))
    elif given != str(instance.sandbox_port_base):
        adopted.notes.append(
            f"{SANDBOX_PORT_BASE_ENV}={given} in this shell wins over the make dev running on "
            f"{instance.dagster_home} ({instance.named()}), whose sandboxes are at base "
            f"{instance.sandbox_port_base}: unset it to reach them"
        )


def _shell_ledger() -> str:
    """The ledger this command will open (password masked); "" when its URL does not parse or no project is
    found (the command then says so itself)."""
    from sqlalchemy.exc import ArgumentError

    try:
        return describe_url(ledger_url(create=False))
    except (ArgumentError, ValueError, NoProject):
        return ""


def _key_of(home: Path, instance: DevInstance | None) -> tuple[Path | None, str]:
    """The key file to use and the ledger its secrets belong to: the running instance's (None when its key
    is configured in its environment instead), else the make-dev home's ``vault.key``."""
    if instance is not None:
        if instance.vault_key_file is None:
            return None, ""
        return Path(instance.vault_key_file), instance.ledger
    return home / KEY_FILE, describe_url(f"sqlite:///{home / SQLITE_FILENAME}")


def use_running_dev(ctx: click.Context) -> Adopted | None:
    """Adopt the running instance for the command ``ctx`` is about to invoke (not for the servers), the
    environment put back when it ends; notes go to stderr."""
    if ctx.invoked_subcommand in SERVERS:
        return None
    adopted, restore = adopt_running_dev()
    ctx.call_on_close(restore)
    for note in adopted.notes:
        click.echo(f"note: {note}", err=True)
    return adopted
