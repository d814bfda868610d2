"""``make dev``'s start of the sandbox world (``connector_cli.dev_world.start_world``: the simulators and
every integration's start-up linking), twice on the same home, as a restart does.

The second start keeps every pairing: the ledger's pairs and every record they name are as the first start
left them, and the linking re-points nothing, not even a record a flow numbered since with a number beyond
the ones make dev reads (a Coupa supplier a flow created from a JDE supplier, say). A start that would be
half (sandbox data removed while the ledger keeps its pairs) is refused, naming how to start over.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from cryptography.fernet import Fernet

from connector_sandbox.registry import SANDBOXES, free_port_base
from tests.sandbox_world import environment, forget_logins

pytestmark = pytest.mark.timeout(900)  # `make dev`'s world started and stopped: load 15 too

SCALE = 0.02
NUMBERED_SINCE = "99999"  # a number no JDE sandbox supplier of the first 1000 has


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A make dev home: DAGSTER_HOME with its ledger, a vault key, a free block of sandbox ports."""
    values = {
        "DAGSTER_HOME": str(tmp_path),
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "ML_STAGING_URL": str(tmp_path / "staging"),
        "ML_CONNECTOR_VAULT_KEY": Fernet.generate_key().decode(),
        "ML_SANDBOX_PORT_BASE": str(free_port_base()),
    }
    with environment(values):
        forget_logins()
        yield tmp_path
    forget_logins()


def started(home: Path) -> list:
    """``start_world`` on ``home``, then every simulator stopped (its data kept): the running ones."""
    from connector_cli.dev_world import start_world

    running = start_world(f"sqlite:///{home / 'ledger.sqlite'}", scale=SCALE)
    for sandbox in running:
        sandbox.stop()
    return running


def kept(home: Path, key: str) -> Path:
    """The file make dev keeps simulator ``key``'s data in."""
    return home / "sandbox" / f"{key}-{SCALE:g}.sqlite"


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def links(home: Path) -> dict[str, Any]:
    """What the start-up linking and pairing decide, read from the kept files and the ledger."""
    coupa = rows(kept(home, "coupa"), 'SELECT id, doc FROM "suppliers" ORDER BY id')
    return {
        "coupa": {i: json.loads(doc).get("number") for i, doc in coupa},
        "procore": dict(rows(kept(home, "procore"), "SELECT id, origin_id FROM vendors")),
        "procurify": dict(rows(kept(home, "procurify"), "SELECT id, external_id FROM vendors")),
        "pairs": rows(
            home / "ledger.sqlite",
            "SELECT integration, entity, source_system, source_key, target_system, target_id, manual "
            "FROM mlc_xref ORDER BY id",
        ),
        "fusion": {str(i) for (i,) in rows(kept(home, "fusion"), 'SELECT "SupplierId" FROM supplier')},
    }


def number_since(home: Path) -> dict[str, int]:
    """As the flows do between two starts: a Coupa supplier, a Procore vendor and a Procurify vendor get a
    number make dev's linking does not read (created or numbered from an ERP supplier beyond the first
    ones). Answers the record ids touched."""
    from connector_sandbox.coupa.erp_numbers import SUPPLIERS, set_number
    from connector_sandbox.coupa.store import Store as CoupaStore
    from connector_sandbox.procore.store import Store as ProcoreStore
    from connector_sandbox.procurify.store import Store as ProcurifyStore

    coupa = CoupaStore(kept(home, "coupa"))
    supplier = coupa.select(SUPPLIERS, 't."ix_number" IS NOT NULL', limit=1)[0]
    set_number(supplier, NUMBERED_SINCE)
    coupa.save(SUPPLIERS, supplier)
    coupa.close()
    procore = ProcoreStore(kept(home, "procore"))
    vendor = procore.conn.execute("SELECT id FROM vendors WHERE origin_id LIKE 'JDE-V-%' LIMIT 1").fetchone()[
        0
    ]
    procore.conn.execute("UPDATE vendors SET origin_id = ? WHERE id = ?", (f"JDE-V-{NUMBERED_SINCE}", vendor))
    procore.close()
    procurify = ProcurifyStore(kept(home, "procurify"))
    keyed = procurify.scalar(
        "SELECT MIN(id) FROM vendors WHERE external_id IS NOT NULL AND external_id != ''"
    )
    procurify.update("vendors", keyed, {"external_id": NUMBERED_SINCE})
    procurify.close()
    return {"coupa": supplier["id"], "procore": vendor, "procurify": keyed}


