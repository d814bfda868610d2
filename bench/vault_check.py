"""What does the vault's "every secret opens with the configured keys" check cost on a big vault?

Run by hand (not by pytest)::

    .venv/bin/python bench/vault_check.py              # 1,000 / 10,000 / 100,000 secrets, SQLite
    .venv/bin/python bench/vault_check.py -n 5000

``Vault.set`` runs this check before every write (and ``rotate``, ``ping`` and ``credentials status``
run it too): it reads every ciphertext and verifies its HMAC under the configured keys. The secrets are
bulk-loaded through SQLAlchemy Core, half under each of two keys (the state in the middle of a
rotation, where the second key is tried for half of them), then ``health()`` and one ``set()`` are
timed through the real ``Vault`` API.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from connector_resources.ledger import Ledger, schema
from connector_resources.vault import Vault


def measure(count: int) -> str:
    new, old = Vault.generate_key(), Vault.generate_key()
    writers = (Fernet(new), Fernet(old))
    now = datetime.now(UTC)
    rows = [
        {
            "name": f"bench/{i}",
            "ciphertext": writers[i % 2].encrypt(f"value-{i}".encode()).decode("ascii"),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'vault.sqlite'}")
        try:
            with ledger.transaction() as conn:
                conn.execute(sa.insert(schema.secret), rows)
            vault = Vault(ledger, keys=f"{new},{old}")
            started = time.perf_counter()
            health = vault.health()
            checked = time.perf_counter() - started
            started = time.perf_counter()
            vault.set("bench/extra", "one-more-value")
            stored = time.perf_counter() - started
        finally:
            ledger.dispose()
    assert health.ok and health.per_key == (count - count // 2, count // 2)
    return f"{count:>9,} secrets: health() {checked * 1000:7.0f} ms   set() {stored * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="vault size (repeatable)")
    for count in parser.parse_args().n or [1_000, 10_000, 100_000]:
        print(measure(count))


if __name__ == "__main__":
    main()
