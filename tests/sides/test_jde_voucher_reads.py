"""A day's changed vouchers are read whole: every pay item JDE holds, not only the day's staged rows."""

from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from connector_assets.jde.charges import voucher_totals
from connector_assets.jde.documents import changed_vouchers

# One voucher without an order, two pay items and the F0911 distribution of both (AA = each item's AG).
VOUCHER = {"KCO": "00001", "DOC": 10042, "DCT": "PV", "STAM": "0", "PO": "", "AN8": 1001}
PAY_ITEMS = [{**VOUCHER, "SFX": "001", "AG": "600.00"}, {**VOUCHER, "SFX": "002", "AG": "400.00"}]
DISTRIBUTION = [
    {"KCO": "00001", "DOC": 10042, "DCT": "PV", "LT": "AA", "EXTL": "", "JELN": 10, "AA": "600.00"},
    {"KCO": "00001", "DOC": 10042, "DCT": "PV", "LT": "AA", "EXTL": "", "JELN": 20, "AA": "400.00"},
]
TABLES = {"F0411": PAY_ITEMS, "F0911": DISTRIBUTION}


class Jde:
    """Answers a browse of F0411 / F0911 by DOC with the rows above."""

    @contextmanager
    def session(self) -> Any:
        yield self

    def browse(self, table: str, *, columns, conditions, match) -> list[dict]:
        docs = {c.value for c in conditions}
        return [dict(row) for row in TABLES.get(table, []) if row["DOC"] in docs]


class Staging:
    """The day's staged F0411 rows: only pay item 002, whose pay status a user changed today (P0411
    restamps that row's UPMJ alone)."""

    def read_rows(self, asset: Any, partition: str | None) -> list[dict]:
        return [dict(PAY_ITEMS[1])]


def test_a_voucher_with_one_pay_item_changed_today_is_read_with_all_its_pay_items() -> None:
    [voucher] = changed_vouchers(Staging(), Jde(), "2026-11-25")
    assert [item["SFX"] for item in voucher.pay_items] == ["001", "002"]
    _tax, net, distributed = voucher_totals(voucher)
    assert net == distributed == Decimal("1000.00")


def test_a_day_without_vouchers_reads_nothing_from_jde() -> None:
    class Empty(Staging):
        def read_rows(self, asset: Any, partition: str | None) -> list[dict]:
            return []

    class Unreachable:
        def session(self) -> Any:
            raise AssertionError("no voucher changed: JDE is not asked")

    assert changed_vouchers(Empty(), Unreachable(), "2026-11-25") == []
