"""How many JDE purchase-order lines a system recomputing quantity x unit cost would get a cent wrong.

Seeds the JDE sandbox (scale as given) into a temporary database and, for every F4311 line, compares
JDE's extended cost (AEXP) with quantity x unit cost rounded half up (what Coupa computes for a quantity
line) and counts the orders affected; then counts the lines the JDE -> Coupa mapping sends as amount lines
(``line_amount_fields``), which is what keeps both sides equal. Run by hand:

    .venv/bin/python bench/po_rounding.py --scale 1
"""

from __future__ import annotations

import argparse
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from connector_assets.integrations.jde_coupa.purchase_orders import CENT, line_amount_fields
from connector_sandbox.jde_ais.settings import JdeSandboxSettings
from connector_sandbox.jde_ais.state import SandboxState


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = SandboxState.build(JdeSandboxSettings(scale=args.scale, db_path=Path(tmp) / "jde.sqlite"))
        try:
            rows = state.store.conn.execute('SELECT "DOCO", "UORG", "PRRC", "AEXP" FROM "F4311"').fetchall()
        finally:
            state.close()
    orders, off_orders, off_lines, amount_lines = set(), set(), 0, 0
    for doco, quantity, cost, extended in rows:
        qty, price, aexp = Decimal(quantity), Decimal(cost) / 10_000, Decimal(extended) / 100
        orders.add(doco)
        if (qty * price).quantize(CENT, rounding=ROUND_HALF_UP) != aexp:
            off_lines += 1
            off_orders.add(doco)
        amount_lines += "quantity" not in line_amount_fields(qty, price, aexp)
    print(
        f"scale {args.scale}: {len(rows)} lines on {len(orders)} orders; {off_lines} lines on "
        f"{len(off_orders)} orders where quantity x cost rounded half up != AEXP; {amount_lines} lines sent "
        "as amount lines"
    )


if __name__ == "__main__":
    main()
