"""JD Edwards batch keys (EDUS / EDBT / EDTN) spelt from a source document's UUID alone, and read back: EDTN
the first 22 hex digits, EDBT ``<prefix>`` + the last 10, so two documents never share a key and a rerun
sends the same one (JDE refuses a second copy, 59A4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from connector_assets.jde.target_base import BatchKey

TRANSACTION_DIGITS = 22  # F0411Z1/F0911Z1.EDTN
BATCH_MAX = 15  # EDBT
HEX_UUID = re.compile(r"^[0-9a-f]{32}$")


def uuid_hex(value: object) -> str | None:
    """The UUID's 32 hex digits (lower case, dashes dropped), None when it is not a UUID."""
    text = str(value or "").strip().lower().replace("-", "")
    return text if HEX_UUID.match(text) else None


@dataclass(frozen=True)
class UuidBatchKeys:
    """One flow's keys: EDBT begins with ``prefix``; ``source`` names its documents in an error."""

    prefix: str
    source: str = "document"

    def for_uuid(self, user: str, uuid: str) -> BatchKey:
        """EDUS / EDBT / EDTN of the document (module docstring): the same on every attempt."""
        digits = uuid_hex(uuid)
        if digits is None:
            raise ValueError(f"{uuid!r} is not a {self.source} UUID (32 hex digits)")
        digits = digits.upper()
        split = TRANSACTION_DIGITS
        return BatchKey(user, f"{self.prefix}{digits[split:]}", digits[:split])

    def uuid_of(self, batch: str, transaction: str) -> str | None:
        """The UUID a batch's keys hold (``for_uuid`` reversed), dashed and lower case; None for a batch of
        another kind."""
        batch, transaction = batch.strip().upper(), transaction.strip().upper()
        if not batch.startswith(self.prefix) or len(transaction) != TRANSACTION_DIGITS:
            return None
        digits = (transaction + batch[len(self.prefix) :]).lower()
        return str(UUID(digits)) if HEX_UUID.match(digits) else None
