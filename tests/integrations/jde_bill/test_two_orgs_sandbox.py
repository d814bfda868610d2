"""Two JDE -> BILL instances on one BILL simulator: served with two organizations over loopback, each
logged in to with the project's client, every id of each instance's sandbox mapping tables is a live
classification of its own organization, and none of organization 1's is organization 2's. The checked-in
tables are what their generator makes from the simulators' seeds."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest
from jde_bill_sandbox_tables import INSTANCES, ORG_1, ORG_2, as_csv, tables
from jde_bill_world import INTEGRATION_WORLD
from sandbox_world import forget_logins, serve_simulator
from two_orgs import bill_in, with_two_organizations

from connector_sandbox.bill import BillSandboxSettings

ENTITIES = {"accounts": "chart_of_accounts", "departments": "departments"}  # table -> BILL entity


@pytest.fixture(scope="module")
def bill_url() -> Iterator[str]:
    """The BILL simulator the JDE <-> BILL tests serve, with both organizations, on a free port."""
    settings: BillSandboxSettings = INTEGRATION_WORLD.simulators["bill"]()
    url, stop = serve_simulator("bill", with_two_organizations(settings))
    forget_logins()
    try:
        yield url
    finally:
        stop()
        forget_logins()


def _table(path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row[0]: row[1] for row in list(csv.reader(handle))[1:]}


def test_each_instance_maps_to_live_classifications_of_its_own_organization(bill_url):
    held: dict[str, set[str]] = {}  # organization -> the ids of every classification it holds
    mapped: dict[str, set[str]] = {}  # organization -> the ids its instance's tables name
    for instance in INSTANCES:
        org = instance.organization_id
        held[org], mapped[org] = set(), set()
        with bill_in(bill_url, org).session() as session:
            for table, path in instance.files().items():
                records = {r["id"]: r for r in session.iter_all(ENTITIES[table])}
                ids = set(_table(path).values())
                assert ids and ids <= set(records), (path.name, sorted(ids - set(records))[:5])
                assert not [i for i in ids if records[i].get("archived")], path.name
                held[org] |= set(records)
                mapped[org] |= ids
    assert set(held) == {ORG_1, ORG_2}
    assert not mapped[ORG_1] & held[ORG_2] and not mapped[ORG_2] & held[ORG_1]
    assert not held[ORG_1] & held[ORG_2]  # no id is in both organizations


def test_the_checked_in_tables_are_the_generators():
    for instance in INSTANCES:
        made = tables(instance)
        for kind, path in instance.files().items():
            assert path.read_text(encoding="utf-8") == as_csv(made[kind]), f"{path.name}: run the generator"
    # The west instance's JDE side is the default's, restricted to company 00200's units (200, M200).
    default, west = ({kind: _table(path) for kind, path in i.files().items()} for i in INSTANCES)
    assert {unit.split(".")[0] for unit in west["accounts"]} == {"LNTY:S", "200", "M200"}
    assert set(west["departments"]) == {"200", "M200"}
    for kind, rows in west.items():
        assert set(rows) <= set(default[kind])
