"""The JDE documents a reconciliation reads back by the keys a flow wrote (``jde.reconcile_documents``), on a
fake session: read by key, every key in one call per table (``MATCH_ANY``), never a whole table.

The keys are Procore -> JDE's (batch keys ``MLPROCORE`` / ``PR<id>`` / ``PROCORE-REQ-<id>``, references
``PC-<commitment id>`` with change-order lines ``PCCO-<id>``), written out here: the side takes them as given.
"""

from collections import defaultdict
from decimal import Decimal

from connector_assets.jde.reconcile_documents import voucher_batches
from connector_assets.jde.reconcile_orders import orders_by_reference
from connector_assets.jde.target_base import BatchKey


def keys(*rids: str) -> dict[str, BatchKey]:
    """Requisition id -> its voucher batch key as Procore -> JDE derives it."""
    return {rid: BatchKey("MLPROCORE", f"PR{rid}", f"PROCORE-REQ-{rid}") for rid in rids}


class FakeJde:
    """A JDE session answering browses from rows per table, recording each call's conditions."""

    def __init__(self, tables: dict[str, list[dict]]) -> None:
        self.tables, self.calls = tables, []

    def browse(self, table, *, columns=None, conditions=(), match="MATCH_ALL", **_):
        self.calls.append((table, [(c.column, c.value) for c in conditions], match))
        wanted: dict[str, set] = defaultdict(set)
        for c in conditions:
            wanted[c.column.split(".")[-1]].add(c.value)
        return [r for r in self.tables.get(table, []) if all(r.get(k) in v for k, v in wanted.items())]


def test_voucher_batches_are_read_by_key_and_summed_by_account():
    jde = FakeJde(
        {
            "F0411Z1": [
                {
                    "EDUS": "MLPROCORE",
                    "EDBT": "PR11",
                    "EDTN": "PROCORE-REQ-11",
                    "EDLN": 1,
                    "AG": 300,
                    "AN8": 7,
                    "PKCO": "00001",
                    "PO": 4711,
                    "PDCT": "OS",
                },
                # someone else's batch with the same transaction number is not ours
                {"EDUS": "OTHER", "EDBT": "X", "EDTN": "PROCORE-REQ-12", "EDLN": 1, "AG": 999, "AN8": 7},
            ],
            "F0911Z1": [
                {
                    "EDUS": "MLPROCORE",
                    "EDBT": "PR11",
                    "EDTN": "PROCORE-REQ-11",
                    "EDLN": 1,
                    "AA": "200.00",
                    "MCU": "         M30",
                    "OBJ": "7110",
                    "SUB": "CONC",
                },
                {
                    "EDUS": "MLPROCORE",
                    "EDBT": "PR11",
                    "EDTN": "PROCORE-REQ-11",
                    "EDLN": 2,
                    "AA": "100.00",
                    "MCU": "",
                    "OBJ": "",
                    "ANI": "M30.7120.",
                },
            ],
        }
    )
    found = voucher_batches(jde, keys("11", "12"))
    assert set(found) == {"11"}
    voucher = found["11"]
    assert voucher.gross == 300 and voucher.order == "00001:4711:OS" and voucher.supplier == "7"
    assert dict(voucher.by_account) == {"M30.7110.CONC": Decimal("200.00"), "M30.7120": Decimal("100.00")}
    # one call per table, every key in it (MATCH_ANY), never a whole table
    assert [(t, m) for t, _, m in jde.calls] == [("F0411Z1", "MATCH_ANY"), ("F0911Z1", "MATCH_ANY")]
    assert sorted(v for _, v in jde.calls[0][1]) == ["PROCORE-REQ-11", "PROCORE-REQ-12"]


