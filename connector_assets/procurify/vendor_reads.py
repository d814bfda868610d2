"""One whole read of Procurify's purchasable vendors, streamed page by page, counting what it cost.

Why a whole read: Procurify's vendor list has no modified-since filter, and ``dateModified`` cannot be
relied on (whether a server sorts by it is unconfirmed, and an independent server may not move it on an
edit: the sandbox plays that with the ``vendor_date_modified=frozen`` variant). So a flow that sends
Procurify's vendors to another system reads them all and notices changes by content
(``vendor_changes``). One copy for both Procurify integrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connector_assets.procurify.vendor_fields import PURCHASABLE_TYPES

# Types 3 and 4, the OTHER bucket left out.
PURCHASABLE_FILTERS = {"type__in": sorted(PURCHASABLE_TYPES), "exclude_other": True}


@dataclass
class VendorRead:
    """What one whole read of the purchasable vendors found and cost (filled in as it streams).
    ``page_size``: rows a page asked for (None: the client's default)."""

    page_size: int | None = None
    vendors: int = 0
    pages: int = 0
    calls: int = 0


def read_vendors(procurify: Any, read: VendorRead) -> Iterator[dict[str, Any]]:
    """Every purchasable vendor, streamed page by page (one page in memory), on one session of
    ``procurify`` (the resource). A large ``read.page_size`` keeps a whole read to the fewest calls; a
    server with a lower cap answers smaller pages and more of them. ``read`` counts vendors, pages and
    calls as they come."""
    with procurify.session() as session:
        if read.page_size is not None:
            session.page_size = read.page_size
        before, pages = session.metrics.snapshot(), session.pages
        try:
            for vendor in session.iter_all("vendors", filters=PURCHASABLE_FILTERS):
                read.vendors += 1
                yield vendor
        finally:
            read.calls, read.pages = session.metrics.since(before).calls, session.pages - pages
