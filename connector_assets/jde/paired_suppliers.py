"""JDE suppliers made from another system's vendors, whose address number goes back to the vendor (Procurify
-> JDE ``vendors``): found by the long address number derived from the vendor id (never by name). Once JDE
names the number, the pair is recorded at once, the number written back and the held records released. If
the write-back fails the record is refused (``ExternalIdNotWritten``) but the pair stays with
``EXTERNAL_ID_PENDING``, so the next write adopts the supplier and writes the number back again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from connector_assets.flows.after_write import release_held, released_at
from connector_assets.flows.core import Mapped
from connector_assets.jde import targets
from connector_assets.jde.target_base import create_held_on_missing, find_held_on_missing
from connector_resources.redaction import get_logger
from connector_resources.refusals import Refusal, refusal_of, target_refused

log = get_logger(__name__)

# The content hash of a pair recorded the moment JDE answered, before the number is on the vendor: no
# mapped record hashes to it, so the next write of the vendor writes the number back again.
EXTERNAL_ID_PENDING = "external-id-not-yet-on-the-vendor"


class ExternalIdNotWritten(RuntimeError):
    """JDE has the supplier and the ledger the pair, but the vendor did not take the AN8 as external_id."""

    @property
    def refusal(self) -> Refusal:
        """As the vendor's system answered the write-back (its error, kept as the context), worded so."""
        cause = self.__cause__ or self.__context__
        if cause is not None:
            return refusal_of(cause, str(self))
        return target_refused(str(self), system="")


class PairedSuppliers(targets.Suppliers):
    """``targets.Suppliers`` for vendors made in ``source_label``: ``pairing`` answers which vendor an AN8
    is paired with (``paired_vendor(ledger, an8)``) and the key records wait on for a supplier
    (``supplier_dependency(an8)``); ``write_back(vendor id, an8)`` writes the AN8 to the vendor, raising one
    of ``write_back_errors`` when it cannot."""

    pairing: ClassVar[Any]

    def __init__(
        self,
        *args: Any,
        write_back: Callable[[str, str], None],
        write_back_errors: tuple[type[Exception], ...],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.write_back, self.write_back_errors = write_back, write_back_errors

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        an8 = super().find(record)  # F0101 by ALKY: what an earlier attempt added
        if an8 is None:
            return None
        assert self.ledger is not None
        other = self.pairing.paired_vendor(self.ledger, an8)
        if other is not None and other != record.source_key:
            sentence = (
                f"JDE supplier {an8} carries this vendor's long address number "
                f"{record.body['Long_Address_Number']} but is already the supplier of {self.source_label} "
                f"vendor {other}; not adopted. Correct the long address number (F0101 ALKY) in JDE, or link "
                "the vendor by hand, then replay"
            )
            raise targets.JdeRefused(sentence, kind=Refusal("conflict", sentence, {"system": "JDE"}))
        return an8

    @create_held_on_missing
    def create(self, record: Mapped) -> str:
        an8 = self._orchestrate({k: v for k, v in record.body.items() if k != "Address_Number"})
        self._paired(record, an8)
        return an8

    def update(self, target_id: str, record: Mapped) -> None:
        """An adopted supplier (found by ALKY) or this flow's own pair whose number is not on the vendor
        yet: JDE gets the vendor's values again (a no-op when unchanged), the vendor its AN8."""
        self._orchestrate({**record.body, "Address_Number": int(target_id)})
        self._paired(record, target_id)

    def _paired(self, record: Mapped, an8: str) -> None:
        assert self.ledger is not None and self.spec is not None
        s = self.spec
        # At once, before the write-back: the pair exists for every other flow from the moment JDE has it.
        self.ledger.record_target(
            s.integration,
            s.entity,
            s.source_system,
            record.source_key,
            s.target_system,
            target_id=an8,
            content_hash=EXTERNAL_ID_PENDING,
        )
        source = f"{self.source_label} vendor {record.source_key}"
        try:
            self.write_back(record.source_key, an8)
        except self.write_back_errors as exc:
            raise ExternalIdNotWritten(
                f"JDE supplier {an8} was made from {source} (the pair is in the ledger), but writing {an8} "
                f"as the vendor's external_id failed: {exc}. A replay writes it; the supplier is not added "
                "again"
            ) from None
        release_held(
            self.ledger,
            self.pairing.supplier_dependency(an8),
            f"released: JDE supplier {an8} was made from {source} at {released_at()} UTC; due for replay",
            run_id=self.run_id,
            what=f"JDE supplier {an8}",
            log=log,
        )
