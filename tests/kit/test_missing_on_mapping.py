"""Refused by the mapping for a record the target lacks = held on it (``Rejected.held_on``).

A mapper that finds a record it names missing on the target (a Coupa supplier with no JDE number yet, an
account of JDE's chart not set up for its business unit) returns a ``Rejected`` carrying the hold key: the
mapped step queues it held (never refused, never judged), a replay holds it again while it is missing (no
write), and what releases it (a sweep's check, a match by hand) makes it due once. A code nobody mapped,
an account of no business unit or object JDE's chart has, stays a refusal: the mapping must be fixed.
Pure units, one small kit flow through Dagster (the mapped step) on a SQLite ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from built_parts import built
from dagster import DailyPartitionsDefinition, materialize
from day_health_flow import Target, resources, thing_flow
from given_replays import replays_of

from connector_assets.components import CoupaJde
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.refused_share import judge_items
from connector_assets.flows.replays import replay_handler
from connector_assets.integrations.coupa_jde import invoices as coupa
from connector_assets.integrations.coupa_jde.accounts import AccountMap
from connector_assets.integrations.coupa_jde.own import Own
from connector_assets.jde import missing_master
from connector_assets.jde.accounts import GlAccounts
from connector_resources.ledger import Ledger
from connector_resources.missing_records import is_missing_hold
from connector_resources.replay import replay_items

pytestmark = pytest.mark.timeout(600)  # Dagster runs: load 15 too

AT = datetime(2026, 3, 2, tzinfo=UTC)
OWN = Own.of(CoupaJde())  # the default Coupa -> JDE instance
# Two business units of one company, each with the chart's 8150 and 6110; 8150 has a subsidiary in unit 1.
GL = GlAccounts(
    [
        {"MCU": unit, "OBJ": obj, "SUB": sub, "CO": "00001", "PEC": ""}
        for unit in ("1", "2")
        for obj, sub in (("8150", ""), ("6110", ""), ("8150", "A1"))
        if not (unit == "2" and sub)
    ]
)


def invoice(*accounts: str, supplier: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Coupa invoice of 10.00 per line, one line per Coupa account code (``1-8150``)."""
    return {
        "id": 7,
        "invoice-number": "INV-7",
        "invoice-date": "2026-03-02T00:00:00Z",
        "currency": {"code": "USD"},
        "total-with-taxes": f"{Decimal(10) * len(accounts):f}",
        "supplier": supplier if supplier is not None else {"id": 61, "name": "Granite Supply Co"},
        "invoice-lines": [
            {"line-num": n, "description": "gloves", "total": "10.00", "account": _account(code)}
            for n, code in enumerate(accounts, start=1)
        ],
    }


def _account(code: str) -> dict[str, str]:
    """A Coupa account as its code and segments (``1-8150`` -> segments 1 and 8150)."""
    return {"code": code, **{f"segment-{n}": part for n, part in enumerate(code.split("-"), start=1)}}


def mapped(record: dict[str, Any], an8: str | None = "4343", table: dict[str, str] | None = None):
    return coupa.map_invoice(record, AT, GL, AccountMap(table or {}, OWN.accounts.name), an8, OWN)


# -- which misses wait and which are refusals ---------------------------------------------------------------


def test_an_account_of_jdes_chart_not_set_up_for_its_unit_waits_one_of_no_chart_is_refused():
    assert missing_master.of_jde_chart(GL, "2.8150.A1")  # unit 2 and object 8150 are JDE's
    assert not missing_master.of_jde_chart(GL, "1.8199")  # no unit uses object 8199
    assert not missing_master.of_jde_chart(GL, "X1.8150")  # no account in unit X1
    assert not missing_master.of_jde_chart(GL, "7011")  # not an account at all
    assert missing_master.chart_account_missing(GL, "1.8150", "doc", "why") is None  # it exists

    held = missing_master.chart_account_missing(GL, "2.8150.A1", "invoice 7", "account 2.8150.A1 not found")
    assert held is not None and held.depends_on == "JDE:account:F0901:2.8150.A1"
    assert is_missing_hold(held.depends_on, missing_master.KINDS)
    assert "Held until account 2.8150.A1 exists" in held.reason


def test_an_invoice_on_an_account_not_set_up_yet_is_held_on_it_not_refused():
    record = mapped(invoice("1-8150", "2-8150-A1"), table={"2-8150-A1": "2.8150.A1"})
    assert isinstance(record, Rejected) and record.held_on == "JDE:account:F0901:2.8150.A1", record
    assert record.reason.startswith("invoice 7 (INV-7): account 2.8150.A1 not found in F0901")
    assert "Held until account 2.8150.A1 is in JDE's account master (F0901)" in record.reason
    assert "nothing is sent to JDE until then" in record.reason


