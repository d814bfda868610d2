"""The JDE write targets' searches of a chunk of claimed records at once (``find_many``), against the JDE
simulator: suppliers by tax ID and long address number, purchase orders by reference, each in one read for
the chunk where ``find`` reads once or twice a record, with ``find``'s answers; what the chunk cannot settle
(a key shared in the chunk, an order of another supplier) is left to ``find``."""

import datetime as dt
from functools import partial
from typing import Any

import pytest
import requests
from sandbox_logins import on_simulator

from connector_assets.flows.core import Mapped
from connector_assets.jde.purchase_orders import PurchaseOrders
from connector_assets.jde.targets import Suppliers
from connector_resources.jde import JdeAisResource
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.jde_ais.settings import PeriodSettings
from tests.sandbox.serving import served

DATASERVICE = "POST /jderest/v2/dataservice"


@pytest.fixture(scope="module")
def jde():
    periods = PeriodSettings(current_period_date=dt.date(2026, 3, 1))
    settings = JdeSandboxSettings(scale=0.02, anchor_date=dt.date(2026, 3, 1), periods=periods)
    yield from served(run_in_thread(settings), partial(on_simulator, JdeAisResource))


def _reads(jde: Any) -> int:
    root = jde.base_url.rsplit("/jderest", 1)[0]
    return requests.get(f"{root}/sandbox/state", timeout=30).json()["calls"].get(DATASERVICE, 0)


def _supplier(key: str, **body: Any) -> Mapped:
    return Mapped(source_key=key, body={"Alpha_Name": f"Vendor {key}", **body}, fields={})


def test_a_chunk_of_suppliers_is_searched_in_one_read_per_key_with_finds_answers(jde):
    with jde.session() as session:
        target = Suppliers(session, None, None, None)
        by_tax = target.create(_supplier("V-1", Tax_ID="11-1000001", Long_Address_Number="SRC-V-1"))
        by_alky = target.create(_supplier("V-2", Long_Address_Number="SRC-V-2"))
        chunk = [
            _supplier("V-1", Tax_ID="11-1000001", Long_Address_Number="SRC-V-1"),
            _supplier("V-2", Long_Address_Number="SRC-V-2"),
            *(
                _supplier(f"V-{n}", Tax_ID=f"11-20000{n:02}", Long_Address_Number=f"SRC-V-{n}")
                for n in (3, 4)
            ),
            _supplier("V-5", Tax_ID="11-3000005"),
            _supplier("V-6", Tax_ID="11-3000005"),  # shares its tax ID with V-5: left to ``find``
        ]
        alone = {record.source_key: target.find(record) for record in chunk}
        before = _reads(jde)
        answer = Suppliers(session, None, None, None).find_many(chunk)
        assert _reads(jde) - before == 2  # F0101 by TAX, then by ALKY, for the whole chunk
    assert answer == {"V-1": by_tax, "V-2": by_alky, "V-3": None, "V-4": None}
    assert {key: alone[key] for key in answer} == answer


def test_a_chunk_of_purchase_orders_is_searched_in_one_read_with_finds_answers(jde):
    with jde.session() as session:
        rows = [
            r for r in session.browse("F4301", columns=["KCOO", "DOCO", "DCTO", "AN8", "VR01"]) if r["VR01"]
        ]
        first, second = rows[0], next(r for r in rows[1:] if r["VR01"] != rows[0]["VR01"])

        def order(key: str, row: dict, **changes: Any) -> Mapped:
            body = {
                "Reference": row["VR01"],
                "Order_Company": row["KCOO"],
                "Order_Type": row["DCTO"],
                "Supplier": str(row["AN8"]),
                **changes,
            }
            return Mapped(source_key=key, body=body, fields={})

        chunk = [
            order("PO-1", first),
            order("PO-2", second, Supplier="999999"),  # another supplier's order: ``find`` refuses it
            order("PO-3", first, Reference="NOT-IN-JDE-1"),
        ]
        before = _reads(jde)
        answer = PurchaseOrders(session, None, None, None).find_many(chunk)
        assert _reads(jde) - before == 1
        alone = PurchaseOrders(session, None, None, None).find(chunk[0])
    assert answer == {"PO-1": alone, "PO-3": None} and alone is not None


def test_a_chunk_of_voucher_payments_looks_for_their_journal_entries_in_one_read(tmp_path) -> None:
    """``PaymentPostings.find_many``: a voucher payment posted as its journal entry is found among the
    chunk's F0911Z1 rows read at once, as ``find`` finds it reading one key a record."""
    from types import SimpleNamespace

    from connector_assets.jde.payment_postings import PaymentPostings
    from connector_assets.jde.targets import BatchKey
    from connector_resources.ledger import Ledger

    class Session:
        def __init__(self) -> None:
            self.reads = 0

        def browse(self, table: str, *, columns, conditions, match="MATCH_ALL") -> list[dict]:
            self.reads += 1
            wanted = {c.value for c in conditions if c.column.endswith(".EDTN")}
            return [{"EDUS": "MLBILL", "EDBT": "BP", "EDTN": "P-2"}] if "P-2" in wanted else []

    class Postings(PaymentPostings):
        source_label = "BILL"

        def journal_key_of(self, record: Mapped) -> BatchKey:
            return BatchKey("MLBILL", "BP", record.source_key)

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    spec = SimpleNamespace(
        integration="jde_bill", name="payments", entity="payment", source_system="BILL", target_system="JDE"
    )
    body = {"Document_Company": "00001", "Document_Type": "PV"}
    records = [
        Mapped(
            f"P-{n}", {**body, "Document_Number": n, "Payment_Reference": f"P-{n}"}, {"posting": "voucher"}
        )
        for n in (1, 2, 3)
    ]
    session = Session()
    answer = Postings(session, ledger, None, None, spec).find_many(records)
    assert session.reads == 1
    assert answer == {"P-1": None, "P-2": "MLBILL/BP/P-2", "P-3": None}
    alone = Postings(session, ledger, None, None, spec)
    assert {r.source_key: alone.find(r) for r in records} == answer and session.reads == 4
