"""A vault is never split between two keys: ``set`` refuses, ``ping`` and ``credentials status`` report it.

``credentials set`` under a key that could not decrypt the stored secrets used to succeed,
leaving some secrets under one key and some under another, so ``rotate`` then failed under either key.
Everything here goes through the real CLI (click's CliRunner) or the vault API on a real ledger database.
"""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from test_vault import ciphertexts

from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.vault import KEY_ENV, Vault, VaultSplitError

KEY_A, KEY_B = Vault.generate_key(), Vault.generate_key()
VALUES = {"coupa/client_secret": "coupa-Split-val-1", "jde/password": "jde-Split-val-2"}


@pytest.fixture
def ledger(ledger: Ledger, db_url: str, monkeypatch) -> Ledger:
    """conftest's real ledger (SQLite, then PostgreSQL), which the CLI uses too."""
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", db_url)
    return ledger


def _cli(monkeypatch, keys: str, *args: str, value: str | None = None):
    monkeypatch.setenv(KEY_ENV, keys)
    return CliRunner().invoke(cli, list(args), input=value)


def _set(monkeypatch, keys: str, name: str, value: str):
    return _cli(monkeypatch, keys, "credentials", "set", name, "--stdin", value=value + "\n")


def _assert_nothing_secret_in(text: str) -> None:
    for forbidden in (KEY_A, KEY_B, *VALUES.values()):
        assert forbidden not in text


def _split_vault(ledger: Ledger) -> None:
    """What older code left behind: two secrets under key A, one under key B.

    Built through the vault API in the middle of a rotation (B,A configured), which is legitimate; it
    is split for anyone who then configures only one of the two keys.
    """
    Vault(ledger, keys=KEY_A).set("coupa/client_secret", VALUES["coupa/client_secret"])
    Vault(ledger, keys=KEY_A).set("jde/password", VALUES["jde/password"])
    Vault(ledger, keys=f"{KEY_B},{KEY_A}").set("bill/dev_key", "bill-Split-val-3")


def test_set_under_a_key_that_cannot_decrypt_the_vault_is_refused(ledger, monkeypatch):
    for name, value in VALUES.items():
        stored = _cli(monkeypatch, KEY_A, "credentials", "set", name, "--stdin", value=value + "\n")
        assert stored.exit_code == 0, stored.output
    before = ciphertexts(ledger)

    refused = _cli(monkeypatch, KEY_B, "credentials", "set", "bill/dev_key", "--stdin", value="bill-new-9\n")
    assert refused.exit_code == 1, refused.output
    assert "secret 'bill/dev_key' was not stored" in refused.output
    assert f"{KEY_ENV} cannot decrypt any of the 2 existing secrets" in refused.output
    assert (
        "'coupa/client_secret'" in refused.output and "not the key they were written with" in refused.output
    )
    _assert_nothing_secret_in(refused.output)
    assert "bill-new-9" not in refused.output
    assert ciphertexts(ledger) == before  # nothing written

    # Without --stdin the refusal comes before the prompt: nobody types a secret for nothing.
    prompted = _cli(monkeypatch, KEY_B, "credentials", "set", "bill/dev_key")
    assert prompted.exit_code == 1 and "value for" not in prompted.output, prompted.output

    # The API itself refuses too (the CLI check is only a courtesy; this one holds the lock).
    with pytest.raises(VaultSplitError, match="cannot decrypt any of the 2") as err:
        Vault(ledger, keys=KEY_B).set("bill/dev_key", "bill-new-9")
    _assert_nothing_secret_in(str(err.value))
    assert ciphertexts(ledger) == before

    # The right key still works, and rotation from it to B moves everything in one go.
    assert _cli(monkeypatch, KEY_A, "credentials", "rotate").exit_code == 0
    rotated = _cli(monkeypatch, f"{KEY_B},{KEY_A}", "credentials", "rotate")
    assert rotated.exit_code == 0 and "2 secret(s)" in rotated.output, rotated.output
    after_b = _cli(monkeypatch, KEY_B, "credentials", "set", "bill/dev_key", "--stdin", value="bill-new-9\n")
    assert after_b.exit_code == 0, after_b.output
    assert Vault(ledger, keys=KEY_B).health().unreadable == ()


