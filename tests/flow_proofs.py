"""What the flow proofs of every integration read and assert of the ledger: its cross-references, and
the audit after two runs raced on one day (``test_flow_*_concurrent.py``), a flow's open queue and audit
counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa


def ledger_xrefs(ledger: Any, integration: str, entity: str, target: str) -> dict[str, str | None]:
    """Source key -> target id (None: claimed, not recorded) of the integration's ``entity`` xrefs."""
    with ledger.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "select source_key, target_id from mlc_xref where integration = :i "
                "and entity = :e and target_system = :t"
            ),
            {"i": integration, "e": entity, "t": target},
        ).all()
    return dict(rows)


def audited_once(ledger: Any, integration: str, flow: str, keys: set[str], outcomes: dict[str, dict]) -> None:
    """The ledger's audit of the two runs (``outcomes`` by run name, each with its ``run_id`` and
    ``leased`` count): one create per record, never an adopt (neither run crashed), and each run's holds
    are the records it counted as being written by the other."""
    runs = {o["run_id"]: name for name, o in outcomes.items()}
    with ledger.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "select source_id, action, run_id from mlc_audit_event where integration = :i "
                "and flow = :flow and action in ('create', 'adopt', 'hold')"
            ),
            {"i": integration, "flow": flow},
        ).all()
    ours = [(key, action, runs[run]) for key, action, run in rows if run in runs]
    creates = Counter(key for key, action, _ in ours if action == "create")
    assert creates == Counter(dict.fromkeys(keys, 1)), creates.most_common(3)
    assert not [row for row in ours if row[1] == "adopt"]
    holds = Counter(name for _, action, name in ours if action == "hold")
    assert holds == Counter({n: o["leased"] for n, o in outcomes.items() if o["leased"]}), holds


def open_queue(ledger: Any, integration: str, flow: str) -> dict[str, str]:
    """Open retry-queue items of an integration's flow: source key -> reason."""
    return {item.source_key: item.reason for item in ledger.open_items(integration=integration, flow=flow)}


def audit_counts(ledger: Any, integration: str, flow: str) -> dict[str, int]:
    """Audit events of an integration's flow, counted by action (``create``, ``adopt``, ``skip``,
    ``hold`` ...)."""
    with ledger.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "select action, count(*) from mlc_audit_event where integration = :i and flow = :f "
                "group by action"
            ),
            {"i": integration, "f": flow},
        ).all()
    return dict(rows)
