"""One "needs a person" rule (``connector_resources.needs_person``), the same in Python and in the desk's SQL,
on SQLite and PostgreSQL: for every kind of the catalog, a kind it lacks and no kind at all, each fresh,
old, held on a record that synced and held on a record that needs a person; and the surfaces that ask it
(the desk's page, the day's check) put the same records in front of a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from ledger_entries import held_on, queued

from connector_assets.flows.written_check import queue_of
from connector_assets.preview.fit_markdown import day_one_line
from connector_assets.preview.tally import FitRow, FlowTally
from connector_cli.desk.views import shown_items
from connector_resources.ledger import Ledger, QueueItem, schema
from connector_resources.ledger.queue import default_refusal
from connector_resources.ledger.queue_browse import QueueFilter
from connector_resources.needs_person import CLEARING_KINDS, Outlived, needs_person, person_kind
from connector_resources.refusals import FLOWS, KINDS, Refusal, mapping_missing

WHERE = ("jde_coupa", "purchase_orders", "purchase_order")
PARENT = "jde_coupa:supplier:JDE:4472"  # refused: the records held on it are blocked children
SYNCED = "jde_coupa:supplier:JDE:5000"  # synced, but what waits on it was not released
WAITING = "jde_coupa:supplier:JDE:6000"  # not synced, not queued: a wait within bounds
HOURS = 24


def _refusal(code: str, sentence: str, *, ended_hours_ago: float = 1) -> Refusal:
    params = {name: "x" for name in KINDS[code].params}
    if code == "waits_for_record":
        params = {"waits_for": WAITING, "waits_for_entity": "supplier"}
    if code == "close_window":
        params = {"until": (datetime.now(UTC) - timedelta(hours=ended_hours_ago)).isoformat()}
    return Refusal(code, sentence, params)


def _set(ledger: Ledger, item_id: int, **values: object) -> None:
    t = schema.retry_queue
    with ledger.transaction() as conn:
        conn.execute(sa.update(t).where(t.c.id == item_id).values(**values))


def _stage(ledger: Ledger) -> None:
    """Every kind five ways (failed; held on a record not synced; held 30 h; held on a record that synced;
    held on a refused record), a close window that ended long ago, and items of a kind the catalog lacks
    and of no kind, the same five ways."""
    terms = "supplier 4472: payment terms N45 have no Coupa payment term"
    refused = mapping_missing(terms, table="jde_coupa/payment_terms", what="payment terms", value="N45")
    queued(ledger, ("jde_coupa", "suppliers", "supplier"), "4472", terms, refusal=refused)
    old = datetime.now(UTC) - timedelta(hours=HOURS + 6)
    for code in [*KINDS, "no_such_kind", None]:
        name = code or "none"
        said = f"{name}: why"
        refusal = _refusal(code, said) if code in KINDS else None
        made = [
            queued(ledger, WHERE, f"{name}-failed", said, refusal=refusal),
            held_on(ledger, WHERE, f"{name}-held", WAITING, said, refusal=refusal),
            held_on(ledger, WHERE, f"{name}-old", WAITING, said, refusal=refusal),
            held_on(ledger, WHERE, f"{name}-synced", SYNCED, said, refusal=refusal),
            held_on(ledger, WHERE, f"{name}-blocked", PARENT, said, refusal=refusal),
        ]
        _set(ledger, made[2].id, created_at=old)
        for item in made:
            if code == "no_such_kind":  # a group an older catalog left behind, said to clear by itself
                _set(ledger, item.id, kind="no_such_kind · x", attention=FLOWS)
            elif code is None:  # a row no code of ours queued
                _set(ledger, item.id, kind=None, params=None, attention=None)
    window = _refusal("close_window", "held for the close", ended_hours_ago=HOURS + 10)
    held_on(ledger, WHERE, "window-ended", "jde_coupa:window:JDE:x", "held for the close", refusal=window)


def _judged(ledger: Ledger) -> tuple[list[QueueItem], Outlived, QueueFilter]:
    """The open items, what judges their waits (read as every surface reads it) and the desk's filter."""
    items = ledger.open_items(limit=1000)
    read = Outlived.read(ledger, items, after=timedelta(hours=HOURS))
    outlived = Outlived(read.synced | {SYNCED}, read.after, read.now, read.parents)
    where = QueueFilter(
        view="person",
        wait_hours=HOURS,
        outlived=outlived.synced,
        ended=ledger.ended_close_windows(HOURS),
        blocked=outlived.blocked,
    )
    return items, outlived, where


def _ids(ledger: Ledger, where: QueueFilter) -> set[int]:
    return {item.id for item in ledger.queue_page(where, limit=1000).items}


def test_python_and_sql_agree_on_every_kind_and_each_open_record_is_in_one_view(ledger: Ledger) -> None:
    _stage(ledger)
    items, outlived, where = _judged(ledger)
    person = {i.id for i in items if needs_person(i, outlived)}
    flows = {i.id for i in items} - person
    assert _ids(ledger, where) == person
    assert _ids(ledger, QueueFilter(**{**where.__dict__, "view": "flows"})) == flows
    by_key = {i.source_key: needs_person(i, outlived) for i in items}
    for code in KINDS:  # each way, as the module docstring says
        clears = code in CLEARING_KINDS
        assert by_key[f"{code}-failed"] is by_key[f"{code}-held"] is (not clears), code
        assert by_key[f"{code}-synced"] and by_key[f"{code}-blocked"], code
        assert by_key[f"{code}-old"] is (code != "close_window"), code  # a close window: timed from its end
    for name in ("no_such_kind", "none"):  # nobody said they clear by themselves
        assert all(by_key[f"{name}-{way}"] for way in ("failed", "held", "old", "synced", "blocked"))
    assert by_key["window-ended"] and by_key["4472"]


def test_the_desk_page_and_the_days_check_put_the_same_records_in_front_of_a_person(ledger: Ledger) -> None:
    _stage(ledger)
    items, outlived, _ = _judged(ledger)
    person = {i.id for i in items if needs_person(i, outlived)}
    waited = {i.depends_on for i in items if i.depends_on}
    shown = shown_items(
        items, hours=HOURS, synced=outlived.synced, blockers=ledger.open_dependencies(waited),
        mapping_link=lambda item: "", match_link=lambda item: "",
    )  # fmt: skip
    assert {s.item.id for s in shown if s.view == "person"} == person
    day = queue_of(
        items, alert_after=timedelta(hours=HOURS), synced=outlived.synced, parents=outlived.parents
    )
    assert (day.needs_person, day.clears_by_itself) == (len(person), len(items) - len(person))


def test_a_kind_is_a_persons_by_the_catalog_and_a_kind_it_lacks_or_none_is_a_persons() -> None:
    for code, info in KINDS.items():
        assert person_kind(code) is (info.attention != FLOWS)
        assert person_kind(f"{code} · a value") is person_kind(code)
    assert person_kind("no_such_kind") and person_kind("") and person_kind(None)
    # What the ledger gives a record queued without a refusal agrees: a hold waits, a failure is a person's.
    assert not person_kind(default_refusal("held", "held", PARENT).group)
    assert person_kind(default_refusal("refused", "failed", None).group)
    # The fit report counts its rows' kinds by the same rule (a rule's group, a kind's code).
    tally = FlowTally()
    for kind in ("rate_limited · Coupa", "mapping_missing · t", "refused · no open lines", ""):
        tally.add(FitRow("i", "f", "", kind, "hold" if kind.startswith("rate") else "refuse", kind=kind))
    assert "3 need a person" in day_one_line({"f": tally}) and "1 wait for the flows" in day_one_line(
        {"f": tally}
    )
