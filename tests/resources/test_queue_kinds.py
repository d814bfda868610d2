"""The kind of each queued refusal, kept beside its reason as data (``refusals``: its kind and grouping
values): counted and filtered in SQL, kept through a record's life, and filled in for items queued before
kinds were kept."""

from datetime import timedelta

import sqlalchemy as sa
from alembic import command

from connector_resources.ledger import Ledger, schema
from connector_resources.ledger.engine import alembic_config
from connector_resources.ledger.operator_actions import Operator
from connector_resources.ledger.queue_browse import QueueFilter
from connector_resources.refusals import Refusal, mapping_missing, target_refused

NO_ACCOUNT = "bill {n}: line 1: GL account 6{n}00 has no BILL chart of accounts entry (jde_bill/account_map)"
NO_ACCOUNT_KIND = "mapping_missing · jde_bill/account_map"
TAX_ID_KIND = "target_refused · BILL · BDC_1187"


def _no_account(n: int) -> Refusal:
    return mapping_missing(
        NO_ACCOUNT.format(n=n), table="jde_bill/account_map", what="GL account", value=f"6{n}00"
    )


def _queue(ledger: Ledger, key: str, reason: str, flow: str = "bills", refusal: Refusal | None = None) -> int:
    item = ledger.enqueue(
        integration="jde_bill", flow=flow, entity="bill", source_key=key, payload={"key": key}, reason=reason,
        refusal=refusal,
    )  # fmt: skip
    return item.id


def test_records_refused_alike_are_one_kind_counted_and_filtered_in_sql(ledger):
    for n in (1, 2, 3):
        _queue(ledger, f"PO:{n}", NO_ACCOUNT.format(n=n), refusal=_no_account(n))
    why = "vendor 4411 (Acme Ltd): tax id 12-3 is refused by BILL"
    vendor = _queue(
        ledger, "4411", why, flow="vendors", refusal=target_refused(why, system="BILL", code="BDC_1187")
    )
    queued = ledger.queue_item_by_id(vendor)
    assert (queued.kind, queued.attention, queued.params["code"]) == (TAX_ID_KIND, "person", "BDC_1187")
    assert ledger.kind_counts(QueueFilter()) == [(NO_ACCOUNT_KIND, 3), (TAX_ID_KIND, 1)]
    assert ledger.kind_counts(QueueFilter(flow="vendors")) == [(TAX_ID_KIND, 1)]
    page = ledger.queue_page(QueueFilter(kind=NO_ACCOUNT_KIND))
    assert sorted(i.source_key for i in page.items) == ["PO:1", "PO:2", "PO:3"]
    assert sorted(i.params["value"] for i in page.items) == ["6100", "6200", "6300"]  # each its own value
    # the counts of a filter on one kind still show the others: a clerk moves from one cause to the next
    assert len(ledger.kind_counts(QueueFilter(kind=NO_ACCOUNT_KIND))) == 2


def test_a_new_refusal_changes_the_kind_and_an_abandoned_item_keeps_its_refusals(ledger):
    item = _queue(ledger, "PO:7", NO_ACCOUNT.format(n=7), refusal=_no_account(7))
    down = "BILL answered HTTP 503 after 5 attempts"
    outage = Refusal("target_unavailable", down, {"system": "BILL", "status": "503"})
    ledger.record_attempt_failure(item, down, retry_in=timedelta(0), refusal=outage)
    failed = ledger.queue_item_by_id(item)
    assert (failed.kind, failed.attention) == ("target_unavailable · BILL", "flows")
    ledger.abandon_item(item, by=Operator("ann", "operator"), note="bought elsewhere")
    abandoned = ledger.queue_item_by_id(item)
    assert abandoned.status == "abandoned" and abandoned.kind == "target_unavailable · BILL"
    assert ledger.kind_counts(QueueFilter(state="abandoned")) == [("target_unavailable · BILL", 1)]


def test_items_queued_before_kinds_were_kept_get_theirs_on_upgrade(db_url):
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0006")
        conn.execute(
            sa.text(
                "INSERT INTO mlc_retry_queue (integration, flow, entity, source_key, payload, reason,"
                " status, attempts, created_at, updated_at) VALUES ('jde_bill', 'bills', 'bill', 'PO:9',"
                " '{}', :reason, 'failed', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"reason": NO_ACCOUNT.format(n=9)},
        )
    engine.dispose()
    ledger = Ledger(db_url)  # migrates to the newest revision
    try:
        (item,) = ledger.open_items()  # a failure of then: a person's, until its next attempt says more
        assert item.kind == "refused · queued before refusals carried their kind"
        assert (item.attention, item.params) == (
            "person",
            {"rule": "queued before refusals carried their kind"},
        )
        with ledger.engine.connect() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes(schema.retry_queue.name)}
        assert "ix_mlc_retry_queue_kind" in indexes
    finally:
        ledger.dispose()


def test_a_search_by_words_of_the_reason_finds_them_and_uses_the_index_on_postgresql(ledger):
    for n in (1, 2):
        _queue(ledger, f"PO:{n}", NO_ACCOUNT.format(n=n))
    _queue(ledger, "4411", "vendor 4411 (Acme Ltd): tax id 12-3 is refused by BILL", flow="vendors")
    found = ledger.queue_page(QueueFilter(search="chart of accounts"))
    assert sorted(i.source_key for i in found.items) == ["PO:1", "PO:2"]
    assert [i.source_key for i in ledger.queue_page(QueueFilter(search="Refused by bill")).items] == ["4411"]
    if ledger.engine.dialect.name != "postgresql":
        return
    query = sa.select(schema.retry_queue.c.id).where(ledger._search("chart of accounts"))
    with ledger.engine.connect() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            conn.execute(
                sa.text(f"EXPLAIN {query.compile(conn, compile_kwargs={'literal_binds': True})}")
            ).scalars()
        )
    assert "ix_mlc_retry_queue_reason_words" in plan
