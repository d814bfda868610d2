"""Step processes for the kept-credential tests (``test_*_token_store``): a script run with
``subprocess`` as a Dagster step is, configured from the environment (ledger URL, vault key), that
prints its report as one JSON line last. What it logs (stderr) comes back with the report, so a test
can prove a secret never reached it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def step_env(db_url: str, vault_key: str | None) -> dict[str, str]:
    """This environment with the ledger at ``db_url`` and the vault key ``vault_key`` (None: unset)."""
    env = {**os.environ, "ML_CONNECTOR_DB_URL": db_url}
    env.pop("ML_CONNECTOR_VAULT_KEY", None)
    if vault_key is not None:
        env["ML_CONNECTOR_VAULT_KEY"] = vault_key
    return env


def start_step(script: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_step(process: subprocess.Popen) -> tuple[dict, str]:
    """The step's report and everything it wrote (stdout and stderr); fails the test if it failed."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1]), out + err


def stored_secrets(db_url: str) -> list[tuple[str, str]]:
    """``(name, ciphertext)`` of every secret in the vault table, read with SQL, not the vault."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text("select name, ciphertext from mlc_secret"))]
    finally:
        engine.dispose()


def assert_kept_secretly(db_url: str, secret: str, outputs: list[str]) -> None:
    """``secret`` is neither in any stored ciphertext nor anywhere in a SQLite ledger's file, nor in
    what the step processes printed or logged."""
    assert all(secret not in ciphertext for _, ciphertext in stored_secrets(db_url))
    if db_url.startswith("sqlite:///"):
        assert secret.encode() not in Path(db_url.removeprefix("sqlite:///")).read_bytes()
    assert all(secret not in output for output in outputs)


def revoked_token_replaced_once(
    start: Callable[[], subprocess.Popen], tokens_issued: Callable[[], int], revoke: Callable[[], object]
) -> None:
    """A step stores a token, the system revokes it, then three step processes start together: one token
    request in all, each met the revoked token once at most, and the first to try it did meet it."""
    finish_step(start())
    revoke()
    before = tokens_issued()
    processes = [start() for _ in range(3)]
    reports = [finish_step(p)[0] for p in processes]
    assert tokens_issued() - before == 1
    assert sum(r["fetches"] for r in reports) == 1
    assert all(r["unauthorized"] <= 1 for r in reports)
    assert sum(r["unauthorized"] for r in reports) >= 1


def two_at_once_mint_one_token(
    start: Callable[[], subprocess.Popen], tokens_issued: Callable[[], int]
) -> list[tuple[dict, str]]:
    """Two step processes started together: one token request in all, one minted it and the other adopted
    it from the vault, and neither met a 401. Their reports and outputs."""
    before = tokens_issued()
    first, second = start(), start()
    reports = [finish_step(first), finish_step(second)]
    assert tokens_issued() - before == 1
    assert sorted(r["fetches"] for r, _ in reports) == [0, 1]
    assert sorted(r["adopted"] for r, _ in reports) == [0, 1]
    assert all(r["unauthorized"] == 0 for r, _ in reports)
    return reports


def assert_stored_token_kept_secretly(db_url: str, token: Any, runs: list[tuple[dict, str]]) -> None:
    """A token was stored (``token``, read back from the vault) and its value is kept secretly: not in the
    ledger's file or ciphertexts, nor in what any of the step ``runs`` printed or logged."""
    assert token is not None
    assert_kept_secretly(db_url, token.value, [output for _, output in runs])


def stop_process(process: subprocess.Popen, grace: float = 10) -> None:
    """End a server or child the test started: SIGTERM, then SIGKILL when it has not ended in ``grace``."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def token_cost(auth: Any, session: Any, **more: Any) -> str:
    """The JSON line a token step prints (``*_token_step.py``): tokens its process minted, tokens it adopted
    from the store, and the 401s its session met, with ``more`` of its own."""
    cost = {"fetches": auth.fetch_count, "adopted": auth.adopt_count, **more}
    return json.dumps({**cost, "unauthorized": session.metrics.statuses[401]})
