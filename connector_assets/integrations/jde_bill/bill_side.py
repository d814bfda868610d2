"""Where this instance reads BILL's chart of accounts and departments (what every bill line's ids are
checked against) and its payments: the deployment's BILL side (``bill/chart_of_accounts``, ``bill/payments``
with BILL's webhooks) when it reaches the deployment's BILL organization, or copies of its own
(``<instance>/bill_chart_of_accounts``, ``<instance>/bill_payments``, ``saas.own_side``) when its
``connections`` name another organization. Such an instance takes that organization's webhooks at an
endpoint of its own (``/webhooks/<instance>_bill``, verified with its connection's ``webhook_key``), whose
inbox its payments flow and sensor read; its poll stays the fallback.
"""

from connector_assets.bill.classifications import CHART_OF_ACCOUNTS_ASSET as DEPLOYMENT_CHART
from connector_assets.bill.classifications import DEPARTMENTS_ASSET as DEPLOYMENT_DEPARTMENTS
from connector_assets.bill.documents import PAYMENTS
from connector_assets.flows.documents import DocumentSource
from connector_assets.saas.own_side import InstanceSide

from .integration import INTEGRATION

BILL = InstanceSide(INTEGRATION, "bill")
own_bill_assets = BILL.assets(DEPLOYMENT_CHART, DEPLOYMENT_DEPARTMENTS)
CHART_OF_ACCOUNTS_ASSET = BILL.key(DEPLOYMENT_CHART)
DEPARTMENTS_ASSET = BILL.key(DEPLOYMENT_DEPARTMENTS)
# The payments flow's source: the deployment's (poll + webhooks), or the instance's own staged payments
# with the inbox of its own receiver endpoint (``<instance>_bill``).
PAYMENTS_SOURCE: DocumentSource = BILL.source(PAYMENTS)
PAYMENTS_ENTITY = BILL.entity(PAYMENTS.asset)
own_payments_assets = BILL.assets(PAYMENTS.asset)
