"""The JD Edwards side of the Procore vendors flow: ``targets.Suppliers`` (``ML_AddUpdateSupplier``) with what
is the Procore vendors' own.

* The address number a vendor's ``origin_id`` names (checked in JDE by the mapping step) is the first
  match, before the tax ID and the long address number ``Suppliers.find`` searches F0101 by.
* An inactive vendor is never added to JDE: the mapper leaves out those JDE never had, and ``create``
  refuses one that reaches it anyway.
* Bank numbers are read from Procore at write time: the mapped record (stored in the retry queue, hashed
  into the ledger) holds only their fingerprint, so the numbers exist only in this call's memory and in
  JDE. They are registered for redaction before the call, so no log line or error text shows them.
* After each JDE write the pair's sync time is advanced (``vendor_sync.mark_synced``: our own write is not
  taken for a JDE user's edit), and a conflict the Procore edit won is audited in the words the mapping
  step chose.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector_assets.flows.core import FlowSpec, Mapped
from connector_assets.integrations.procore_jde import vendor_sync
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.vendor_mappers import BANK_KEY, bank_fields, bank_numbers
from connector_assets.jde import targets
from connector_assets.procore.companies import (
    QUEUED_FIELD,
    first_company,
    vendor_company,
)
from connector_resources.ledger import Ledger
from connector_resources.redaction import register_secret


class ProcoreJdeSuppliers(targets.Suppliers):
    """``targets.Suppliers`` for Procore vendors: the address number the vendor's ``origin_id`` names is
    the first match; an inactive vendor is never added; bank numbers are read from Procore at write time
    (the mapped record holds only their fingerprint) and go to JDE only; after each write the pair's sync
    time is advanced, and a conflict the Procore edit won is audited."""

    source_label = "Procore"

    def __init__(self, *args: Any, procore: Any = None, procore_sessions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procore = procore
        self.procore_sessions = procore_sessions  # the step's CompanySessions: one session per company

    def _vendor(self, record: Mapped) -> dict[str, Any]:
        """The vendor read by id in its company (the mapped record's, else the ledger's, else the first)."""
        assert self.ledger is not None
        company = record.natural_key.get(QUEUED_FIELD) or vendor_company(
            self.ledger, INTEGRATION, record.source_key, first_company(self.procore)
        )
        if self.procore_sessions is not None:
            return self.procore_sessions.session(int(company)).get("vendors", record.source_key)
        with self.procore.session(int(company)) as session:
            return session.get("vendors", record.source_key)

    def find(self, record: Mapped) -> str | None:
        an8 = record.natural_key.get("an8")
        return str(an8) if an8 else super().find(record)

    def _inputs(self, record: Mapped) -> dict[str, Any]:
        inputs = {k: v for k, v in record.body.items() if k not in (BANK_KEY, "Address_Number")}
        if BANK_KEY in record.body:
            vendor = self._vendor(record)
            routing, account = bank_numbers(vendor, bank_fields())
            for number in (routing, account):
                register_secret(number)  # masked in any log or error text from here on
            inputs.update(
                {k: v for k, v in (("Bank_Transit_Number", routing), ("Bank_Account_Number", account)) if v}
            )
        return inputs

    def _written(self, record: Mapped, an8: str) -> None:
        assert self.ledger is not None
        vendor_sync.pair_written(
            self.ledger,
            record.source_key,
            record,
            flow=self.spec.name if self.spec else "vendors",
            entity="vendor",
            source_system="procore",
            target_system="JDE",
            target_id=an8,
            run_id=self.run_id,
            partition_key=self.partition,
        )

    def create(self, record: Mapped) -> str:
        if record.natural_key.get("active") is False:
            raise targets.JdeRefused(
                f"Procore vendor {record.source_key} is inactive and is in no JDE supplier; an inactive "
                "vendor is never added to JDE. Reactivate it in Procore, or link it by setting its origin_id"
            )
        an8 = self._orchestrate(self._inputs(record))
        self._written(record, an8)
        return an8

    def update(self, target_id: str, record: Mapped) -> None:
        self._orchestrate({**self._inputs(record), "Address_Number": int(target_id)})
        self._written(record, target_id)


@contextmanager
def open_suppliers(
    spec: FlowSpec, jde: Any, procore: Any, ledger: Ledger, run_id: str | None, partition: str | None
) -> Iterator[ProcoreJdeSuppliers]:
    """The target on one JDE session, for the run's (or a replay's) ledger."""
    with jde.session() as session, procore.company_sessions() as procore_sessions:
        yield ProcoreJdeSuppliers(
            session, ledger, run_id, partition, spec, procore=procore, procore_sessions=procore_sessions
        )
