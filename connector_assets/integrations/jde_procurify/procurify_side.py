"""Where this instance reads Procurify's staged records (the day's bills, payments, requisition headers and
purchase orders): the deployment's Procurify side (``procurify/bills`` ...) when it reaches the deployment's
Procurify account, or copies of its own (``<instance>/procurify_bills`` ..., ``saas.own_side``) staged
through its own connection when its ``connections`` name another account: the deployment's copies hold the
other account's records, and a flow that took them would post another company's bills. Procurify has no
webhooks, so either way every flow polls.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from dagster import AssetKey, AssetsDefinition

from connector_assets.procurify.bill_reads import BILLS_ASSET as DEPLOYMENT_BILLS
from connector_assets.procurify.payments import STAGED_PAYMENTS as DEPLOYMENT_PAYMENTS
from connector_assets.procurify.po_origins import STAGED_PURCHASE_ORDERS as DEPLOYMENT_POS
from connector_assets.procurify.po_origins import STAGED_REQUISITIONS as DEPLOYMENT_REQUISITIONS
from connector_assets.saas.own_side import InstanceSide


@dataclass(frozen=True)
class ProcurifySide:
    """Where one instance reads each of Procurify's staged entities, and the instance's own staged copies,
    each in the flow that reads it first (none on the deployment's account)."""

    bills: AssetKey
    payments: AssetKey
    requisitions: AssetKey
    purchase_orders: AssetKey
    own_bill_assets: Sequence[AssetsDefinition]
    own_payment_assets: Sequence[AssetsDefinition]
    own_order_assets: Sequence[AssetsDefinition]


def procurify_side(instance: str) -> ProcurifySide:
    """Instance ``instance``'s Procurify side."""
    side = InstanceSide(instance, "procurify")
    return ProcurifySide(
        side.key(DEPLOYMENT_BILLS),
        side.key(DEPLOYMENT_PAYMENTS),
        side.key(DEPLOYMENT_REQUISITIONS),
        side.key(DEPLOYMENT_POS),
        side.assets(DEPLOYMENT_BILLS),
        side.assets(DEPLOYMENT_PAYMENTS),
        side.assets(DEPLOYMENT_POS, DEPLOYMENT_REQUISITIONS),
    )
