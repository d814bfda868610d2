"""What the flow proofs of every integration read and assert of the ledger: its cross-references, what
two runs raced on one day left (``test_flow_*_concurrent.py``: each record created once, the audit, the
holds replayed without a POST), a flow's open queue and audit counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa


def ledger_rows(ledger: Any, sql: str, **params: Any) -> list[Any]:
    """The rows a query of the ledger's tables answers (``:name`` parameters)."""
    with ledger.engine.begin() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def ledger_xrefs(ledger: Any, integration: str, entity: str, target: str) -> dict[str, str | None]:
    """Source key -> target id (None: claimed, not recorded) of the integration's ``entity`` xrefs."""
    sql = "select source_key, target_id from mlc_xref where integration = :i and entity = :e "
    sql += "and target_system = :t"
    return dict(ledger_rows(ledger, sql, i=integration, e=entity, t=target))


def audited_once(ledger: Any, integration: str, flow: str, keys: set[str], outcomes: dict[str, dict]) -> None:
    """The ledger's audit of the two runs (``outcomes`` by run name, each with its ``run_id`` and
    ``leased`` count): one create per record, never an adopt (neither run crashed), and each run's holds
    are the records it counted as being written by the other."""
    runs = {o["run_id"]: name for name, o in outcomes.items()}
    sql = (
        "select source_id, action, run_id from mlc_audit_event where integration = :i "
        "and flow = :flow and action in ('create', 'adopt', 'hold')"
    )
    rows = ledger_rows(ledger, sql, i=integration, flow=flow)
    ours = [(key, action, runs[run]) for key, action, run in rows if run in runs]
    creates = Counter(key for key, action, _ in ours if action == "create")
    assert creates == Counter(dict.fromkeys(keys, 1)), creates.most_common(3)
    assert not [row for row in ours if row[1] == "adopt"]
    holds = Counter(name for _, action, name in ours if action == "hold")
    assert holds == Counter({n: o["leased"] for n, o in outcomes.items() if o["leased"]}), holds


def created_once(outcomes: dict[str, dict], records: int, *, adopt: bool = False) -> None:
    """Of two runs' write counts, each of ``records`` was created by one run and skipped or held by the
    other, and neither failed; neither adopted one either (neither run crashed) unless ``adopt`` (a run
    may find the other's record in the target before the other recorded it)."""
    assert sum(o["create"] for o in outcomes.values()) == records, outcomes
    others = sum(o["skip"] + o["leased"] + (o["adopt"] if adopt else 0) for o in outcomes.values())
    assert others == records, outcomes  # the other run skipped, held (or adopted) each record
    assert all(o["fail"] == 0 and (adopt or o["adopt"] == 0) for o in outcomes.values()), outcomes


def held_replayed_without_a_post(
    ledger: Any, integration: str, flow: str, posts: Callable[[], int], replays: Any
) -> int:
    """What a losing run held (the other run was writing it) leaves the queue once that write is recorded:
    released and replayed (with ``replays``, the flows' ``build_replays``), found written, and the target
    not asked (``posts()``: its create calls so far) once more. How many items were replayed."""
    from connector_resources.replay import release_synced, replay_items

    release_synced(ledger, replays, integration=integration, flow=flow)
    due = ledger.open_items(integration=integration, flow=flow)
    before = posts()
    summary = replay_items(ledger, due, replays)
    # A skip (found written) counts as already written, not as replayed.
    assert len(summary.replayed) + len(summary.already) == len(due) and not summary.failed, summary.line()
    assert posts() == before  # not one POST
    assert ledger.open_items(integration=integration, flow=flow) == []
    return len(due)


def two_runs_write_once(
    world: Any,
    asset: str,
    flow: str,
    keys: set[str],
    posts: Callable[[], int],
    *,
    adopt: bool = False,
    refused: Callable[[], int] = lambda: 0,
    replay_held: bool = True,
    replays: Any = None,
    **fields: dict[str, Any],
) -> dict[str, dict]:
    """Two runs of a world's write step ``asset`` at once (``racing.race_written``, ``fields`` tuning their
    clients) write each of the day's ``keys`` once: the target asked to create each once (``posts()``: its
    create calls so far; up to ``refused()`` more when it refused some calls that were retried), one run
    created it and the other skipped or held it (``created_once``), the audit says so (``audited_once``),
    and, ``replay_held``, what a run held is replayed without a POST (with ``replays``, the flow's
    ``build_replays``). The two runs' write counts."""
    from racing import race_written

    integration = world.spec.name
    before = posts()
    outcomes = race_written(world, asset, **fields)
    sent = posts() - before
    print(f"{flow}: {len(keys)} records, {sent} create calls, {outcomes}")
    assert len(keys) <= sent <= len(keys) + refused(), (sent, len(keys))  # zero double POSTs
    created_once(outcomes, len(keys), adopt=adopt)
    audited_once(world.ledger, integration, flow, keys, outcomes)
    if replay_held:
        held = held_replayed_without_a_post(world.ledger, integration, flow, posts, replays)
        print(f"{flow}: {held} held records replayed as skips")
    return outcomes


def open_queue(ledger: Any, integration: str, flow: str) -> dict[str, str]:
    """Open retry-queue items of an integration's flow: source key -> reason."""
    return {item.source_key: item.reason for item in ledger.open_items(integration=integration, flow=flow)}


def audit_counts(ledger: Any, integration: str, flow: str) -> dict[str, int]:
    """Audit events of an integration's flow, counted by action (``create``, ``adopt``, ``skip``,
    ``hold`` ...)."""
    sql = "select action, count(*) from mlc_audit_event where integration = :i and flow = :f group by action"
    return dict(ledger_rows(ledger, sql, i=integration, f=flow))
