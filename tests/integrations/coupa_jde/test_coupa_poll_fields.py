"""The Coupa poll asks for exactly the fields the Coupa -> JD Edwards flows read (``POLL_FIELDS``).

Whole documents are read from the Coupa sandbox (every seeded invoice and Coupa Pay payment, over
loopback), each wrapped in a ``Recorder`` that notes every field read, and handed to the flows' own
readers: the status and export checks, the supplier and order look-ups, the voucher and payment mappers
(each path taken: a supplier JDE knows and one it does not, a payment detail with and without its own
currency) and the document collector's id and change stamp. A field read that the poll does not ask for
fails (it would read blank from a poll), so does a field asked for that nothing reads. Then the poll
itself, through the source step's reader, and a replay's read of the current version get exactly those
fields from the sandbox.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from coupa_support import coupa, start_box
from field_reads import WHOLE, Recorder, field_paths
from sandbox.serving import served

from connector_assets.components import CoupaJde
from connector_assets.coupa.documents import INVOICES, PAYMENTS, coupa_time, current_versions
from connector_assets.coupa.poll_fields import POLL_FIELDS
from connector_assets.coupa.sources import _Polled
from connector_assets.flows.documents import Version
from connector_assets.integrations.coupa_jde import invoices, payments
from connector_assets.integrations.coupa_jde.accounts import AccountMap
from connector_assets.integrations.coupa_jde.own import Own
from connector_assets.jde.accounts import GlAccounts
from connector_resources.ledger import Ledger

JDE_SUPPLIER = "1011"
OWN = Own.of(CoupaJde())  # the default Coupa -> JDE instance


@pytest.fixture(scope="module")
def box() -> Iterator[Any]:
    yield from served(start_box())


@pytest.fixture(scope="module")
def whole(box) -> dict[str, list[dict[str, Any]]]:
    """Every invoice and payment the sandbox holds, as whole documents."""
    with coupa(box).session() as session:
        return {
            entity: [{k: v for k, v in r.items() if k != "_updated_at"} for r in session.iter_all(entity)]
            for entity in ("invoices", "payments")
        }


def _chart(records: list[dict[str, Any]]) -> GlAccounts:
    """A JDE account master holding every account the invoices charge (the JDE side is not under test)."""
    rows = [
        {"MCU": a.get("segment-1"), "OBJ": a.get("segment-2"), "SUB": a.get("segment-3") or "", "CO": "00200"}
        for r in records
        for line in r.get("invoice-lines") or []
        if isinstance(a := line.get("account"), dict)
    ]
    return GlAccounts(rows)


def _version(record: dict[str, Any], seen: set) -> Version:
    return Version(str(record["id"]), coupa_time(record["updated-at"]), Recorder(record, seen), "poll")


def _invoice_reads(records: list[dict[str, Any]], monkeypatch) -> set:
    seen: set = set()
    chart = _chart(records)
    monkeypatch.setattr(GlAccounts, "load", classmethod(lambda cls, staging: chart))
    ledger = Ledger(f"sqlite:///{tempfile.mkdtemp()}/ledger.sqlite")
    for record in records:
        changed = coupa_time(record["updated-at"])
        INVOICES.changed_at(Recorder(record, seen))
        Recorder(record, seen)[INVOICES.id_field]
        list(invoices._invoice_records(OWN, None, ledger, [_version(record, seen)], {}))
        for an8 in (JDE_SUPPLIER, None):  # written, and held on a supplier JDE lacks
            invoices.map_invoice(
                Recorder(record, seen), changed, chart, AccountMap({}, OWN.accounts.name), an8, OWN
            )
    return seen


def _payment_reads(records: list[dict[str, Any]]) -> set:
    seen: set = set()
    ledger = Ledger(f"sqlite:///{tempfile.mkdtemp()}/ledger.sqlite")
    for record in records:
        without_own_currency = copy.deepcopy(record)
        for detail in without_own_currency.get("payment-details") or []:
            detail["currency"] = None  # paid in the payment's pay-to currency
        for variant in (record, without_own_currency):
            PAYMENTS.changed_at(Recorder(variant, seen))
            list(payments._payment_records(ledger, [_version(variant, seen)], OWN))
            list(payments.map_payment(Recorder(variant, seen), coupa_time(variant["updated-at"]), OWN))
    return seen


@pytest.mark.parametrize("entity", ["invoices", "payments"])
def test_the_poll_asks_for_every_field_the_flows_read_and_no_other(whole, entity, monkeypatch):
    records = whole[entity]
    assert len(records) > 10
    read = _invoice_reads(records, monkeypatch) if entity == "invoices" else _payment_reads(records)
    asked = field_paths(POLL_FIELDS[entity])
    whole_objects = sorted("/".join(p[:-1]) or "(the record)" for p in read if p[-1] == WHOLE)
    assert not whole_objects, f"a reader looks at every field of {whole_objects}: list what it needs"
    unasked = sorted("/".join(p) for p in read - asked)
    assert not unasked, f"read but not asked for by the {entity} poll (would read blank): {unasked}"
    unread = sorted("/".join(p) for p in asked - read)
    assert not unread, f"asked for by the {entity} poll but read by nothing: {unread}"


def test_the_poll_gets_only_the_fields_it_asks_for(box, whole):
    end = datetime.now(UTC) + timedelta(days=1)
    start = end - timedelta(days=800)
    with coupa(box).session() as session:
        polled = _Polled(session)
        for entity, spec in POLL_FIELDS.items():
            trimmed = {r["id"]: r for r in polled.iter_changed(entity, start, end)}
            assert len(trimmed) == len(whole[entity])
            for record in whole[entity]:
                got = {k: v for k, v in trimmed[record["id"]].items() if k != "_updated_at"}
                assert got == _picked(spec, record)
        assert next(polled.iter_all("suppliers")).keys() > {"id", "name", "number", "primary-address"}
    for entity, spec in POLL_FIELDS.items():  # a replay reads the current version with the same fields
        record = whole[entity][-1]
        (version,) = current_versions(coupa(box), entity, [str(record["id"])])
        assert version.record == _picked(spec, record)


def _picked(spec: list[Any], record: dict[str, Any]) -> dict[str, Any]:
    """``record`` reduced to ``spec`` as Coupa documents ``fields=``: the names listed, an association's
    own list within it."""
    out: dict[str, Any] = {}
    for item in spec:
        for name, nested in item.items() if isinstance(item, dict) else [(item, None)]:
            if name not in record:
                continue
            value = record[name]
            if nested is not None and isinstance(value, list):
                value = [_picked(nested, v) if isinstance(v, dict) else v for v in value]
            elif nested is not None and isinstance(value, dict):
                value = _picked(nested, value)
            out[name] = value
    return out
