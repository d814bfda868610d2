"""Where this instance reads Coupa's invoices and payments: the Coupa side's staged polls and the webhook
receiver's call-outs when it reaches the deployment's Coupa tenant, or copies of its own
(``<instance>/coupa_invoices``, ``<instance>/coupa_payments``, ``saas.own_side``) when its ``connections``
name another tenant. Such an instance stages them in its own flow runs and reads by polling alone: Coupa's
call-outs reach the deployment's receiver sources, which hold the deployment's tenant's documents.
"""

from connector_assets.coupa.documents import INVOICES, PAYMENTS
from connector_assets.flows.documents import DocumentSource
from connector_assets.saas.own_side import InstanceSide

from .integration import INTEGRATION, setting

COUPA = InstanceSide(INTEGRATION, "coupa")
OWN_TENANT = COUPA.own
INVOICES_SOURCE: DocumentSource = COUPA.source(INVOICES)
PAYMENTS_SOURCE: DocumentSource = COUPA.source(PAYMENTS)
own_invoice_assets = COUPA.assets(INVOICES.asset)
own_payment_assets = COUPA.assets(PAYMENTS.asset)
# The JD Edwards -> Coupa instance on the same tenant, whose supplier and order pairs name an invoice's
# JDE supplier and order (read by name: integrations never import each other).
PAIRED_SETTING = setting("PAIRS_FROM")
