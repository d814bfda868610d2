"""Where this instance reads Coupa's invoices and payments: the Coupa side's staged polls and the webhook
receiver's call-outs when it reaches the deployment's Coupa tenant, or copies of its own
(``<instance>/coupa_invoices``, ``<instance>/coupa_payments``, ``saas.own_side``) when its ``connections``
name another tenant. Such an instance stages them in its own flow runs and takes that tenant's call-outs at
endpoints of its own (``/webhooks/<instance>_coupa_invoices``, ``..._coupa_payments``, verified with its
connection's ``webhook_secret``), whose inbox its sensor reads; its polls stay the fallback.
"""

from connector_assets.coupa.documents import INVOICES, PAYMENTS
from connector_assets.flows.documents import DocumentSource
from connector_assets.saas.own_side import InstanceSide

from .integration import INTEGRATION, setting

COUPA = InstanceSide(INTEGRATION, "coupa")
INVOICES_SOURCE: DocumentSource = COUPA.source(INVOICES)
PAYMENTS_SOURCE: DocumentSource = COUPA.source(PAYMENTS)
own_invoice_assets = COUPA.assets(INVOICES.asset)
own_payment_assets = COUPA.assets(PAYMENTS.asset)
# The JD Edwards -> Coupa instance on the same tenant, whose supplier and order pairs name an invoice's
# JDE supplier and order (read by name: integrations never import each other).
PAIRED_SETTING = setting("PAIRS_FROM")
