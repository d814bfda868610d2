"""Ping checks for the connector's own stores: the ledger database and the credential vault."""

from __future__ import annotations

import os

from connector_resources.ledger import Ledger, ledger_url
from connector_resources.ping import register_ping
from connector_resources.redaction import redact


def ping_ledger() -> str:
    """The ledger database answers and its schema is migrated to head."""
    url = ledger_url()
    ledger = Ledger(url)
    try:
        counts = ledger.summary()
    finally:
        ledger.engine.dispose()
    safe_url = redact(ledger.engine.url.render_as_string(hide_password=True))
    return f"{safe_url}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def ping_vault() -> str:
    """Every stored secret decrypts with the configured key (a wrong key fails here, not mid-run)."""
    from connector_resources.vault import Vault, VaultKeyError

    ledger = Ledger(ledger_url())
    try:
        if not os.environ.get("ML_CONNECTOR_VAULT_KEY"):
            names = _stored_secret_names(ledger)
            if names:
                raise VaultKeyError(
                    f"{len(names)} secret(s) are stored but ML_CONNECTOR_VAULT_KEY is not set"
                )
            return "no vault key set and no secrets stored (sandbox defaults need none)"
        vault = Vault(ledger)
        infos = vault.list()
        for info in infos:
            vault.get(info.name)
        return f"{len(infos)} secret(s) decrypt with the current key"
    finally:
        ledger.engine.dispose()


def _stored_secret_names(ledger: Ledger) -> list[str]:
    import sqlalchemy as sa

    with ledger.engine.connect() as conn:
        return [row[0] for row in conn.execute(sa.text("select name from mlc_secret"))]


def register_core_pings() -> None:
    """The ledger and vault checks, plus the check of every API resource built so far."""
    from connector_resources.bill import register_bill_ping
    from connector_resources.coupa import register_coupa_ping
    from connector_resources.fusion import register_fusion_ping
    from connector_resources.jde import register_jde_ping
    from connector_resources.procore import register_procore_ping
    from connector_resources.procurify import register_procurify_ping

    register_ping("ledger", ping_ledger)
    register_ping("vault", ping_vault)
    register_jde_ping()
    register_coupa_ping()
    register_procurify_ping()
    register_procore_ping()
    register_bill_ping()
    register_fusion_ping()
