"""The JDE documents a reconciliation reads back by the keys a flow wrote (``jde.reconcile_documents``), on a
fake session: read by key, every key in one call per table (``MATCH_ANY``), never a whole table.

The keys are Procore -> JDE's (batch keys ``MLPROCORE`` / ``PR<id>`` / ``PROCORE-REQ-<id>``, references
``PC-<commitment id>`` with change-order lines ``PCCO-<id>``), written out here: the side takes them as given.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from connector_assets.jde.reconcile_documents import orders_by_reference, voucher_batches


@dataclass(frozen=True)
class Key:
    """A voucher batch key as Procore -> JDE derives it for a requisition id."""

    rid: str

    @property
    def user(self) -> str:
        return "MLPROCORE"

    @property
    def batch(self) -> str:
        return f"PR{self.rid}"

    @property
    def transaction(self) -> str:
        return f"PROCORE-REQ-{self.rid}"


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
    found = voucher_batches(jde, {rid: Key(rid) for rid in ("11", "12")})
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
