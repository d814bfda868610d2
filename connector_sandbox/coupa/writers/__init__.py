"""POST / PUT / state actions: what ml-connector writes into Coupa (JDE suppliers, external POs,
invoices, payments onto invoices, account and lookup master data, export marks).

Each write validates the whole body first and answers every problem at once in Coupa's error shape;
nothing is stored unless the record is valid. Rules come from the reference: suppliers default to
``draft``; names and numbers are unique; only external POs may be created; invoices start in
``draft`` and their numbers are unique per supplier; Coupa Pay payments accept only ``exported``;
marking exported is a separate request; there is no DELETE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import WriteContext, find_by, mark_exported, not_found
from .invoices import invoice_action, invoice_write
from .master_data import account_write, lookup_value_write, payment_write
from .purchase_orders import purchase_order_action, purchase_order_write
from .suppliers import supplier_write

Writer = Callable[[WriteContext, dict[str, Any], dict[str, Any] | None], dict[str, Any]]
Action = Callable[[WriteContext, dict[str, Any], str], dict[str, Any]]

# Resource -> create/update function (``current`` is None for a create).
WRITERS: dict[str, Writer] = {
    "suppliers": supplier_write,
    "purchase_orders": purchase_order_write,
    "invoices": invoice_write,
    "accounts": account_write,
    "lookup_values": lookup_value_write,
    "payments": payment_write,
}
# Resource -> ``PUT /api/<resource>/<id>/<action>``.
ACTIONS: dict[str, Action] = {"purchase_orders": purchase_order_action, "invoices": invoice_action}

__all__ = ["ACTIONS", "WRITERS", "WriteContext", "find_by", "mark_exported", "not_found"]
