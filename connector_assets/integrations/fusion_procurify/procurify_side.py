"""Where this instance reads Procurify's staged records (the day's bills, POs and requisitions, and the
account codes and departments read whole): the deployment's Procurify side (``procurify/bills`` ...) when it
reaches the deployment's Procurify account, or copies of its own (``<instance>/procurify_bills`` ...,
``saas.own_side``) staged through its own connection when its ``connections`` name another account: the
deployment's copies hold the other account's records. Procurify has no webhooks, so either way every flow
polls.
"""

from connector_assets.procurify.bill_reads import BILLS_ASSET as DEPLOYMENT_BILLS
from connector_assets.procurify.code_checks import PROCURIFY_CODES_ASSET as DEPLOYMENT_CODES
from connector_assets.procurify.code_checks import PROCURIFY_DEPARTMENTS_ASSET as DEPLOYMENT_DEPARTMENTS
from connector_assets.procurify.po_origins import STAGED_PURCHASE_ORDERS as DEPLOYMENT_POS
from connector_assets.procurify.po_origins import STAGED_REQUISITIONS as DEPLOYMENT_REQUISITIONS
from connector_assets.saas.own_side import InstanceSide

from .integration import INTEGRATION

PROCURIFY = InstanceSide(INTEGRATION, "procurify")
BILLS_ASSET = PROCURIFY.key(DEPLOYMENT_BILLS)
PURCHASE_ORDERS_ASSET = PROCURIFY.key(DEPLOYMENT_POS)
REQUISITIONS_ASSET = PROCURIFY.key(DEPLOYMENT_REQUISITIONS)
CODES_ASSET = PROCURIFY.key(DEPLOYMENT_CODES)  # read whole
DEPARTMENTS_ASSET = PROCURIFY.key(DEPLOYMENT_DEPARTMENTS)  # read whole
# The instance's own staged copies, each in the flow that reads it first (none on the deployment's account).
own_bill_assets = PROCURIFY.assets(DEPLOYMENT_BILLS)
own_order_assets = PROCURIFY.assets(DEPLOYMENT_POS, DEPLOYMENT_REQUISITIONS)
own_code_assets = PROCURIFY.assets(DEPLOYMENT_CODES, DEPLOYMENT_DEPARTMENTS)
