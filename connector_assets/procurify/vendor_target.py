"""The Procurify side of a flow that sends another system's suppliers to Procurify as vendors: how the
supplier's vendor is found before a create, and the create itself. One copy for both Procurify
integrations; each subclass says, in its own system's words, why a vendor is refused, and how an update
treats what it finds (``vendor_writes.vendor_changes`` with its own e-mail rule).

Finding, in this order: the ledger's pair (``vendor_pairing``: whichever flow, or an operator, made it);
then the vendor whose ``external_id`` is the supplier's ERP key (inactive ones too: what a crashed attempt
created, or a vendor keyed by hand), unless the ledger pairs that vendor with another supplier (refused,
never adopted: two suppliers sharing one vendor would mix their orders and bills); then whatever else
the integration allows (``find_more``), else None (the flow kit creates). Never by name alone unless an
integration says so: Procurify names are not unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.procurify.vendor_pairing import VendorPairing
from connector_resources.ledger import Ledger


class ProcurifyVendorTarget:
    """Finds and creates Procurify vendors for ``pairing``'s suppliers on one Procurify session; the
    ledger answers which vendor a supplier is paired with. A record's ``natural_key["external_id"]`` is
    the supplier's ERP key on the vendor."""

    pairing: VendorPairing  # the integration's, set by the subclass

    def __init__(self, session: Any, ledger: Ledger, run_id: str | None = None) -> None:
        self.session, self.ledger, self.run_id = session, ledger, run_id

    def find(self, record: Mapped) -> str | None:
        paired = self.pairing.paired_vendor(self.ledger, record.source_key)
        if paired is not None:
            return paired
        vendor = self.session.find_vendor(str(record.natural_key["external_id"]), include_inactive=True)
        if vendor is None:
            return self.find_more(record)
        self.refuse_if_paired_elsewhere(record, vendor, "carries its supplier number as external_id")
        return str(vendor["id"])

    def find_more(self, record: Mapped) -> str | None:
        """Another way to find the vendor once pair and ``external_id`` found none (None: create one)."""
        return None

    def refuse_if_paired_elsewhere(self, record: Mapped, vendor: Mapping[str, Any], how: str) -> None:
        """Raise ``paired_elsewhere`` when the ledger pairs ``vendor`` (found because it ``how``) with
        another supplier than ``record``'s."""
        other = self.pairing.paired_supplier(self.ledger, str(vendor.get("id")))
        if other is not None and other != record.source_key:
            raise self.paired_elsewhere(record, vendor, other, how)

    def paired_elsewhere(self, record: Mapped, vendor: Mapping[str, Any], other: str, how: str) -> Exception:
        """The refusal of a found ``vendor`` the ledger pairs with supplier ``other``, in the integration's
        words (what to correct, where)."""
        raise NotImplementedError

    def no_email(self, record: Mapped) -> Exception:
        """The refusal of a create with no e-mail address (Procurify requires one on every vendor)."""
        raise NotImplementedError

    def create(self, record: Mapped) -> str:
        if not record.body.get("email"):
            raise self.no_email(record)
        created = self.session.create_vendor(record.body)
        vendor_id = str(created["id"])
        self.created(record, vendor_id)
        return vendor_id

    def created(self, record: Mapped, vendor_id: str) -> None:
        """What the integration does the moment Procurify names the new vendor (nothing by default)."""