def test_a_code_nobody_mapped_or_a_table_of_another_chart_is_a_refusal():
    for record in (mapped(invoice("1-8199")), mapped(invoice("9-8150"), table={"9-8150": "X1.8150"})):
        assert isinstance(record, Rejected) and record.held_on is None, record
        assert "not found in F0901" in record.reason


def test_a_supplier_with_no_jde_number_yet_is_held_on_its_pair():
    record = mapped(invoice("1-8150"), an8=None)
    assert isinstance(record, Rejected) and record.held_on == "coupa_jde:supplier:coupa:61", record
    # The desk's words for it (``manual_pairs``) are kept: a match by hand names the supplier.
    assert f"(Coupa supplier 61) {coupa.NO_NUMBER}" in record.reason
    assert "Held until Coupa supplier 61 has" in record.reason
    # No supplier at all is nothing to wait for.
    refused = mapped(invoice("1-8150", supplier={}), an8=None)
    assert isinstance(refused, Rejected) and refused.held_on is None


def test_a_wait_beside_a_refusal_is_a_refusal_naming_both():
    record = mapped(invoice("1-8199", "2-8150-A1"), an8=None, table={"2-8150-A1": "2.8150.A1"})
    assert isinstance(record, Rejected) and record.held_on is None
    assert "1.8199 not found" in record.reason and "2.8150.A1 not found" in record.reason
    assert coupa.NO_NUMBER in record.reason


# -- the kit: queued held, not judged; a replay holds it again; released once -------------------------------

DAY = "2026-03-02"
MISSING = {"present": False}  # whether the record the waiting things name exists on the target
KEY = "JDE:account:F0901:2.8150.A1"


def _thing(key: str) -> Mapped | Rejected:
    if key.startswith("W") and not MISSING["present"]:
        return Rejected.held_for(key, KEY, f"thing {key}: account 2.8150.A1 not found. Held until it exists")
    if key.startswith("R"):
        return Rejected(key, f"thing {key}: code C1 has no account in the mapping table")
    return Mapped(key, {"name": key}, {"name": key}, {"name": key})


KEYS = ["G1", "W1", "W2", "W3", "R1"]
TARGET = Target()
SPEC, MAPPED, WRITTEN, _IN_TARGET, _VERDICT = thing_flow(
    "missing_mapping",
    lambda context, partition: (_thing(k) for k in KEYS),
    TARGET,
    remap=lambda context, keys: (_thing(k) for k in keys),
    partitions_def=DailyPartitionsDefinition(start_date="2026-03-01", end_date="2026-03-04"),
)


def test_the_mapped_step_holds_them_a_replay_holds_them_again_and_a_release_writes_each_once(tmp_path: Path):
    MISSING["present"] = False
    folder = str(tmp_path)
    result = materialize([MAPPED, WRITTEN], partition_key=DAY, resources=resources(folder))
    assert result.success
    [mapped_meta] = [
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == SPEC.key("mapped")
    ]
    assert (mapped_meta["held"].value, mapped_meta["rejected"].value, mapped_meta["valid"].value) == (3, 1, 1)
    ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
    items = ledger.partition_queue(integration=SPEC.integration, flow=SPEC.name, partition_key=DAY)
    held = {i.source_key: i for i in items if i.status == "held"}
    assert set(held) == {"W1", "W2", "W3"} and all(i.depends_on == KEY for i in held.values())
    assert all("Held until it exists" in i.reason for i in held.values())
    # Three held of five are not "mostly refused": the held never count, the refused one does.
    share = judge_items(SPEC, DAY, items, ["G1"])
    assert (share.refused, share.records) == (1, 2)
    assert [e.action for e in ledger.history("W1")] == ["hold"]

    replays = replays_of({(SPEC.integration, SPEC.name): replay_handler(SPEC, lambda: _Opened(TARGET), dict)})
    try:
        # Released while still missing (a sweep's check said so, wrongly, or the cache lags): the replay
        # maps it again, finds it missing and holds it again; nothing is written.
        creates = len(TARGET.rows)
        released = ledger.release_held_items(KEY, reason="released: check")
        summary = replay_items(ledger, released, replays)
        assert len(summary.held) == 3 and not summary.failed and len(TARGET.rows) == creates
        assert {i.status for i in ledger.open_items(integration=SPEC.integration, flow=SPEC.name)} == {
            "held",
            "failed",
        }
        # The record appears: released once, each written once; a second replay writes nothing more.
        MISSING["present"] = True
        released = ledger.release_held_items(KEY, reason="released: it exists")
        assert replay_items(ledger, released, replays).replayed and len(TARGET.rows) == creates + 3
        assert not replay_items(ledger, released, replays).replayed and len(TARGET.rows) == creates + 3
    finally:
        MISSING["present"] = False


