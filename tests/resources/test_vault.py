"""The credential vault against a real ledger database (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from connector_resources.ledger import Ledger, schema
from connector_resources.redaction import redact
from connector_resources.vault import SecretNotFound, Vault, VaultKeyError, resolve_secret


@pytest.fixture
def sqlite_ledger(sqlite_url: str) -> Iterator[Ledger]:
    led = Ledger(sqlite_url)
    yield led
    led.dispose()


def ciphertexts(ledger: Ledger) -> dict[str, str]:
    """Each stored secret's ciphertext by name, read with SQL past the vault."""
    with ledger.engine.connect() as conn:
        return dict(conn.execute(sa.select(schema.secret.c.name, schema.secret.c.ciphertext)).all())


def test_round_trip_and_encrypted_at_rest(ledger, caplog):
    key = Vault.generate_key()
    vault = Vault(ledger, keys=key)
    value = "coupa-client-secret-Zq81x"
    with caplog.at_level(logging.DEBUG, logger="ml_connector"):
        vault.set("coupa/prod/client_secret", value)
        assert vault.get("coupa/prod/client_secret") == value
    assert value not in caplog.text and "coupa/prod/client_secret" in caplog.text

    stored = ciphertexts(ledger)["coupa/prod/client_secret"]
    assert value not in stored and value.encode().hex() not in stored

    [before] = vault.list()
    vault.set("coupa/prod/client_secret", "replaced-value-77")  # set twice = replace
    assert vault.get("coupa/prod/client_secret") == "replaced-value-77"
    [after] = vault.list()
    assert after.created_at == before.created_at and after.updated_at >= before.updated_at
    assert redact("server echoed replaced-value-77") == "server echoed ***"  # registered on read


def test_rotation_moves_every_secret_to_the_new_key(ledger):
    old, new = Vault.generate_key(), Vault.generate_key()
    Vault(ledger, keys=old).set("bill/dev_key", "bill-devkey-rot-1")
    Vault(ledger, keys=old).set("jde/password", "jde-pass-rot-2")
    before = ciphertexts(ledger)

    assert Vault(ledger, keys=f"{new},{old}").rotate() == 2
    after = ciphertexts(ledger)
    assert all(after[name] != before[name] for name in before)

    only_new = Vault(ledger, keys=new)
    assert only_new.get("bill/dev_key") == "bill-devkey-rot-1"
    assert only_new.get("jde/password") == "jde-pass-rot-2"
    with pytest.raises(VaultKeyError):
        Vault(ledger, keys=old).get("jde/password")  # the old key is really out


def test_rotation_is_all_or_nothing(sqlite_ledger):
    first, second, third = (Vault.generate_key() for _ in range(3))
    Vault(sqlite_ledger, keys=first).set("a", "value-under-first-1")
    # Mid-rotation: "b" is written under the new key while "a" still needs the old one.
    Vault(sqlite_ledger, keys=f"{second},{first}").set("b", "value-under-second-2")
    before = ciphertexts(sqlite_ledger)
    with pytest.raises(VaultKeyError, match="'b'"):
        Vault(sqlite_ledger, keys=f"{third},{first}").rotate()  # cannot read "b"
    assert ciphertexts(sqlite_ledger) == before


def test_wrong_key_is_a_clear_error_without_key_or_secret(ledger):
    right, wrong = Vault.generate_key(), Vault.generate_key()
    secret = "procore-secret-W4rn9"
    Vault(ledger, keys=right).set("procore/client_secret", secret)
    with pytest.raises(VaultKeyError) as err:
        Vault(ledger, keys=wrong).get("procore/client_secret")
    message = str(err.value)
    assert "'procore/client_secret'" in message
    assert "does not match" in message and "InvalidToken" in message
    for forbidden in (right, wrong, secret):
        assert forbidden not in message


def test_missing_and_malformed_keys(sqlite_ledger, monkeypatch):
    monkeypatch.delenv("ML_CONNECTOR_VAULT_KEY", raising=False)
    with pytest.raises(VaultKeyError, match="ml-connector credentials gen-key"):
        Vault(sqlite_ledger)
    malformed = "not-a-fernet-key-but-long-enough"
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", f"{Vault.generate_key()}, {malformed}")
    with pytest.raises(VaultKeyError, match="Key #2 of 2 in ML_CONNECTOR_VAULT_KEY") as err:
        Vault(sqlite_ledger)
    assert malformed not in str(err.value)

    good = Vault.generate_key()
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", good)
    vault = Vault(sqlite_ledger)  # from the environment
    vault.set("x", "env-keyed-value-3")
    assert Vault(sqlite_ledger, keys=good).get("x") == "env-keyed-value-3"


def test_list_and_delete_never_expose_values(sqlite_ledger):
    vault = Vault(sqlite_ledger, keys=Vault.generate_key())
    vault.set("b.name", "listed-value-bbb")
    vault.set("a-name", "listed-value-aaa")
    listed = vault.list()
    assert [s.name for s in listed] == ["a-name", "b.name"]
    assert all(s.created_at.tzinfo is not None for s in listed)
    assert "listed-value" not in repr(listed)

    vault.delete("a-name")
    assert [s.name for s in vault.list()] == ["b.name"]
    with pytest.raises(SecretNotFound, match="No secret named 'a-name'"):
        vault.get("a-name")
    with pytest.raises(SecretNotFound):
        vault.delete("a-name")


@pytest.mark.parametrize("bad", ["", "has space", "quote'", "semi;colon", "x" * 201])
def test_secret_names_are_validated(sqlite_ledger, bad):
    vault = Vault(sqlite_ledger, keys=Vault.generate_key())
    with pytest.raises(ValueError, match="secret name"):
        vault.set(bad, "some-value-123")


def test_resolve_secret_sources(sqlite_ledger, monkeypatch):
    vault = Vault(sqlite_ledger, keys=Vault.generate_key())
    vault.set("bill/password", "bill-password-R3s0lve")
    assert resolve_secret("vault:bill/password", vault=vault) == "bill-password-R3s0lve"

    monkeypatch.setenv("MLC_TEST_JDE_PASSWORD", "jde-env-password-88")
    assert resolve_secret("env:MLC_TEST_JDE_PASSWORD") == "jde-env-password-88"
    assert redact("login jde-env-password-88 refused") == "login *** refused"

    monkeypatch.delenv("MLC_TEST_UNSET", raising=False)
    with pytest.raises(SecretNotFound, match="MLC_TEST_UNSET"):
        resolve_secret("env:MLC_TEST_UNSET")
    with pytest.raises(SecretNotFound, match="bill/missing"):
        resolve_secret("vault:bill/missing", vault=vault)

    assert resolve_secret("literal-secret-L1t") == "literal-secret-L1t"
    assert redact("echo literal-secret-L1t") == "echo ***"


def test_resolve_secret_builds_the_vault_from_the_environment(tmp_path, monkeypatch):
    key = Vault.generate_key()
    url = f"sqlite:///{tmp_path / 'env-ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", key)
    ledger = Ledger(url)
    try:
        Vault(ledger, keys=key).set("procurify/token", "procurify-token-Env5")
        assert resolve_secret("vault:procurify/token") == "procurify-token-Env5"
    finally:
        ledger.dispose()
