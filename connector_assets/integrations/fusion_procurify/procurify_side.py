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


class ProcurifySide:
    """Where ``instance`` reads Procurify's staged records (the module docstring says which)."""

    def __init__(self, instance: str) -> None:
        side = InstanceSide(instance, "procurify")
        self.bills, self.codes = side.key(DEPLOYMENT_BILLS), side.key(DEPLOYMENT_CODES)
        self.purchase_orders, self.requisitions = side.key(DEPLOYMENT_POS), side.key(DEPLOYMENT_REQUISITIONS)
        self.departments = side.key(DEPLOYMENT_DEPARTMENTS)
        # Its own staged copies, each in the flow that reads it first (none on the deployment's account).
        self.bill_assets = side.assets(DEPLOYMENT_BILLS)
        self.order_assets = side.assets(DEPLOYMENT_POS, DEPLOYMENT_REQUISITIONS)
        self.code_assets = side.assets(DEPLOYMENT_CODES, DEPLOYMENT_DEPARTMENTS)
