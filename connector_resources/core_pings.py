"""Ping checks for the connector's own stores: the ledger database and the credential vault."""

from __future__ import annotations

from connector_resources import settings
from connector_resources.ledger import Ledger, ledger_url
from connector_resources.ping import register_ping
from connector_resources.redaction import redact


def ping_ledger() -> str:
    """The ledger database answers, its schema is migrated to head, and its vault is not split."""
    url = ledger_url()
    ledger = Ledger(url)
    try:
        counts = ledger.summary()
        vault = _vault_state(ledger, key_required=False)  # mlc_secret is in the ledger: split fails here
    finally:
        ledger.engine.dispose()
    safe_url = redact(ledger.engine.url.render_as_string(hide_password=True))
    return f"{safe_url}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) + f"; vault: {vault}"


def ping_vault() -> str:
    """Every stored secret decrypts with the configured key (a wrong key fails here, not mid-run)."""
    ledger = Ledger(ledger_url())
    try:
        return _vault_state(ledger, key_required=True)
    finally:
        ledger.engine.dispose()


def _vault_state(ledger: Ledger, *, key_required: bool) -> str:
    """How many secrets each configured key opens; raises when any stored secret opens with none.

    A vault split between two keys (secrets written under a key that is no longer configured) fails
    both the vault and the ledger check, with the names and counts, never a key or a value.
    """
    from connector_resources.vault import (
        KEY_ENV,
        Vault,
        VaultKeyError,
        VaultSplitError,
        keyless_state,
        stored_secrets,
    )

    if not settings.given(KEY_ENV):
        stored = len(stored_secrets(ledger))
        if stored and key_required:
            raise VaultKeyError(f"{stored} secret(s) are stored but {KEY_ENV} is not set")
        return keyless_state(stored)
    health = Vault(ledger).health()
    if not health.ok:
        raise VaultSplitError(health.problem(), health)
    return health.summary()


def register_core_pings() -> None:
    """The ledger and vault checks, plus the check of every declared system (``System.ping``)."""
    from connector_resources.systems import declared_systems

    register_ping("ledger", ping_ledger)
    register_ping("vault", ping_vault)
    for system in declared_systems():
        if system.ping is not None:
            system.ping()