def test_empty_vault_accepts_any_key_and_storing_the_one_stranded_secret_heals(ledger, monkeypatch):
    first = _set(monkeypatch, KEY_A, "jde/password", VALUES["jde/password"])
    assert first.exit_code == 0, first.output  # an empty vault has nothing to strand
    # Replacing the one secret the new key cannot read leaves nothing stranded: allowed.
    again = _set(monkeypatch, KEY_B, "jde/password", VALUES["jde/password"])
    assert again.exit_code == 0, again.output
    assert Vault(ledger, keys=KEY_B).get("jde/password") == VALUES["jde/password"]
    status = _cli(monkeypatch, KEY_B, "credentials", "status")
    assert status.exit_code == 0 and "vault ok" in status.output, status.output


def test_ping_and_status_report_a_split_vault(ledger, monkeypatch):
    _split_vault(ledger)
    before = ciphertexts(ledger)

    for system in ("ledger", "vault"):
        pinged = _cli(monkeypatch, KEY_B, "ping", "--system", system)
        assert pinged.exit_code == 1, pinged.output
        assert f"FAIL {system}" in pinged.output and "the vault is split" in pinged.output
        assert "cannot decrypt 2 of the 3 existing secrets (e.g. 'coupa/client_secret', 'jde/password')" in (
            pinged.output
        )
        _assert_nothing_secret_in(pinged.output)

    status = _cli(monkeypatch, KEY_B, "credentials", "status")
    assert status.exit_code == 1, status.output
    assert "3 secret(s) stored" in status.output
    assert "key #1 (first key, encrypts new secrets): decrypts 1" in status.output
    assert "no configured key decrypts: 2 (coupa/client_secret, jde/password)" in status.output
    assert "the vault is split" in status.output
    _assert_nothing_secret_in(status.output)

    other_half = _cli(monkeypatch, KEY_A, "ping", "--system", "vault")
    assert (
        other_half.exit_code == 1
        and "cannot decrypt 1 of the 3 existing secrets (e.g. 'bill/dev_key')" in other_half.output
    )

    # rotate under either key alone fails whole, naming the problem; nothing is rewritten.
    for keys in (KEY_A, KEY_B):
        rotate = _cli(monkeypatch, keys, "credentials", "rotate")
        assert rotate.exit_code == 1 and "nothing was re-encrypted: the vault is split" in rotate.output
        _assert_nothing_secret_in(rotate.output)
    assert ciphertexts(ledger) == before

    # With both keys the vault is whole again: ping passes, status says a rotation is pending.
    both = f"{KEY_B},{KEY_A}"
    healed = _cli(monkeypatch, both, "ping", "--system", "ledger", "--system", "vault")
    assert healed.exit_code == 0, healed.output
    assert "3 of 3 secret(s) decrypt (key #1 1, key #2 2); 2 still need" in healed.output
    pending = _cli(monkeypatch, both, "credentials", "status")
    assert pending.exit_code == 0 and "key #2 (older key, read only): decrypts 2" in pending.output
    assert "2 secret(s) still need an older key" in pending.output
    assert _cli(monkeypatch, both, "credentials", "rotate").exit_code == 0
    done = _cli(monkeypatch, KEY_B, "credentials", "status")
    assert done.exit_code == 0 and "key #1 (first key, encrypts new secrets): decrypts 3" in done.output


def test_ledger_ping_without_a_key_does_not_fail_on_stored_secrets(ledger, monkeypatch):
    _split_vault(ledger)
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = CliRunner().invoke(cli, ["ping", "--system", "ledger", "--system", "vault"])
    assert "ok   ledger" in result.output and "3 secret(s) stored, not checked" in result.output
    assert "FAIL vault" in result.output and result.exit_code == 1


def test_two_writers_with_different_keys_cannot_split_an_empty_vault(ledger, db_url):
    """Check and write share one locked transaction: exactly one of two racing writers wins."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def write(name: str, key: str) -> None:
        own = Ledger(db_url)  # a connection pool of its own, as a second process would have
        try:
            barrier.wait(timeout=30)
            Vault(own, keys=key).set(name, f"{name}-race-value")
            outcomes[name] = "stored"
        except VaultSplitError:
            outcomes[name] = "refused"
        finally:
            own.dispose()

    threads = [threading.Thread(target=write, args=args) for args in (("a", KEY_A), ("b", KEY_B))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["refused", "stored"], outcomes
    [winner] = [name for name, outcome in outcomes.items() if outcome == "stored"]
    health = Vault(ledger, keys=KEY_A if winner == "a" else KEY_B).health()
    assert health.total == 1 and health.ok
