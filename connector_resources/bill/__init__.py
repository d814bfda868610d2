"""BILL (bill.com) v3 AP API: vendors, bills, payments, chart of accounts, departments, webhooks.

Typical use inside an asset::

    with bill.session() as s:  # shares the process's one BILL session and its 3-in-flight cap
        for payment in s.iter_changed("payments", start, end):
            ...  # BILL's JSON (amounts as Decimal) plus "_updated_at"
        found = s.find_bills(vendor_id=v, invoice_number="INV-1")  # search before a create
        created = found[0] if found else s.create_bill({...})  # lost answer: outcome_unknown

Modules: ``resource`` (the Dagster resource, ping), ``session`` (calls, typed errors, reads),
``writes`` (creates and the searches by natural key that match them), ``changes`` (exact
change reads over BILL's lists), ``listing`` (entities, filters, timestamps), ``auth`` (session
login shared process-wide, BDC_1109 re-login, retry rules), ``payloads`` (request bodies, exact
decimals), ``webhooks`` (signature, body, subscriptions), ``errors``.
"""

from connector_resources.bill import errors
from connector_resources.bill.auth import BillSessionAuth, LoginInfo, forget_sessions, retry_when
from connector_resources.bill.errors import *  # noqa: F403 (its __all__)
from connector_resources.bill.listing import ENTITY_SPECS, EntitySpec, clause, parse_time
from connector_resources.bill.payloads import encode_json
from connector_resources.bill.resource import BillResource, register_bill_ping
from connector_resources.bill.session import BillSession
from connector_resources.bill.webhooks import SIGNATURE_HEADER, parse_webhook_body, verify_bill_signature

__all__ = [
    *errors.__all__,
    "ENTITY_SPECS",
    "SIGNATURE_HEADER",
    "BillResource",
    "BillSession",
    "BillSessionAuth",
    "EntitySpec",
    "LoginInfo",
    "clause",
    "encode_json",
    "forget_sessions",
    "parse_time",
    "parse_webhook_body",
    "register_bill_ping",
    "retry_when",
    "verify_bill_signature",
]
