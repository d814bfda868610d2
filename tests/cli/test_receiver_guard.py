"""One webhook receiver process per SQLite ledger: a second is refused naming PostgreSQL, and the hold ends
with the process that took it, however it ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from connector_cli.main import cli
from connector_cli.receiver_guard import SecondReceiver, sole_receiver

HOLDER = textwrap.dedent(
    """
    import sys, time
    from connector_cli.receiver_guard import sole_receiver
    held = sole_receiver(sys.argv[1])
    print("held" if held else "none", flush=True)
    time.sleep(120)
    """
)


def test_a_second_receiver_on_one_sqlite_ledger_is_refused_until_the_first_process_dies(
    tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    first = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "held"
        with pytest.raises(SecondReceiver, match=r"PostgreSQL \(ML_CONNECTOR_DB_URL=postgresql://"):
            sole_receiver(url)
        monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
        refused = CliRunner().invoke(cli, ["webhooks", "--port", "0"])
        assert refused.exit_code == 1 and "another webhook receiver already stores" in refused.output
    finally:
        first.kill()  # kill -9: the kernel drops the lock with the process
        first.wait()
    held = sole_receiver(url)
    assert held is not None
    held.close()


def test_postgresql_takes_several_receivers():
    url = "postgresql+psycopg2://someone@127.0.0.1:5432/test"
    assert sole_receiver(url) is None and sole_receiver(url) is None
