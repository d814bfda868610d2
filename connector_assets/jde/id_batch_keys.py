"""JD Edwards batch keys (EDUS / EDBT / EDTN) spelt from a source document's numeric id alone:
``<prefix><id>`` while that fits EDTN A(22) (the keys earlier runs wrote, still adopted), base 36 under
other prefixes beyond (13 characters at most for a 64-bit id). Both are functions of the id and never
meet, so no two documents share a key. Used by Procore -> JD Edwards requisition vouchers.
"""

from dataclasses import dataclass

from connector_assets.jde.target_base import BatchKey

BATCH_MAX, TRANSACTION_MAX = 15, 22  # F0411Z1.EDBT / EDTN
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def base36(number: int) -> str:
    """``number`` (>= 0) in base 36, digits then upper-case letters: ``base36(35) == "Z"``."""
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = BASE36[digit] + digits
        if not number:
            return digits


@dataclass(frozen=True)
class IdBatchKeys:
    """One flow's keys: its EDUS ``user``, the plain prefixes (``batch``, ``transaction``) and the base-36
    ones (``compact_batch``, ``compact_transaction``); ids are ``source`` ids below ``id_limit``."""

    user: str
    batch: str
    transaction: str
    compact_batch: str
    compact_transaction: str
    source: str
    id_limit: int = 2**64

    @property
    def plain_digits(self) -> int:
        """The longest id spelt as it is: the tighter of the two keys."""
        return TRANSACTION_MAX - len(self.transaction)

    def key_problem(self, source_id: str) -> str | None:
        """Why the id cannot make a JDE batch key (not a 64-bit source id), None when it can."""
        if source_id.isdigit() and int(source_id) < self.id_limit:
            return None
        return (
            f"the {self.source} id {source_id!r} is not a 64-bit {self.source} id, so it makes no JDE batch "
            f"key (EDTN {self.transaction}<id> or {self.compact_transaction}<base 36 of id>); enter this "
            "voucher in JDE by hand"
        )

    def for_id(self, source_id: str) -> BatchKey:
        """The plain form for an id of up to ``plain_digits`` digits, the base-36 form for a longer one. An
        id that is neither (``key_problem`` says why) keeps the literal form, which only a reconciliation
        ever looks up: the mapper refuses to write it."""
        text = str(source_id)
        if len(text) <= self.plain_digits or self.key_problem(text) is not None:
            return BatchKey(self.user, f"{self.batch}{text}", f"{self.transaction}{text}")
        code = base36(int(text))
        return BatchKey(self.user, f"{self.compact_batch}{code}", f"{self.compact_transaction}{code}")
