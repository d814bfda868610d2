"""Where this instance reads Procurify's staged records (the day's bills, payments, requisition headers and
purchase orders): the deployment's Procurify side (``procurify/bills`` ...) when it reaches the deployment's
Procurify account, or copies of its own (``<instance>/procurify_bills`` ..., ``saas.own_side``) staged
through its own connection when its ``connections`` name another account: the deployment's copies hold the
other account's records, and a flow that took them would post another company's bills. Procurify has no
webhooks, so either way every flow polls.
"""

from connector_assets.procurify.bill_reads import BILLS_ASSET as DEPLOYMENT_BILLS
from connector_assets.procurify.payments import STAGED_PAYMENTS as DEPLOYMENT_PAYMENTS
from connector_assets.procurify.po_origins import STAGED_PURCHASE_ORDERS as DEPLOYMENT_POS
from connector_assets.procurify.po_origins import STAGED_REQUISITIONS as DEPLOYMENT_REQUISITIONS
from connector_assets.saas.own_side import InstanceSide

from .integration import INTEGRATION

PROCURIFY = InstanceSide(INTEGRATION, "procurify")
BILLS_ASSET = PROCURIFY.key(DEPLOYMENT_BILLS)
PAYMENTS_ASSET = PROCURIFY.key(DEPLOYMENT_PAYMENTS)
REQUISITIONS_ASSET = PROCURIFY.key(DEPLOYMENT_REQUISITIONS)
PURCHASE_ORDERS_ASSET = PROCURIFY.key(DEPLOYMENT_POS)
# The instance's own staged copies, each in the flow that reads it first (none on the deployment's account).
own_bill_assets = PROCURIFY.assets(DEPLOYMENT_BILLS)
own_payment_assets = PROCURIFY.assets(DEPLOYMENT_PAYMENTS)
own_order_assets = PROCURIFY.assets(DEPLOYMENT_POS, DEPLOYMENT_REQUISITIONS)
