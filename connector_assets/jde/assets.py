"""The JD Edwards source assets, one per spec in ``tables``, and who stages F0116."""

from connector_assets.jde.extract import build_table_asset, jde_daily_partitions
from connector_assets.jde.tables import JDE_TABLES, SUPPLIER_ADDRESSES
from connector_resources.jde import optional_tables

jde_partitions = jde_daily_partitions()
jde_assets = [build_table_asset(spec, jde_partitions) for spec in JDE_TABLES]


def supplier_addresses_staged() -> bool:
    """Whether F0116 (``jde/supplier_addresses``, outside ``JDE_TABLES``) is staged by the flows that send
    suppliers' addresses: while ``ML_JDE_SUPPLIER_ADDRESSES`` is on (``optional_tables``), as JDE -> BILL's
    vendors flow stages it then. A flow that reads the staged F0116 whatever the setting (Procore -> JDE
    suppliers) brings its own copy only when this is False: the merged Definitions hold one asset per key."""
    return optional_tables.enabled(SUPPLIER_ADDRESSES.table)
