"""``make dev``'s vault key: kept in the instance folder so sessions and tokens live across runs.

Why: without ``ML_CONNECTOR_VAULT_KEY`` the token store keeps nothing, so every run logs in to every system
again (and Coupa makes a new token wait before its first use). Production configures the key; on a
development machine nobody should have to, so ``ml-connector dev`` creates one Fernet key in
``DAGSTER_HOME/vault.key`` (mode 0600, created atomically, never printed) and uses it while no key is
configured. A configured key always wins, and the file is never read then. Other ``ml-connector`` commands
read the same file (``existing_key``, through ``connector_cli.dev_discovery``) so a second shell opens the
secrets and sessions ``make dev`` stored.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connector_resources import settings
from connector_resources.redaction import register_secret
from connector_resources.vault import KEY_ENV

KEY_FILE = "vault.key"


class DevVaultKeyError(RuntimeError):
    """The development key file exists but cannot serve as a key (unreadable, empty, or open to others)."""


def development_key(home: Path) -> tuple[str, bool]:
    """The key kept in ``home/vault.key``, created when there is none; and whether it was created now."""
    from cryptography.fernet import Fernet

    path = home / KEY_FILE
    created = False
    try:
        # O_EXCL: two starts at once create one key; 0600 from the first byte, whatever the umask.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as sink:
            sink.write(Fernet.generate_key())
        created = True
    return _checked_key(path), created


def existing_key(home: Path) -> str | None:
    """The key in ``home/vault.key`` when there is one (never made here): what other ``ml-connector``
    commands use so they open the secrets ``make dev`` stored with it."""
    path = home / KEY_FILE
    return _checked_key(path) if path.is_file() else None


def _checked_key(path: Path) -> str:
    """The key in ``path``, refused when others can read the file or it holds no Fernet key."""
    from cryptography.fernet import Fernet

    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise DevVaultKeyError(
            f"{path} is readable by others (mode {mode:o}): chmod 600 it, or set {KEY_ENV} instead"
        )
    key = path.read_text().strip()
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise DevVaultKeyError(
            f"{path} holds no valid Fernet key: delete it to have a new one made (the secrets and "
            f"sessions stored with the old key are then unreadable), or set {KEY_ENV}"
        ) from None
    return key


def keep_sessions(home: Path) -> str:
    """Use the development key unless ``ML_CONNECTOR_VAULT_KEY`` is configured; what to tell the user."""
    if settings.given(KEY_ENV):
        return f"vault key: {KEY_ENV} (configured)"
    key, created = development_key(home)
    register_secret(key)  # never in a log line, whatever prints the environment
    settings.export(KEY_ENV, key)
    made = "created" if created else "kept"
    return f"vault key: {home / KEY_FILE} ({made}; sessions and tokens are kept between runs)"