def test_orders_by_reference_take_the_order_the_ledger_names_and_sum_change_order_lines():
    jde = FakeJde(
        {
            "F4301": [
                {"KCOO": "00001", "DOCO": 50, "DCTO": "OP", "AN8": 7, "VR01": "PC-9"},
                {"KCOO": "00001", "DOCO": 61, "DCTO": "OP", "AN8": 7, "VR01": "PC-9"},  # a second, by hand
            ],
            "F4311": [
                {
                    "KCOO": "00001",
                    "DOCO": 61,
                    "DCTO": "OP",
                    "LNID": 1,
                    "VR01": "PC-9",
                    "AEXP": "1000.00",
                    "OMCU": "         M30",
                    "OBJ": "7110",
                    "SUB": "",
                },
                {
                    "KCOO": "00001",
                    "DOCO": 61,
                    "DCTO": "OP",
                    "LNID": 2,
                    "VR01": "PCCO-5",
                    "AEXP": "-250.00",
                    "OMCU": "M30",
                    "OBJ": "7110",
                    "SUB": " ",
                },
                {
                    "KCOO": "00001",
                    "DOCO": 50,
                    "DCTO": "OP",
                    "LNID": 1,
                    "VR01": "PC-9",
                    "AEXP": "1.00",
                    "OMCU": "M30",
                    "OBJ": "7110",
                    "SUB": "",
                },
            ],
        }
    )
    orders = orders_by_reference(jde, {"PC-9": "9"}, {"9": "00001:61:OP"}, "PCCO-")
    order = orders["9"]
    assert order.key == "00001:61:OP" and dict(order.by_account) == {"M30.7110": Decimal("750.00")}
    assert dict(order.by_reference) == {"PCCO-5": Decimal("-250.00")}
    assert {ref: dict(found) for ref, found in order.reference_accounts.items()} == {
        "PCCO-5": {"M30.7110": Decimal("-250.00")}  # where a change order's lines are, by account
    }
    oldest = orders_by_reference(jde, {"PC-9": "9"}, {}, "PCCO-")["9"]
    assert oldest.key == "00001:50:OP"  # no xref: the oldest


def test_a_processed_batch_is_read_as_its_voucher_gone_or_voided():
    batch = {"EDUS": "MLPROCORE", "EDSP": "1", "KCO": "00001", "DCT": "PV", "AN8": 7, "VINV": "INV-1"}
    jde = FakeJde(
        {
            "F0411Z1": [
                {**batch, "EDBT": "PR11", "EDTN": "PROCORE-REQ-11", "EDLN": 1, "AG": 300, "DOC": 10151},
                {**batch, "EDBT": "PR12", "EDTN": "PROCORE-REQ-12", "EDLN": 1, "AG": 80, "DOC": 10152},
                {
                    **batch,
                    "EDBT": "PR13",
                    "EDTN": "PROCORE-REQ-13",
                    "EDLN": 1,
                    "AG": 50,
                    "DOC": 0,
                    "EDSP": "0",
                },
            ],
            "F0411": [
                # the voucher of PR11, its gross changed in P0411 and voided; PR12's voucher was deleted;
                # another company's voucher 10152 is not it
                {"KCO": "00001", "DOC": 10151, "DCT": "PV", "SFX": "001", "AG": 310, "PST": "A", "VOD": "V"},
                {"KCO": "00002", "DOC": 10152, "DCT": "PV", "SFX": "001", "AG": 80, "PST": "A", "VOD": " "},
            ],
        }
    )
    found = voucher_batches(jde, keys("11", "12", "13"))
    voided, gone, waiting = found["11"], found["12"], found["13"]
    assert voided.document == ("00001", 10151, "PV") and voided.name == "voucher 00001 10151 PV"
    assert voided.gross == 310 and voided.voided == 1 and not voided.gone and voided.invoice == "INV-1"
    assert gone.gone and gone.name == "voucher 00001 10152 PV"
    assert waiting.document is None and waiting.name == "voucher batch MLPROCORE/PR13/PROCORE-REQ-13"
    assert waiting.gross == 50 and not waiting.gone
    # F0411 read once, by the processed vouchers' numbers only
    assert [(t, m) for t, _, m in jde.calls] == [
        ("F0411Z1", "MATCH_ANY"),
        ("F0911Z1", "MATCH_ANY"),
        ("F0411", "MATCH_ANY"),
    ]
    assert sorted(v for _, v in jde.calls[2][1]) == [10151, 10152]


