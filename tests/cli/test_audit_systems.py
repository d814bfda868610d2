"""``ml-connector audit --system``: the README's example names a record the sandbox has, a system nobody
declares is refused naming the known ones (as ``replay --integration`` is), and a record refused before
it ever had a cross-reference keeps its retry-queue items under its own system."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from ledger_entries import audited, queued

from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_sandbox.jde_ais.dates import from_julian
from connector_sandbox.jde_ais.seed import seed
from connector_sandbox.jde_ais.settings import JdeSandboxSettings
from connector_sandbox.jde_ais.store import Store

ROOT = Path(__file__).resolve().parents[2]
SUPPLIERS = ("jde_coupa", "suppliers", "supplier")  # JDE -> Coupa: keyed by the JDE supplier's AN8


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    return Ledger(url)


def test_the_readme_s_audit_example_names_a_supplier_the_first_backfill_reads():
    """The README's ``audit <AN8> --system JDE`` names a JDE supplier of the sandbox make dev seeds (scale 1)
    changed within the 7 days its first backfill reads: one with a history on the first day (1011, the old
    example, is an employee there, so 'nothing recorded' was the truth)."""
    [an8] = re.findall(r"audit (\d+) --system JDE", (ROOT / "README.md").read_text(encoding="utf-8"))
    store = Store()
    seed(store, JdeSandboxSettings(scale=1.0))
    anchor = date.fromisoformat(str(store.get_meta("seed_anchor")))
    [supplier] = store.fetch_dicts("SELECT AN8, UPMJ FROM F0401 WHERE AN8 = ?", (int(an8),))
    assert anchor - timedelta(days=7) <= from_julian(supplier["UPMJ"]) <= anchor, supplier


def test_an_unknown_system_is_refused_naming_the_known_ones(ledger):
    audited(ledger, "jde_coupa", "suppliers", "fail", "3118", "tax ID missing in F0401", source_system="JDE")
    result = CliRunner().invoke(cli, ["audit", "3118", "--system", "Foo"])
    assert result.exit_code == 2, result.output
    assert "no system 'Foo'; known: " in result.output and result.exception is not None
    assert "Traceback" not in result.output and "nothing recorded" not in result.output
    known = result.output.split("known: ", 1)[1]
    assert all(name in known for name in ("JDE", "coupa", "bill", "procurify", "procore", "fusion")), known


def test_a_supplier_refused_before_any_write_is_found_in_jde_with_its_queue_items(ledger):
    """JDE supplier 3118 refused by the suppliers flow's mapping has no cross-reference: its retry-queue
    item and the replay's event of it (which name no system) are JDE supplier 3118's, not an unknown
    system's; ``--system jde`` (any case) shows them, and a system the id is not recorded in says where
    it is."""
    item = queued(
        ledger, SUPPLIERS, "3118", "supplier 3118: payment terms N45 (F0401 TRAP) have no Coupa term"
    )
    audited(ledger, *SUPPLIERS[:2], "fail", "3118", item.reason, entity="supplier", source_system="JDE")
    ledger.audit_item(item, "fail", "replayed: payment terms N45 still have no Coupa term")
    shown = CliRunner().invoke(cli, ["audit", "3118", "--system", "jde"])
    assert shown.exit_code == 0, shown.output
    assert f"queue #{item.id} jde_coupa/suppliers 3118 [failed]" in shown.output, shown.output
    assert "replayed: payment terms N45 still have no Coupa term" in shown.output
    assert "unknown system" not in CliRunner().invoke(cli, ["audit", "3118"]).output
    elsewhere = CliRunner().invoke(cli, ["audit", "3118", "--system", "coupa"])
    assert elsewhere.exit_code == 1
    assert "nothing recorded for '3118' in coupa (neither a source key nor a target ID); recorded in JDE" in (
        elsewhere.output
    )
