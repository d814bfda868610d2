"""Why a record waits, in words, for a reconciliation that names what is missing on the other side.

JD Edwards <-> Procurify and Oracle Fusion <-> Procurify both say a missing record is ``held: <what it
waits for>`` or ``queued: <the refusal>``, read from the flow's retry queue in the ledger.
"""

from collections.abc import Iterable

from connector_resources.ledger import Ledger

__all__ = ["queued_by_flow", "queued_reasons"]


def queued_reasons(ledger: Ledger, integration: str, flow: str) -> dict[str, str]:
    """Source key -> why it waits in the flow's retry queue (a held record: what it waits for)."""
    return {
        item.source_key: (f"held: {item.reason}" if item.status == "held" else f"queued: {item.reason}")
        for item in ledger.open_items(integration=integration, flow=flow, limit=100_000)
    }


def queued_by_flow(ledger: Ledger, integration: str, flows: Iterable[str]) -> dict[str, dict[str, str]]:
    """Flow -> its ``queued_reasons``, for each of ``flows`` (a day's reconciliation reads them once)."""
    return {flow: queued_reasons(ledger, integration, flow) for flow in flows}
