"""``ml-connector replay`` lists the queue by flow and kind in two views, needs a person (with what to do)
and clears by itself (with when), unless ``--all`` (every record); a wait that outlived what it waits for is
a person's, said with why; and an integration or flow nobody declares is refused instead of calling the
queue empty. Kinds are the refusals' own (``connector_resources.refusals``), never read from the sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet
from given_replays import given_to_commands, with_deployment
from ledger_entries import held_on, queued

from connector_cli.main import cli
from connector_resources.ledger import Ledger, schema
from connector_resources.refusals import KINDS, Refusal, master_missing, waits_for_record
from connector_resources.replay import ReplayOutcome

VENDORS = ("itest", "vendors", "vendor")
INVOICES = ("itest", "invoices", "invoice")


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("ML_HELD_ALERT_HOURS", "24")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    made = lambda item, _: ReplayOutcome(target_id="T", detail="made")  # noqa: E731
    given_to_commands(monkeypatch, with_deployment({("itest", "vendors"): made, ("itest", "invoices"): made}))
    return Ledger(url)


def _aged(ledger: Ledger, item_id: int, hours: float) -> None:
    """Queued ``hours`` ago: the queue keeps an item's creation time."""
    when = datetime.now(UTC) - timedelta(hours=hours)
    with ledger.engine.begin() as conn:
        t = schema.retry_queue
        conn.execute(sa.update(t).where(t.c.id == item_id).values(created_at=when))


def test_many_records_refused_alike_read_as_one_line_with_an_example_and_what_to_do(ledger):
    for n, name in enumerate(["Acme Ltd", "Bolt & Sons", "Crane 2000"]):
        sentence = f"no active Fusion supplier is named '{name}' (vendor {n + 40})"
        refusal = master_missing(sentence, system="Fusion", what="supplier", value=name)
        queued(ledger, VENDORS, f"V{n}", sentence, refusal=refusal)
    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    group = "     3 itest/vendors: A master record is missing in the target: Fusion, supplier"
    assert "needs a person: 3 record(s)" in lines and group in lines
    at = lines.index(group)
    assert lines[at + 1] == "         e.g. #1 V0: no active Fusion supplier is named 'Acme Ltd' (vendor 40)"
    assert lines[at + 2] == f"         to do: {KINDS['master_missing'].action}"
    assert "Bolt" not in dry.output and "(--all lists every record)" in lines
    assert "a replay now would attempt 3 failed record(s)" in lines

    every = CliRunner().invoke(cli, ["replay", "--dry-run", "--all"])
    assert every.exit_code == 0, every.output
    assert (
        "#2 itest/vendors V1 attempts=1 [needs a person: A master record is missing in the target: Fusion, "
        "supplier]: no active Fusion supplier is named 'Bolt & Sons' (vendor 41)"
    ) in every.output
    assert sum(line.startswith("#") for line in every.output.splitlines()) == 3


def test_thirty_closed_period_holds_of_thirty_suppliers_are_one_kind_that_clears_by_itself(ledger):
    for n in range(30):
        sentence = (
            f"invoice INV-{n} of supplier {4000 + n} is dated 2026-10-{n % 28 + 1:02d} (G/L date), in a "
            "closed accounting period: period 10 of JDE company 00001; it is sent once the period opens"
        )
        period = Refusal(
            "period_closed", sentence, {"system": "JDE", "ledger": "00001.AP", "day": "2026-10-29"}
        )
        held_on(ledger, INVOICES, f"INV-{n}", "itest:period:JDE:00001.AP/2026-10-29@itest", sentence,
                refusal=period)  # fmt: skip
    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert "clears by itself: 30 record(s)" in lines and "needs a person" not in dry.output
    kinds = [line for line in lines if line.startswith("    30 ") or "itest/invoices:" in line]
    assert kinds == ["    30 itest/invoices: Dated in a closed accounting period: JDE"], dry.output
    at = lines.index(kinds[0])
    assert lines[at + 1].startswith("         e.g. #1 INV-0: invoice INV-0 of supplier 4000 is dated")
    assert lines[at + 2] == f"         clears by itself {KINDS['period_closed'].clears}"


def test_a_wait_that_outlived_what_it_waits_for_needs_a_person_with_why(ledger):
    def hold(key: str, supplier: str):
        depends = f"itest:supplier:JDE:{supplier}"
        sentence = f"invoice {key} waits for {depends} to sync"
        return held_on(ledger, INVOICES, key, depends, sentence, refusal=waits_for_record(sentence, depends))

    hold("INV-1", "4411")  # held an hour: normal
    _aged(ledger, hold("INV-2", "4412").id, 30)  # held 30 h for a supplier that never synced
    hold("INV-3", "4343")  # its supplier synced by a path that released nothing
    ledger.record_target("itest", "supplier", "JDE", "4343", "coupa", target_id="C-981", content_hash="h")
    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    person, waits = lines.index("needs a person: 2 record(s)"), lines.index("clears by itself: 1 record(s)")
    assert person < waits
    said = "\n".join(lines[person:waits])
    assert (
        "did not clear by itself: itest:supplier:JDE:4343 has synced, but this record was not released"
        in said
    )
    assert "did not clear by itself: waited 30 h for itest:supplier:JDE:4412: it has not synced" in said
    assert "e.g. #1 INV-1: invoice INV-1 waits for itest:supplier:JDE:4411 to sync" in "\n".join(
        lines[waits:]
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--integration", "nosuch"], "no integration 'nosuch'; known: "),
        (["--flow", "nosuch"], "no flow 'nosuch'; known: "),
        (
            ["--integration", "itest", "--flow", "suppliers"],
            "no flow 'suppliers' in itest; known: invoices, vendors",
        ),
    ],
)
def test_an_unknown_integration_or_flow_is_refused_naming_the_known_ones(ledger, args, said):
    result = CliRunner().invoke(cli, ["replay", "--dry-run", *args])
    assert result.exit_code == 2, result.output
    assert said in result.output and "the retry queue is empty" not in result.output
    assert ("itest" if "--integration" in args else "vendors") in result.output  # the known names listed
