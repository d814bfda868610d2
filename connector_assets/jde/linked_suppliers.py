"""Source vendors as JDE suppliers when the vendor may already name its supplier (Procore -> JD Edwards):
``targets.Suppliers`` plus a two-way pairing's rules. The address number in ``natural_key["an8"]`` is the
first match; an inactive vendor is never added; bank numbers are read from the source at write time (the
mapped record holds only their fingerprint) and registered for redaction first; ``written`` runs after
each JDE write.
"""

from collections.abc import Callable
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.jde import targets
from connector_assets.jde.target_base import create_held_on_missing, find_held_on_missing
from connector_resources.redaction import register_secret
from connector_resources.refusals import Refused, refused

BANK_INPUTS = ("Bank_Transit_Number", "Bank_Account_Number")


class LinkedSuppliers(targets.Suppliers):
    """``targets.Suppliers`` for paired vendors (module docstring): ``bank_key`` is the body's fingerprint
    field, swapped for ``bank(record)``'s numbers at write time."""

    def __init__(
        self,
        *args: Any,
        bank_key: str,
        bank: Callable[[Mapped], tuple[str, str]],
        inactive: Callable[[Mapped], str],
        written: Callable[[Mapped, str], None],
        source_label: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.bank_key, self.bank, self.inactive, self.written = bank_key, bank, inactive, written
        self.source_label = source_label

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        an8 = record.natural_key.get("an8")
        return str(an8) if an8 else super().find(record)

    def _inputs(self, record: Mapped) -> dict[str, object]:
        inputs = {k: v for k, v in record.body.items() if k not in (self.bank_key, "Address_Number")}
        if self.bank_key in record.body:
            numbers = self.bank(record)
            for number in numbers:
                register_secret(number)  # masked in any log or error text from here on
            inputs.update({k: v for k, v in zip(BANK_INPUTS, numbers, strict=True) if v})
        return inputs

    @create_held_on_missing
    def create(self, record: Mapped) -> str:
        if record.natural_key.get("active") is False:
            why = self.inactive(record)
            raise Refused(refused(why, rule="supplier inactive"))  # the flow's rule: JDE was not asked
        an8 = self._orchestrate(self._inputs(record))
        self.written(record, an8)
        return an8

    def update(self, target_id: str, record: Mapped) -> None:
        self._orchestrate({**self._inputs(record), "Address_Number": int(target_id)})
        self.written(record, target_id)