class _Opened:
    """The kit target opened for a replay (``replay_handler`` wants a context manager)."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def __enter__(self) -> Target:
        return self.target

    def __exit__(self, *exc: object) -> None:
        return None


# -- the same in Procurify -> JDE bills ----------------------------------------------------------------------


def test_a_procurify_bill_on_an_account_not_set_up_yet_is_held_on_it_one_of_no_chart_is_refused():
    from jde_procurify_parts import BillInputs
    from procurify_bills import a_bill

    from connector_assets.integrations.jde_procurify.bill_mappers import map_bill

    # 1.6320 is of JDE's chart (unit 1 has accounts, object 6320 is used in unit 20), not set up in unit 1.
    gl = GlAccounts(
        [
            {"MCU": "1", "OBJ": "6110", "SUB": "", "CO": "00001", "PEC": ""},
            {"MCU": "20", "OBJ": "6320", "SUB": "", "CO": "00020", "PEC": ""},
        ]
    )

    def bill_inputs() -> Any:
        return BillInputs(a_bill(), "1014", "", AT, posting="voucher", batch_user="MLPRCFY")

    def account_of(table: dict[str, str]):
        def of(code: str) -> tuple[str | None, str | None]:
            account = table.get(code)
            if account is None or gl.lookup(account) is None:
                return None, f"account code {code} not found in F0901"
            return account, None

        return of

    table = {"6100": "1.6110", "6800": "1.6320"}
    held = map_bill(bill_inputs(), account_of(table), gl, table.get)
    assert isinstance(held, Rejected) and held.held_on == "JDE:account:F0901:1.6320", held
    assert (
        "account code 6800 not found in F0901" in held.reason and "Held until account 1.6320" in held.reason
    )
    # Without the account it stands for (the old call), or on a unit JDE's chart has nowhere: refused.
    assert map_bill(bill_inputs(), account_of(table), gl).held_on is None
    elsewhere = {"6100": "1.6110", "6800": "X1.6320"}
    refused = map_bill(bill_inputs(), account_of(elsewhere), gl, elsewhere.get)
    assert isinstance(refused, Rejected) and refused.held_on is None and "6800 not found" in refused.reason


# -- a match by hand releases them once ----------------------------------------------------------------------


def test_a_match_by_hand_releases_the_invoices_held_for_what_it_supplies(tmp_path: Path):
    from fusion_procurify_parts import MANUAL_PAIRING as FUSION_PAIRING

    from connector_assets.flows.manual_pairs import Found, Proposed
    from connector_assets.fusion.missing_sites import PAY_SITE, site_ident

    # Coupa -> JDE: the match's own dependency key is what the invoice is held on (``set_match`` releases it).
    [coupa_pairing] = built("coupa_jde").pairings
    assert coupa.supplier_dependency("coupa_jde", "61") in coupa_pairing.dependencies("61", "4343")

    # Procurify -> Fusion: the vendor's bills held on its old supplier's missing pay site are released, once;
    # another vendor's are left held.
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    mine, theirs = (
        PAY_SITE.key(site_ident("300", "US1 Business Unit")),
        PAY_SITE.key(site_ident("301", "US1")),
    )
    for key, vendor, depends_on in (("b1", "77", mine), ("b2", "78", theirs)):
        ledger.enqueue(
            integration="fusion_procurify", flow="invoices", entity="invoice", source_key=key,
            payload={"vendor_id": vendor}, reason="held", status="held", depends_on=depends_on,
        )  # fmt: skip
    match = Proposed(FUSION_PAIRING, ledger, Found("77", "vendor 77"), Found("400", "Fusion supplier 400"))
    with ledger.transaction() as conn:
        FUSION_PAIRING.rules.answered(match, "vendor 77 matched by hand", run_id=None, conn=conn)
    status = {i.source_key: i.status for i in ledger.open_items(integration="fusion_procurify")}
    assert status == {"b1": "failed", "b2": "held"}, status  # released: due for replay
    [b1] = [i for i in ledger.open_items(integration="fusion_procurify") if i.source_key == "b1"]
    assert "vendor 77 matched by hand" in b1.reason