def test_a_second_start_keeps_every_pairing_and_re_points_nothing(home: Path) -> None:
    first = started(home)
    linked = links(home)
    assert linked["pairs"], "the first start paired the seeded Procurify vendors with Fusion suppliers"
    touched = number_since(home)
    before = links(home)

    second = started(home)

    after = links(home)
    assert after["pairs"] == before["pairs"]  # no pair made, changed or lost
    assert after["coupa"] == before["coupa"]  # no supplier re-pointed
    assert after["coupa"][touched["coupa"]] == NUMBERED_SINCE
    assert after["procore"] == before["procore"]
    assert after["procore"][touched["procore"]] == f"JDE-V-{NUMBERED_SINCE}"
    assert after["procurify"] == before["procurify"]
    assert after["procurify"][touched["procurify"]] == NUMBERED_SINCE
    # Every Fusion supplier a pair names (and every one entered at the first start) is still there.
    assert before["fusion"] <= after["fusion"]
    assert {target for *_, target, _manual in after["pairs"] if target} <= after["fusion"]
    assert not any(sandbox.kept for sandbox in first) and all(sandbox.kept for sandbox in second)


def test_a_start_without_the_sandbox_data_beside_an_old_ledger_is_refused(home: Path) -> None:
    """The sandbox data removed (or never kept: an older version) while the ledger keeps a pairing with a
    sandbox record: seeding the simulators anew would leave that pairing naming a record that is not
    there, so nothing starts and the message says how to start both over."""
    from connector_cli.dev_world import sandbox_pairings, start_world
    from connector_resources.ledger import Ledger

    url = f"sqlite:///{home / 'ledger.sqlite'}"
    ledger = Ledger(url)
    ledger.set_manual_override(
        "fusion_procurify",
        "vendor",
        "procurify",
        "3",
        "fusion",
        "300000047200001",
        entered_by="make dev",
        note="",
    )
    ledger.dispose()
    assert sandbox_pairings(url) == 1

    with pytest.raises(click.ClickException, match="the ledger holds 1 pairing") as refused:
        start_world(url, scale=SCALE)

    assert "remove" in refused.value.message and str(home / "sandbox") in refused.value.message
    assert not list((home / "sandbox").glob("*.sqlite"))  # nothing seeded
    assert sandbox_pairings(url) == 1


def test_sandbox_data_the_ledger_pairs_nothing_with_is_seeded_anew_with_the_others(
    home: Path, capsys
) -> None:
    """One simulator started alone before the first make dev (``ml-connector sandbox --system coupa``, or a
    test run in the project folder) kept its data, and nothing else did: no ledger pairing names it, so it is
    no world yet. make dev seeds every simulator anew together instead of refusing a half world."""
    from connector_cli.dev_world import sandbox_pairings
    from connector_sandbox.registry import start

    [alone] = start(["coupa"], scale=SCALE)
    alone.stop()
    assert kept(home, "coupa").exists() and not kept(home, "bill").exists()
    assert sandbox_pairings(f"sqlite:///{home / 'ledger.sqlite'}") == 0

    running = started(home)

    assert {sandbox.spec.key for sandbox in running} == set(SANDBOXES)  # every declared simulator
    assert not any(sandbox.kept for sandbox in running)  # seeded anew together, coupa included
    assert all(kept(home, sandbox.spec.key).exists() for sandbox in running)
    assert (
        "for coupa only, and the ledger pairs nothing with it: every sandbox seeded anew"
        in capsys.readouterr().out
    )
