"""What Coupa -> JD Edwards pairs by hand (``flows.manual_pairs``): a Coupa supplier and the JDE supplier it
is (Coupa id -> AN8), which ``invoices.supplier_number`` asks first. What a match releases and refuses:
docs/integrations/coupa_jde.md, "The flows" (invoices).
"""

from dataclasses import dataclass
from typing import Any

from connector_assets.coupa.manual_pair_sides import supplier_side as coupa_supplier
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.manual_pairs import (
    SOURCE,
    ManualPairing,
    MatchRefused,
    PairingRules,
    Proposed,
    due_now,
)
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier

from .invoices import COUPA_SUPPLIER, SUPPLIER_ENTITY
from .own import Own


def _coupa_supplier(item: Any) -> str:
    """The Coupa supplier a queued invoice was refused lacking a JDE number for (its refusal's
    ``COUPA_SUPPLIER`` parameter), "" when none."""
    return str((getattr(item, "params", None) or {}).get(COUPA_SUPPLIER) or "")


@dataclass(frozen=True, eq=False)
class InvoiceSupplierRules(PairingRules):
    """JDE -> Coupa's pair stands; the refused invoices of ``own``'s ``invoices`` a match answers are due."""

    own: Own
    invoices: FlowSpec

    def check(self, match: Proposed, *, conn: Any) -> None:
        source, target, paired = match.source, match.target, self.own.paired("supplier", "coupa")
        theirs = match.ledger.find_xref_by_target(*paired, source.key, conn=conn)
        if theirs is not None and theirs.source_key != target.key:
            raise MatchRefused(
                f"{source.label} = {target.label} not stored: JDE -> Coupa's suppliers flow made (or "
                f"adopted) this Coupa supplier for JDE supplier {theirs.source_key}, and its invoices go to "
                "that one; "
                f"if that pair is wrong, correct it there (ml-connector xref set --integration "
                f"{paired[0]})"
            )

    def named_in(self, pairing: ManualPairing, item: Any) -> tuple[str, str] | None:
        found = _coupa_supplier(item)
        return (SOURCE, found) if found else None

    def answered(self, match: Proposed, because: str, *, run_id: str | None, conn: Any) -> int:
        ledger = match.ledger
        refused = [
            item
            for item in ledger.open_items(
                integration=self.own.name, flow=self.invoices.name, status="failed", limit=100_000, conn=conn
            )
            if _coupa_supplier(item) == match.source.key
        ]
        return due_now(ledger, refused, f"due now: {because}", run_id=run_id, conn=conn)


def supplier_pairing(own: Own, invoices: FlowSpec) -> ManualPairing:
    """``own``'s pairing of a Coupa supplier with its JDE supplier, for its ``invoices`` flow."""
    return ManualPairing(
        integration=own.name,
        entity=SUPPLIER_ENTITY,
        source=coupa_supplier("coupa"),
        target=jde_supplier("JDE"),
        about="A Coupa supplier whose number is not its JDE address number, and which JDE -> Coupa did not "
        "make: its invoices are held until it is matched with its JDE supplier.",
        flow_words={SUPPLIER_ENTITY: "invoices flow"},
        rules=InvoiceSupplierRules(own, invoices),
    )
