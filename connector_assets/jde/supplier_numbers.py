"""A source vendor's JDE supplier number as its order or voucher may send it: the vendors flow's
cross-reference, else the vendor's origin id only when JDE holds that supplier (F0401, one lookup per
number per step). Anything else is None, so the document is held on its vendor: an origin id can name a
supplier JDE never had, and sending it fails with JDE's 0002.
"""

from collections.abc import Callable, Iterable
from typing import Any

from connector_assets.jde.supplier_reads import suppliers_among
from connector_assets.runtime.run_reads import RunReads
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession
from connector_resources.redaction import get_logger

log = get_logger(__name__)


_HELD: RunReads[dict[int, bool]] = RunReads(dict)


def run_held(context: object) -> dict[int, bool] | None:
    """What JDE was asked in the run of ``context`` (a step's), for ``SupplierNumbers``' ``held``; None for a
    context naming no run."""
    return _HELD.of(context)


class SupplierNumbers:
    """``linked(vendor_id)``: the ledger's supplier number of the vendor (None: not linked);
    ``named(vendor)``: the number a vendor record names (None: none). Without ``jde`` (a test's reader)
    only the ledger's link counts. ``held``: what JDE was asked already, shared by the days of a run."""

    def __init__(
        self,
        jde: SessionSource[JdeSession] | None,
        linked: Callable[[str], str | None],
        named: Callable[[dict[str, Any] | None], int | None],
        source_label: str,
        held: dict[int, bool] | None = None,
    ) -> None:
        self.jde, self.linked, self.named, self.source_label = jde, linked, named, source_label
        self.held: dict[int, bool] = {} if held is None else held  # AN8 -> JDE holds it as a supplier

    def read_ahead(self, vendors: Iterable[dict[str, object] | None]) -> None:
        """Which of the numbers ``vendors`` name JDE holds, asked at once for those not asked yet (a step
        that has its vendors in hand: one lookup per 100 numbers instead of one per number)."""
        named = {number for number in map(self.named, vendors) if number and number not in self.held}
        if self.jde is None or not named:
            return
        with self.jde.session() as session:
            found = suppliers_among(session, named)
        self.held.update({number: number in found for number in named})

    def an8(self, vendor_id: str, vendor: Callable[[], dict[str, object] | None]) -> str | None:
        """The supplier number, or None (hold on the vendor); ``vendor`` reads the source vendor, called
        only when the ledger does not know it."""
        linked = self.linked(vendor_id)
        if linked is not None or self.jde is None:
            return linked
        named = self.named(vendor())
        if not named:
            return None
        if named not in self.held:
            with self.jde.session() as session:
                self.held[named] = named in suppliers_among(session, [named])
        if not self.held[named]:
            log.info(
                "%s vendor %s: origin_id names JDE supplier %s, which JDE does not hold; held on the "
                "vendor until the vendors flow syncs it",
                self.source_label,
                vendor_id,
                named,
            )
        return str(named) if self.held[named] else None
