"""The AIS sandbox's data, dates, contracts and serving helper, checked without HTTP.

The seeded database is inspected with SQL: cross-table consistency, maximum lengths, shared cursor
stamps, determinism. The orchestration contracts are checked against the table catalog and against
the README a JDE administrator reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connector_sandbox.jde_ais.contracts import load_contracts
from connector_sandbox.jde_ais.dates import compile_pattern, from_julian, to_hhmmss, to_julian
from connector_sandbox.jde_ais.orchestrations import HANDLERS
from connector_sandbox.jde_ais.seed import SeedPlan, seed
from connector_sandbox.jde_ais.settings import DEFAULT_CONTRACTS_DIR, JdeSandboxSettings, SandboxUser
from connector_sandbox.jde_ais.store import Store, quote
from connector_sandbox.jde_ais.tables import TABLES, Kind
from connector_sandbox.seeding import KeptDataError
from connector_sandbox.serve import serve_in_thread

from .serving import seeded

ANCHOR = dt.date(2025, 3, 15)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    yield from seeded(Store(), seed, JdeSandboxSettings(scale=0.05, anchor_date=ANCHOR))


def scalar(store: Store, sql: str) -> int:
    return store.conn.execute(sql).fetchone()[0]


# --- cross-consistency -------------------------------------------------------------------------------


def test_every_supplier_has_an_address_book_row_of_search_type_v(store: Store) -> None:
    assert scalar(store, 'SELECT COUNT(*) FROM "F0401"') > 0
    orphans = 'SELECT COUNT(*) FROM "F0401" s LEFT JOIN "F0101" b ON b."AN8" = s."AN8" WHERE b."AN8" IS NULL'
    assert scalar(store, orphans) == 0
    assert (
        scalar(store, 'SELECT COUNT(*) FROM "F0401" s JOIN "F0101" b USING ("AN8") WHERE b."AT1" <> \'V\'')
        == 0
    )


def test_order_lines_belong_to_their_headers(store: Store) -> None:
    orphan_lines = (
        'SELECT COUNT(*) FROM "F4311" l LEFT JOIN "F4301" h USING ("KCOO", "DOCO", "DCTO", "SFXO") '
        'WHERE h."DOCO" IS NULL OR h."AN8" <> l."AN8"'
    )
    assert scalar(store, orphan_lines) == 0
    assert (
        scalar(
            store,
            'SELECT COUNT(*) FROM "F4301" h WHERE NOT EXISTS '
            '(SELECT 1 FROM "F4311" l WHERE l."DOCO" = h."DOCO" AND l."KCOO" = h."KCOO")',
        )
        == 0
    )
    assert scalar(store, 'SELECT COUNT(*) FROM "F4301" h JOIN "F0401" s USING ("AN8")') == scalar(
        store, 'SELECT COUNT(*) FROM "F4301"'
    )
    # Extended cost = quantity x 4-decimal unit cost, rounded to cents: within half a cent of the exact
    # product (a half-cent product may land either side, as JDE's own figure can), and some stock lines
    # carry costs in fractions of a cent.
    fractional = 0
    for quantity, cost, extended in store.conn.execute('SELECT "UORG", "PRRC", "AEXP" FROM "F4311"'):
        assert abs(extended * 100 - quantity * cost) <= 50, (quantity, cost, extended)
        fractional += cost % 100 != 0
    assert fractional > 0


def test_gl_lines_use_postable_accounts_and_the_chart_has_non_postable_ones(store: Store) -> None:
    bad = (
        'SELECT COUNT(*) FROM "F4311" l LEFT JOIN "F0901" a ON a."AID" = l."AID" '
        'WHERE l."LNTY" = \'J\' AND (a."AID" IS NULL OR a."PEC" <> \'\' OR a."OBJ" <> l."OBJ")'
    )
    assert scalar(store, bad) == 0
    assert scalar(store, 'SELECT COUNT(*) FROM "F4311" WHERE "LNTY" = \'J\'') > 0
    assert scalar(store, 'SELECT COUNT(*) FROM "F0901" WHERE "PEC" = \'N\'') > 0
    assert scalar(store, 'SELECT COUNT(*) FROM "F0901" WHERE "PEC" = \'I\'') > 0


def test_vouchers_reference_real_suppliers_and_orders(store: Store) -> None:
    assert (
        scalar(
            store, 'SELECT COUNT(*) FROM "F0411" v LEFT JOIN "F0401" s USING ("AN8") WHERE s."AN8" IS NULL'
        )
        == 0
    )
    with_order = 'SELECT COUNT(*) FROM "F0411" WHERE "PO" <> \'\''
    matched = (
        'SELECT COUNT(*) FROM "F0411" v JOIN "F4301" h ON h."KCOO" = v."PKCO" '
        'AND h."DOCO" = CAST(v."PO" AS INTEGER) AND h."DCTO" = v."PDCT" AND h."AN8" = v."AN8"'
    )
    assert scalar(store, with_order) > 0 and scalar(store, matched) == scalar(store, with_order)
    # Paid pay items have nothing open; others have all of it open.
    assert scalar(store, 'SELECT COUNT(*) FROM "F0411" WHERE "PST" = \'P\' AND "AAP" <> 0') == 0
    assert scalar(store, 'SELECT COUNT(*) FROM "F0411" WHERE "PST" <> \'P\' AND "AAP" <> "AG"') == 0


def test_processed_batch_rows_match_the_vouchers_they_became(store: Store) -> None:
    assert scalar(store, 'SELECT COUNT(*) FROM "F0411Z1"') > 0
    unmatched = (
        'SELECT COUNT(*) FROM "F0411Z1" z LEFT JOIN "F0411" v ON v."KCO" = z."KCO" AND v."DOC" = z."DOC" '
        'AND v."SFX" = z."SFX" WHERE v."DOC" IS NULL OR v."AG" <> z."AG" OR z."EDSP" <> \'1\''
    )
    assert scalar(store, unmatched) == 0
    balance = (
        'SELECT COUNT(*) FROM (SELECT "EDTN", SUM("AG") AS g FROM "F0411Z1" GROUP BY "EDTN") p '
        'JOIN (SELECT "EDTN", SUM("AA") AS d FROM "F0911Z1" GROUP BY "EDTN") d USING ("EDTN") '
        "WHERE p.g <> d.d"
    )
    assert scalar(store, balance) == 0


# --- realism -------------------------------------------------------------------------------------------


def test_no_value_exceeds_its_column_and_maximum_lengths_occur(store: Store) -> None:
    for table in TABLES.values():
        for column in table.columns:
            if column.kind is Kind.STRING:
                longest = scalar(
                    store, f"SELECT COALESCE(MAX(length({quote(column.alias)})), 0) FROM {quote(table.name)}"
                )
                assert longest <= column.length, f"{table.name}.{column.alias}"
    for table, alias, length in (
        ("F0101", "ALPH", 40),
        ("F0101", "TAX", 20),
        ("F0411", "VINV", 25),
        ("F4301", "VR01", 25),
        ("F4301", "RMK", 30),
        ("F4311", "DSC1", 30),
        ("F0411Z1", "EDTN", 22),
        ("F0411Z1", "EDBT", 15),
        ("F0411Z1", "EDUS", 10),
        ("F0101", "MCU", 12),
    ):
        assert scalar(store, f'SELECT MAX(length("{alias}")) FROM "{table}"') == length, f"{table}.{alias}"


def test_names_are_multilingual(store: Store) -> None:
    names = {row[0] for row in store.conn.execute('SELECT "ALPH" FROM "F0101"')}
    assert {"Müller Baustoffe GmbH", "Société Générale d'Équipement", "北京建材"} <= names
    long_non_ascii = [name for name in names if len(name) == 40 and not name.isascii()]
    assert len(long_non_ascii) >= 2


@pytest.mark.parametrize(
    ("table", "time_column"),
    [("F0101", "UPMT"), ("F0401", "UPMT"), ("F4301", "TDAY"), ("F4311", "TDAY"), ("F0411", "UPMT")],
)
def test_many_records_share_one_update_stamp(store: Store, table: str, time_column: str) -> None:
    total = scalar(store, f'SELECT COUNT(*) FROM "{table}"')
    biggest = scalar(
        store, f'SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM "{table}" GROUP BY "UPMJ", "{time_column}")'
    )
    assert biggest >= 0.08 * total, f"{table}: largest (UPMJ, {time_column}) group {biggest} of {total}"


def test_history_dates_are_real_and_before_the_anchor(store: Store) -> None:
    anchor = to_julian(ANCHOR)
    for table in ("F0101", "F4301", "F0411"):
        for (upmj,) in store.conn.execute(f'SELECT DISTINCT "UPMJ" FROM "{table}"'):
            assert from_julian(upmj) is not None and upmj < anchor
    assert scalar(store, 'SELECT COUNT(*) FROM "F4301" WHERE "TRDJ" > "UPMJ" OR "DRQJ" < "TRDJ"') == 0
    assert scalar(store, 'SELECT COUNT(*) FROM "F0411" WHERE "DGJ" < "DIVJ" OR "DDJ" < "DIVJ"') == 0


def _fingerprint(store: Store) -> str:
    digest = hashlib.sha256()
    for name, table in TABLES.items():
        order = ", ".join(quote(alias) for alias in table.key)
        for row in store.conn.execute(f'SELECT * FROM "{name}" ORDER BY {order}'):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_seed_is_deterministic_and_reusable(store: Store, tmp_path: Path) -> None:
    settings = JdeSandboxSettings(scale=0.05, anchor_date=ANCHOR, db_path=tmp_path / "e1.sqlite")
    first = Store(settings.db_path)
    try:
        assert seed(first, settings).reused is False
        assert _fingerprint(first) == _fingerprint(store)
    finally:
        first.close()
    reopened = Store(settings.db_path)
    try:
        report = seed(reopened, settings)
        assert report.reused is True and report.row_counts == store.row_counts()
        with pytest.raises(KeptDataError, match="seeded with"):
            seed(reopened, settings.model_copy(update={"seed": 7}))
    finally:
        reopened.close()
    other = Store()
    try:
        seed(other, JdeSandboxSettings(scale=0.05, anchor_date=ANCHOR, seed=7))
        assert _fingerprint(other) != _fingerprint(store)
    finally:
        other.close()


def test_scale_plan_reaches_a_million_order_lines_at_scale_100() -> None:
    one, large = SeedPlan.for_scale(1), SeedPlan.for_scale(100)
    assert min(one.suppliers, one.accounts, one.purchase_orders, one.vouchers) >= 1000
    average_lines = sum((1, 2, 3, 4, 4, 5, 6, 8, 10)) / 9  # the factory's line-count distribution
    assert large.purchase_orders * average_lines >= 1_000_000
    assert large.suppliers < 100 * one.suppliers  # master data grows slower than transactions


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "julian"),
    [
        (dt.date(2025, 2, 1), 125032),
        (dt.date(1999, 12, 31), 99365),
        (dt.date(2000, 1, 1), 100001),
        (dt.date(2024, 12, 31), 124366),
    ],
)
def test_julian_dates(day: dt.date, julian: int) -> None:
    assert to_julian(day) == julian and from_julian(julian) == day


def test_julian_edge_cases_and_times() -> None:
    assert from_julian(0) is None
    with pytest.raises(ValueError, match="125366"):
        from_julian(125366)  # 2025 has no day 366
    assert to_hhmmss(dt.time(9, 30, 15)) == 93015 and to_hhmmss(dt.time(0, 0, 5)) == 5


def test_date_patterns() -> None:
    european = compile_pattern("dd/MM/yyyy")
    assert european.format(dt.date(2025, 2, 3)) == "03/02/2025"
    assert european.parse("13/02/2025") == dt.date(2025, 2, 13)
    assert (european.jde_code, european.separator) == ("DME", "/")
    assert compile_pattern("yyyyMMdd").format(dt.date(2025, 2, 3)) == "20250203"
    assert compile_pattern("yyyy-MM-dd").jde_code == "EMD"
    for text in ("02/13/2025", "2025-02-13", "31/02/2025"):
        with pytest.raises(ValueError, match="dd/MM/yyyy"):
            european.parse(text)
    with pytest.raises(ValueError):
        compile_pattern("dd/MM/yyyy HH:mm")


def test_settings_reject_bad_users() -> None:
    with pytest.raises(ValidationError, match="simple_date_format"):
        SandboxUser(username="X", password="y", simple_date_format="dd.MM.yyyy hh")
    duplicate = SandboxUser(username="integr8", password="z")
    with pytest.raises(ValidationError, match="unique"):
        JdeSandboxSettings(users=(*JdeSandboxSettings().users, duplicate))
    assert "integr8-sandbox" not in repr(JdeSandboxSettings().users[0])


# --- contracts ---------------------------------------------------------------------------------------


def test_contracts_cover_every_orchestration_and_fit_the_tables() -> None:
    contracts = load_contracts(DEFAULT_CONTRACTS_DIR)
    assert (
        set(contracts)
        == set(HANDLERS)
        == {
            "ML_CreateVoucherBatch",
            "ML_CreateJournalBatch",
            "ML_CreatePurchaseOrder",
            "ML_UpdatePurchaseOrder",
            "ML_AddUpdateSupplier",
            "ML_RecordPayment",
        }
    )
    for contract in contracts.values():
        raw_inputs = list(contract.raw["inputs"])
        for grid in [item for item in raw_inputs if item["type"] == "grid"]:
            raw_inputs.extend(grid["columns"])
        for item in raw_inputs:
            if "column" not in item:
                continue
            table_name, alias = item["column"].split(".")
            column = TABLES[table_name].by_alias[alias]
            if item["type"] == "string":
                assert item["maxLength"] <= column.length, (
                    f"{contract.name}.{item['name']} vs {item['column']}"
                )
            if item["type"] == "date":
                assert column.kind is Kind.DATE, f"{contract.name}.{item['name']}"


def test_readme_documents_every_contract_input_and_error() -> None:
    readme = (DEFAULT_CONTRACTS_DIR / "README.md").read_text(encoding="utf-8")
    catalog = json.loads((DEFAULT_CONTRACTS_DIR / "error_catalog.json").read_text(encoding="utf-8"))["errors"]
    for contract in load_contracts(DEFAULT_CONTRACTS_DIR).values():
        assert f"`{contract.name}`" in readme
        names = [item["name"] for item in contract.raw["inputs"]]
        names += [column["name"] for item in contract.raw["inputs"] for column in item.get("columns", [])]
        names += [output["name"] for output in contract.raw["outputs"]]
        for name in names:
            assert f"`{name}`" in readme, f"{contract.name}: {name} is not in the README"
    for code in catalog:
        assert f"`{code}`" in readme


# --- serving helper ----------------------------------------------------------------------------------


def test_serve_in_thread_starts_on_an_ephemeral_port_and_stops() -> None:
    app = Starlette(routes=[Route("/ping", lambda request: PlainTextResponse("pong"))])
    base, stop = serve_in_thread(app, path="/api")
    port = int(base.split(":")[2].split("/")[0])
    assert base.endswith("/api") and port > 0
    assert requests.get(base.removesuffix("/api") + "/ping", timeout=5).text == "pong"
    stop()
    stop()  # idempotent
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(2)
        probe.connect(("127.0.0.1", port))
