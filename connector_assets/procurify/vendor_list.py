"""Every Procurify vendor read by list when its pages cost fewer calls than the vendors a step needs one at a
time: the list filters ``external_id`` and ``name`` one value a call and has no id filter (reference §2.3).
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LIST_PAGE_SIZE = 100  # the largest page the reference suggests (its cap is unconfirmed)
Vendors = dict[str, dict[str, Any]]


def listed_vendors(session: Any, needed: int, page_size: int = LIST_PAGE_SIZE) -> Vendors | None:
    """Vendor id -> vendor (inactive and system ones too) when the count asked first and the list's pages
    cost fewer calls than ``needed`` reads one at a time; None when not, or the server gives no count."""
    count = session.count("vendors") if needed >= 3 else None
    if count is None or math.ceil(count / page_size) >= needed - 1:
        return None
    with list_pages(session, page_size):
        return {str(vendor.get("id")): vendor for vendor in session.iter_all("vendors")}


@contextmanager
def list_pages(session: Any, page_size: int = LIST_PAGE_SIZE) -> Iterator[None]:
    """``session``'s list reads in pages of ``page_size`` for the while, its own size put back after."""
    before, session.page_size = session.page_size, page_size
    try:
        yield
    finally:
        session.page_size = before
