"""JD Edwards <-> BILL: JDE suppliers -> BILL vendors (``vendors``), JDE approved purchase
orders and vouchers -> BILL bills (``bills``), BILL payments back into JDE (``payments``, webhook-driven).
``declaration`` is what the package puts into Dagster, assembled as every package is (``flows.assembly``).
"""

from connector_assets.flows.assembly import IntegrationPackage
from connector_assets.integrations.jde_bill.integration import INTEGRATION

PACKAGE = IntegrationPackage(__name__, INTEGRATION)
__getattr__ = PACKAGE.attribute
__all__ = ["INTEGRATION", "PACKAGE", "defs", "register_replay_handlers"]
