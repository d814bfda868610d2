"""F0116 (``jde/supplier_addresses``) as a staged asset for a flow that reads it whatever
``ML_JDE_SUPPLIER_ADDRESSES`` says (Procore -> JD Edwards ``suppliers``): the Definitions hold one asset per
key, so such a flow brings this copy only when no flow sending addresses stages it.
"""

from dagster import AssetsDefinition

from connector_assets.jde.assets import jde_partitions, supplier_addresses_staged
from connector_assets.jde.extract import build_table_asset
from connector_assets.jde.tables import SUPPLIER_ADDRESSES

supplier_addresses_asset = build_table_asset(SUPPLIER_ADDRESSES, jde_partitions)


def supplier_addresses_unless_staged() -> list[AssetsDefinition]:
    """This copy of F0116, or nothing when the flows that send addresses stage it already."""
    return [] if supplier_addresses_staged() else [supplier_addresses_asset]
