"""The JD Edwards source assets, one per spec in ``tables``."""

from connector_assets.jde.extract import build_table_asset, jde_daily_partitions
from connector_assets.jde.tables import JDE_TABLES

jde_partitions = jde_daily_partitions()
jde_assets = [build_table_asset(spec, jde_partitions) for spec in JDE_TABLES]