def test_cancelled_lines_are_kept_apart_and_an_order_cancelled_whole_says_so():
    line = {"KCOO": "00001", "DCTO": "OP", "OMCU": "M30", "OBJ": "7110", "SUB": ""}
    jde = FakeJde(
        {
            "F4301": [
                {"KCOO": "00001", "DOCO": 50, "DCTO": "OP", "AN8": 7, "VR01": "PC-9", "MCU": "  M30"},
                {"KCOO": "00001", "DOCO": 51, "DCTO": "OP", "AN8": 7, "VR01": "PC-10", "MCU": "  M30"},
            ],
            "F4311": [
                {
                    **line,
                    "DOCO": 50,
                    "LNID": 2.0,
                    "VR01": "PC-9",
                    "AEXP": "40.00",
                    "LTTR": "980",
                    "NXTR": "999",
                },
                {
                    **line,
                    "DOCO": 50,
                    "LNID": 1.0,
                    "VR01": "PC-9",
                    "AEXP": "100.00",
                    "LTTR": "220",
                    "NXTR": "280",
                },
                {
                    **line,
                    "DOCO": 51,
                    "LNID": 1.0,
                    "VR01": "PC-10",
                    "AEXP": "70.00",
                    "LTTR": "980",
                    "NXTR": "999",
                },
            ],
        }
    )
    orders = orders_by_reference(jde, {"PC-9": "9", "PC-10": "10"}, {}, "PCCO-", cancelled_status=980)
    partly, whole = orders["9"], orders["10"]
    assert [(line.label, line.cancelled) for line in partly.lines] == [("line 1", False), ("line 2", True)]
    assert dict(partly.by_account) == {"M30.7110": Decimal("100.00")} and not partly.cancelled
    assert whole.cancelled and whole.total == 0 and whole.name == "order 51 OP 00001"
    assert partly.business_unit == "M30"


def test_the_orders_changed_in_the_window_are_those_of_the_types_and_units_asked():
    from datetime import UTC, date, datetime, time
    from zoneinfo import ZoneInfo

    from connector_assets.jde.reconcile_orders import orders_changed

    chicago = ZoneInfo("America/Chicago")
    header = {"KCOO": "00001", "DCTO": "OP", "AN8": 7, "VR01": "X", "MCU": "         M30"}
    jde = FakeJde(
        {
            "F4301": [
                {**header, "DOCO": 1, "UPMJ": date(2026, 3, 2), "TDAY": time(17, 0)},  # 23:00 UTC: in
                {**header, "DOCO": 2, "UPMJ": date(2026, 3, 2), "TDAY": time(19, 0)},  # 01:00 UTC next day
                {**header, "DOCO": 3, "UPMJ": date(2026, 3, 1), "TDAY": time(17, 59)},  # 23:59 UTC before
                {**header, "DOCO": 4, "UPMJ": date(2026, 3, 2), "TDAY": time(9, 0), "MCU": "M50"},  # not ours
            ]
        }
    )
    window = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    found = orders_changed(jde, window, ["OP"], chicago, ["M30"])
    assert [o.name for o in found] == ["order 1 OP 00001"]
    assert found[0].changed_at == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    [(table, conditions, match)] = jde.calls
    assert table == "F4301" and match == "MATCH_ALL"
    assert conditions == [
        ("F4301.UPMJ", date(2026, 3, 1)),  # the JDE days the UTC day overlaps
        ("F4301.UPMJ", date(2026, 3, 2)),
        ("F4301.DCTO", "OP"),
    ]


