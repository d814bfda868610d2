"""Suppliers read with their F0116 mailing address and payee (F0401 SNTO), for JDE -> BILL vendors.
``ML_JDE_SUPPLIER_ADDRESSES`` decides whether F0116 is read at all (an AIS allowlist may refuse it): off,
suppliers come without an address and the run log says so once.
"""

from collections.abc import Callable, Iterable
from typing import Any

from dagster import AssetKey

from connector_assets.jde.assets import supplier_addresses_staged
from connector_assets.jde.documents import (
    JdeSupplier,
    changed_suppliers,
    read_suppliers_ahead,
    suppliers_by_number,
)
from connector_assets.jde.kept_rows import read_for_run
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIER_ADDRESSES, SUPPLIERS
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde import optional_tables
from connector_resources.jde.session import JdeSession


def supplier_sources(addresses: bool) -> list[AssetKey]:
    """The staged JDE assets a day's suppliers come from (F0116 only when addresses are read)."""
    return [SUPPLIERS.asset, ADDRESS_BOOK.asset, *([SUPPLIER_ADDRESSES.asset] if addresses else [])]


def changed_addressed_suppliers(
    context: Any,
    partition: str | None,
    also: Iterable[int],
    flow: str,
    also_ahead: Callable[[], Iterable[int]] = tuple,
) -> list[JdeSupplier]:
    """The partition's changed suppliers and ``also`` (by number), with address and send-to party; the run
    log says once when ``flow`` reads no F0116. A range's first day reads for every day of it, and
    ``also_ahead()`` (what its days add), at once; each day then finds its rows kept for the run."""
    resources = context.resources
    optional_tables.announce(context.log, flow, [SUPPLIER_ADDRESSES.table])
    addresses = supplier_addresses_staged()

    def read_all(days: list[str | None]) -> None:
        read_suppliers_ahead(
            resources.staging, resources.jde, days, also_ahead(), addresses=addresses, remit_to=True
        )

    with optional_tables.refusal_explained(), read_for_run(context, flow, read_all):
        return changed_suppliers(
            resources.staging, resources.jde, partition, set(also), addresses=addresses, remit_to=True
        )


def addressed_suppliers_by_number(
    jde: SessionSource[JdeSession], numbers: Iterable[int]
) -> list[JdeSupplier]:
    """Suppliers ``numbers`` read from JDE, with address and send-to party (a replay's read)."""
    with optional_tables.refusal_explained():
        return suppliers_by_number(jde, set(numbers), addresses=supplier_addresses_staged(), remit_to=True)
