"""Refused for a record the target lacks = held on that record (``connector_resources.missing_records``).

Which JDE refusals name a missing record and which one (``jde.missing_master``); a JDE target turning such a
refusal into a hold and leaving the held record unsent while nothing changed (``find_held_on_missing`` /
``create_held_on_missing`` on its ``find`` / ``create``, over ``flows.missing_holds``; a target without them
refused when defined); the release once the record exists (a run's look on its own session, a replay sweep's
check the JDE flows list in their replays); how the queue report and the kind classifier group them. Pure
units on a SQLite ledger; the end-to-end proof on the simulators is in the Coupa -> JDE test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from built_parts import built
from given_replays import replays_of
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_assets.flows.core import Mapped
from connector_assets.flows.missing_holds import MissingHolds
from connector_assets.jde import missing_master
from connector_assets.jde.target_base import (
    JdeRefused,
    JdeTarget,
    create_held_on_missing,
    find_held_on_missing,
)
from connector_resources.jde import JdeMessage, JdeOrchestrationError
from connector_resources.ledger import Ledger
from connector_resources.missing_records import MissingRecord, is_missing_hold, kind_words, missing_of
from connector_resources.replay import release_synced
from connector_resources.replay_report import queue_report

INVOICES_FLOW = built("coupa_jde").flow("invoices").spec

pytestmark = pytest.mark.timeout(600)  # Dagster runs: load 15 too

BODY = {
    "EDI_User_ID": "MLCOUPA",
    "EDI_Batch_Number": "CP7",
    "EDI_Transaction_Number": "COUPA-INV-7",
    "Company": "00001",
    "Supplier": "9999",
    "Currency_Code": "EUR",
    "GL_Date": "2026-11-03",
    "Distribution": [{"EDI_Line_Number": 1, "Account": "20.8150", "Amount": "10.00"}],
}


def refusal(code: str, text: str) -> JdeRefused:
    """A target's refusal as ``targets`` raises it: ``JdeRefused`` from JDE's answer (``from None``)."""
    answer = JdeOrchestrationError(
        f"ML_CreateVoucherBatch failed: {code}",
        orchestration="ML_CreateVoucherBatch",
        messages=[JdeMessage(code, f"Error: {code}", text)],
    )
    try:
        try:
            raise answer
        except JdeOrchestrationError:
            raise JdeRefused(f"JDE refused it (JDE {code}: {text})") from None
    except JdeRefused as refused:
        return refused


@pytest.mark.parametrize(
    ("code", "text", "body", "key"),
    [
        ("59A1", "Supplier 9999 (Supplier) is not in F0401", BODY, "JDE:supplier:F0401:9999"),
        ("0002", "Address Number Invalid", {"Supplier": 4411.0}, "JDE:supplier:F0401:4411"),
        (
            "59A2",
            "Account '20.8199' (Distribution[2].Account) is not in the Account Master F0901",
            {"Distribution": [{"Account": "20.8150"}, {"Account": "20.8199"}]},
            "JDE:account:F0901:20.8199",
        ),
        (
            "59A6",
            "Order 00001 4711 OP does not exist",
            {"Company": "00001", "Order_Number": 4711, "Order_Type": "OP"},
            "JDE:order:F4301:00001/4711/OP",
        ),
        ("59AA", "Address number 77 is not in F0101", {"Address_Number": "77"}, "JDE:address:F0101:77"),
        ("0052", "Business unit 'BEAR' (Business_Unit) does not exist", {}, "JDE:business_unit:F0006:BEAR"),
        ("59AD", "no rate", BODY, "JDE:exchange_rate:F0015:EUR/00001/2026-11-03"),
        ("59AE", "currency invalid", {"Currency_Code": "xyz"}, "JDE:currency:F0013:XYZ"),
    ],
)  # fmt: skip
def test_each_missing_master_refusal_is_held_on_the_record_it_names(code, text, body, key) -> None:
    held = missing_master.refused_for_missing(refusal(code, text), body, "Coupa invoice 7")
    assert isinstance(held, MissingRecord) and held.depends_on == key and held.refused_now
    kind, ident = missing_of(key, missing_master.KINDS)
    assert (kind.parts, ident) == (tuple(key.split(":", 3)[:3]), key.split(":", 3)[3])
    assert held.reason.startswith("Coupa invoice 7: JDE refused it (JDE ")
    assert f"Held until {kind.label} {ident} exists in {kind.master}: " in held.reason
    assert "Not sent again until it does" in held.reason


def test_other_refusals_and_a_missing_record_that_cannot_be_told_stay_refusals() -> None:
    assert missing_master.refused_for_missing(refusal("59A5", "out of balance"), BODY, "x") is None
    two_accounts = {"Distribution": [{"Account": "20.8150"}, {"Account": "20.6110"}]}
    assert missing_master.refused_for_missing(refusal("59A2", "Account invalid"), two_accounts, "x") is None
    assert missing_master.refused_for_missing(ValueError("not JDE's"), BODY, "x") is None


def test_holds_on_missing_records_group_by_kind_not_by_record() -> None:
    one = missing_master.refused_for_missing(
        refusal("59A1", "Supplier 9999 missing"), BODY, "Coupa invoice 7"
    )
    other = missing_master.refused_for_missing(
        refusal("59A1", "Supplier 4411 missing"), {**BODY, "Supplier": "4411"}, "Coupa invoice 8"
    )
    account = missing_master.refused_for_missing(refusal("59A2", "Account '20.8150' missing"), BODY, "x 9")
    assert one.refusal.group == other.refusal.group == "master_missing · JDE · supplier"
    assert account.refusal.group == "master_missing · JDE · account"
    assert (one.refusal.params["value"], other.refusal.params["value"]) == ("9999", "4411")
    assert one.refusal.attention == "person" and one.refusal.sentence == one.reason
    kinds = missing_master.KINDS  # what JDE's side declares
    assert kind_words(one.depends_on, kinds) == "missing in JDE: supplier (F0401)"
    assert is_missing_hold(one.depends_on, kinds) and not is_missing_hold("coupa_jde:invoice:coupa:7", kinds)
    assert not is_missing_hold("JDE:period:ledger:00001.AP/2026-10-03@coupa_jde", kinds)


def _record(supplier: str = "9999") -> Mapped:
    return Mapped("7", {**BODY, "Supplier": supplier}, {"invoice_number": "INV-7"})


class Session:
    """A JDE session stand-in: answers F0401 browses from ``suppliers``; counts the calls made."""

    def __init__(self, suppliers: set[int]) -> None:
        self.suppliers, self.calls = suppliers, []

    def browse(self, table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(("browse", table))
        wanted = {int(c.value) for c in kwargs.get("conditions", [])}
        yield from ({"AN8": an8} for an8 in sorted(self.suppliers & wanted))


class Vouchers(JdeTarget):
    """A JDE target whose create JDE refuses for the supplier while F0401 lacks it."""

    def document(self, record: Mapped) -> str:
        return "voucher batch MLCOUPA/CP7/COUPA-INV-7"

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        self.session.calls.append(("find", record.source_key))
        return None

    @create_held_on_missing
    def create(self, record: Mapped) -> str:
        self.session.calls.append(("create", record.source_key))
        if int(record.body["Supplier"]) not in self.session.suppliers:
            raise refusal("59A1", f"Supplier {record.body['Supplier']} is not in the Supplier Master F0401")
        return "MLCOUPA/CP7/COUPA-INV-7"


def _hold(ledger: Ledger, held: MissingRecord, record: Mapped) -> None:
    """Queue ``record`` held on ``held`` as the write step does (``writer._queue`` of a ``WaitsFor``)."""
    ledger.enqueue(
        integration="coupa_jde", flow="invoices", entity="invoice", source_key=record.source_key,
        payload=record.to_payload(), reason=held.reason, status="held", depends_on=held.depends_on,
    )  # fmt: skip


def test_a_jde_target_holds_a_refused_record_then_sends_nothing_until_the_supplier_exists(ledger) -> None:
    session = Session(suppliers={1011})
    target = Vouchers(session, ledger, "run-1", "2026-11-03", INVOICES_FLOW)
    with pytest.raises(MissingRecord) as refused:
        target.create(_record())
    assert refused.value.depends_on == "JDE:supplier:F0401:9999" and refused.value.refused_now
    assert refused.value.reason.startswith(
        "Coupa invoice 7 (voucher batch MLCOUPA/CP7/COUPA-INV-7): JDE refused"
    )
    _hold(ledger, refused.value, _record())

    # The next run: its first write looks once whether the supplier exists now (one F0401 read), holds the
    # record again with its reason, and never reaches the target's own find or create.
    session.calls.clear()
    again = Vouchers(Session(session.suppliers), ledger, "run-2", "2026-11-03", INVOICES_FLOW)
    for method in (again.find, again.create, again.create):
        with pytest.raises(MissingRecord) as still:
            method(_record())
        assert still.value.reason == refused.value.reason and not still.value.refused_now
    assert again.session.calls == [("browse", "F0401")]

    # Changed at the source (another supplier number): sent, since the change may be the fix.
    assert again.create(_record("1011")) == "MLCOUPA/CP7/COUPA-INV-7"

    # The supplier is set up in JDE: the next run's look releases it (due now, a release event) and sends it.
    later = Vouchers(Session({1011, 9999}), ledger, "run-3", "2026-11-03", INVOICES_FLOW)
    assert later.create(_record()) == "MLCOUPA/CP7/COUPA-INV-7"
    [item] = ledger.open_items(integration="coupa_jde")
    assert item.status == "failed" and item.reason.startswith("released: supplier 9999 is in JDE's supplier")
    assert [e.action for e in ledger.history("7")][-1] == "release"


def test_a_jde_target_whose_find_or_create_lacks_its_decorator_is_refused_when_defined() -> None:
    # The holds above live in the decorators: a target without them would send what waits for a record.
    with pytest.raises(TypeError, match=r"Bare\.create: .*@create_held_on_missing"):

        class Bare(JdeTarget):
            def create(self, record: Mapped) -> str:
                return "sent"

    with pytest.raises(TypeError, match=r"Swapped\.find: .*@find_held_on_missing"):

        class Swapped(JdeTarget):
            find = create_held_on_missing(Vouchers.create.__wrapped__)  # the create's wrapper on a find


def test_a_replay_sweep_releases_what_the_registered_check_finds_and_reports_the_rest_by_kind(ledger) -> None:
    suppliers = {1011}

    class Jde:
        def session(self):
            from contextlib import nullcontext

            return nullcontext(Session(suppliers))

    checks = missing_master.jde_missing_checks(lambda: {"jde": Jde()})  # a JDE flow's Replay.outside
    replays = replays_of(outside=checks)
    held = missing_master.refused_for_missing(refusal("59A1", "missing"), BODY, "Coupa invoice 7")
    _hold(ledger, held, _record())
    assert release_synced(ledger, replays) == [] and ledger.open_items()[0].status == "held"
    report = "\n".join(queue_report(ledger.queue_overview(), outside=checks))
    assert "1 held record(s) wait for a supplier missing from JDE's supplier master (F0401): " in report

    suppliers.add(9999)
    [released] = release_synced(ledger, replays)
    assert released.source_key == "7" and released.status == "failed"
    assert "supplier 9999 is in JDE's supplier master (F0401) now" in released.reason
    assert release_synced(ledger, replays) == []  # released once


def test_missing_holds_leave_other_holds_and_other_flows_alone(ledger) -> None:
    ledger.enqueue(
        integration="coupa_jde", flow="invoices", entity="invoice", source_key="8",
        payload=_record().to_payload(), reason="held until the period opens", status="held",
        depends_on="JDE:period:ledger:00001.AP/2026-10-03@coupa_jde",
    )  # fmt: skip
    asked: list[list[str]] = []
    appeared = lambda keys: asked.append(keys) or {}  # noqa: E731
    holds = MissingHolds(ledger, INVOICES_FLOW, appeared, kinds=missing_master.KINDS, run_id="r")
    assert holds.still_held(Mapped("8", _record().body, {})) is None and asked == []
    assert holds.released == 0 and datetime.now(UTC)
