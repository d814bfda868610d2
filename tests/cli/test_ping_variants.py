"""``ml-connector ping`` names, for each system whose API lets it be read, which of the vendor's documented
variants the customer's system runs: here on the six simulators at their defaults (JD Edwards keeping its
processed batch rows, Procore moving stored materials into work completed, Fusion's REST framework
version, the BILL session's MFA status), and the call-out scheme our receiver takes from Coupa (Coupa's
side is not readable through its API, which the line says)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from served_sandboxes import served

from connector_cli.main import cli

SIX = ["jde_ais", "coupa", "bill", "procurify", "procore", "fusion"]


@pytest.fixture
def six(tmp_path, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.delenv("ML_INTEGRATIONS", raising=False)
    with served(SIX, str(tmp_path)):
        yield


def _line(output: str, system: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"ok   {system} "))


def test_ping_names_the_variant_each_system_runs(six) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["ping"])
    assert result.exit_code == 0, result.output
    assert "batch rows: R04110ZA ZJDE0001 keeps processed transactions" in _line(result.output, "jde_ais")
    assert "stored materials move into work completed before" in _line(result.output, "procore")
    assert "REST framework v3; pod default framework v1, v3 sent is allowed" in _line(result.output, "fusion")
    assert "MFA status NOT_TRUSTED" in _line(result.output, "bill")
    coupa = _line(result.output, "coupa")
    assert "call-outs taken by basic (ML_COUPA_WEBHOOK_AUTH" in coupa
    assert "not readable through its API" in coupa
