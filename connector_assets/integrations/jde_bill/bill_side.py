"""Where this instance reads BILL's chart of accounts and departments (what every bill line's ids are
checked against) and its payments: the deployment's BILL side (``bill/chart_of_accounts``, ``bill/payments``
with BILL's webhooks) when it reaches the deployment's BILL organization, or copies of its own
(``<instance>/bill_chart_of_accounts``, ``<instance>/bill_payments``), read through its own connection in
its organization's pool, when its ``connections`` name another organization. Such an instance reads its
payments by polling alone: BILL's webhooks reach the deployment's one receiver source, which holds the
deployment's organization's events.
"""

from dataclasses import replace

from connector_assets.bill.classifications import CHART_OF_ACCOUNTS_ASSET as DEPLOYMENT_CHART
from connector_assets.bill.classifications import DEPARTMENTS_ASSET as DEPLOYMENT_DEPARTMENTS
from connector_assets.bill.documents import PAYMENTS
from connector_assets.flows.documents import DocumentSource
from connector_assets.saas.assets import SAAS_ENTITIES, saas_partitions
from connector_assets.saas.entities import SaasEntity, build_entity_asset
from connector_resources import configured_settings
from connector_resources.bill.system import SYSTEM
from connector_resources.systems import own_systems

from .integration import INTEGRATION

# Whether this instance reaches a BILL organization of its own (its ``connections.bill``).
OWN_ORGANIZATION = SYSTEM.key in {system.key for system in own_systems(INTEGRATION)}


def _own(deployment_key: object) -> SaasEntity:
    """The instance's copy of the deployment's BILL entity staged at ``deployment_key``."""
    spec = next(spec for spec in SAAS_ENTITIES if spec.asset == deployment_key)
    with configured_settings.scope(INTEGRATION):
        pool = SYSTEM.pool.current() if SYSTEM.pool is not None else None
    return replace(
        spec, group=INTEGRATION, pool=pool, description=f"{spec.description} ({INTEGRATION}'s own)"
    )


OWN_ENTITIES = [_own(key) for key in (DEPLOYMENT_CHART, DEPLOYMENT_DEPARTMENTS)] if OWN_ORGANIZATION else []
own_bill_assets = [build_entity_asset(spec, saas_partitions) for spec in OWN_ENTITIES]
# The payments flow's source: the deployment's (poll + webhooks), or the instance's own staged payments
# with an inbox source of its own that no receiver fills (``<instance>_bill``): polling alone.
OWN_PAYMENTS = _own(PAYMENTS.asset) if OWN_ORGANIZATION else None
PAYMENTS_SOURCE: DocumentSource = (
    replace(PAYMENTS, asset=OWN_PAYMENTS.asset, inbox=f"{INTEGRATION}_bill") if OWN_PAYMENTS else PAYMENTS
)
own_payments_assets = [build_entity_asset(OWN_PAYMENTS, saas_partitions)] if OWN_PAYMENTS else []
CHART_OF_ACCOUNTS_ASSET, DEPARTMENTS_ASSET = (
    tuple(spec.asset for spec in OWN_ENTITIES)
    if OWN_ORGANIZATION
    else (DEPLOYMENT_CHART, DEPLOYMENT_DEPARTMENTS)
)