def test_a_foreign_voucher_is_read_in_its_own_currency_from_acr_never_from_the_domestic_ag():
    # A 1,000.00 EUR invoice in a USD company: F0411Z1 holds ACR 1000.00 (CRRM F) and, once R04110ZA ran,
    # F0411 the domestic AG 1083.40 beside it; F0911Z1 lines hold the EUR in ACR. A JPY one keeps no
    # decimals. The reconciliation compares the source's money with ACR, in the voucher's currency.
    eur = {"EDUS": "MLPROCORE", "EDBT": "PR21", "EDTN": "PROCORE-REQ-21", "CRRM": "F", "CRCD": "EUR"}
    jpy = {"EDUS": "MLPROCORE", "EDBT": "PR22", "EDTN": "PROCORE-REQ-22", "CRRM": "F", "CRCD": "JPY"}
    line = {"MCU": "M30", "OBJ": "7110", "SUB": ""}
    jde = FakeJde(
        {
            "F0411Z1": [
                {**eur, "EDLN": 1, "EDSP": "1", "KCO": "00001", "DOC": 10161, "DCT": "PV", "ACR": "1000.00"},
                {**jpy, "EDLN": 1, "EDSP": "0", "DOC": 0, "ACR": "150000", "AG": None},
            ],
            "F0911Z1": [
                {**eur, **line, "EDLN": 1, "ACR": "600.00", "AA": None},
                {**eur, **line, "EDLN": 2, "OBJ": "7120", "ACR": "400.00", "AA": None},
                {**jpy, **line, "EDLN": 1, "ACR": "150000", "AA": None},
            ],
            "F0411": [
                {
                    "KCO": "00001",
                    "DOC": 10161,
                    "DCT": "PV",
                    "SFX": "001",
                    "AG": "1083.40",
                    "ACR": "1000.00",
                    "CRRM": "F",
                    "CRCD": "EUR",
                    "PST": "A",
                    "VOD": " ",
                },
            ],  # fmt: skip
        }
    )
    found = voucher_batches(jde, keys("21", "22"))
    assert (found["21"].gross, found["21"].currency) == (Decimal("1000.00"), "EUR")
    assert dict(found["21"].by_account) == {"M30.7110": Decimal("600.00"), "M30.7120": Decimal("400.00")}
    assert (found["22"].gross, found["22"].currency, dict(found["22"].by_account)) == (
        Decimal(150000),
        "JPY",
        {"M30.7110": Decimal(150000)},
    )
    browsed = {table for table, _conditions, _match in jde.calls}
    assert browsed == {"F0411Z1", "F0911Z1", "F0411"}


def test_a_row_gives_its_documents_amount_by_its_currency_mode():
    from connector_assets.jde.reconcile_documents import document_amount, gross, open_amount

    domestic = {"AG": "1083.40", "AAP": "83.40", "ACR": "", "CRRM": "D", "CRCD": "USD"}
    foreign = {"AG": "1083.40", "AAP": "83.40", "ACR": "1000.00", "FAP": "77.00", "CRRM": "F", "CRCD": "EUR"}
    # keyed on its domestic side (CRRM F, ACR blank until R04110ZA): only the domestic amount to give
    domestic_side = {"AG": "1083.40", "ACR": " ", "CRRM": "F", "CRCD": "EUR"}
    assert [document_amount(r) for r in (domestic, foreign, domestic_side)] == [
        Decimal("1083.40"),
        Decimal("1000.00"),
        Decimal("1083.40"),
    ]
    assert (gross([foreign, foreign]), open_amount([foreign]), open_amount([domestic])) == (
        Decimal("2000.00"),
        Decimal("77.00"),
        Decimal("83.40"),
    )
    assert document_amount({"AA": "-5", "ACR": "-4.615", "CRRM": "F"}, "AA") == Decimal("-4.615")
