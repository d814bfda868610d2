"""The Procore sandbox's seeded data, settings, clock and rate windows, checked without HTTP.

The seeded database is inspected with SQL: references between resources, ``origin_id`` uniqueness,
the values a client must survive (non-ASCII and maximum-length names, ids past 2**31 and 2**32, long
runs of equal ``updated_at``), and determinism.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from connector_sandbox.procore import ProcoreSandboxSettings
from connector_sandbox.procore.clock import RangeError, parse_range
from connector_sandbox.procore.ratelimit import RateLimiter
from connector_sandbox.procore.seed import SeedPlan, seed
from connector_sandbox.procore.settings import ClientApp, CompanySpec, RateLimitSettings
from connector_sandbox.procore.store import SCHEMA, Store
from connector_sandbox.procore.vocabulary import MAX_LENGTHS, SIGNATURE_VENDORS

from .serving import seeded

ANCHOR = dt.date(2025, 3, 15)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    yield from seeded(Store(), seed, ProcoreSandboxSettings(scale=1, anchor_date=ANCHOR))


def scalar(store: Store, sql: str) -> int:
    return store.scalar(sql)


# -- references between resources, amounts billed, project directories -------------------------------


@pytest.mark.parametrize(
    "orphans",
    [
        "SELECT COUNT(*) FROM commitments c LEFT JOIN vendors v ON v.id = c.vendor_id "
        "WHERE v.id IS NULL OR v.company_id != c.company_id",
        "SELECT COUNT(*) FROM commitment_line_items l JOIN commitments c ON c.id = l.commitment_id "
        "JOIN cost_codes k ON k.id = l.cost_code_id "
        "WHERE k.project_id != c.project_id OR l.project_id != c.project_id",
        "SELECT COUNT(*) FROM requisition_items i JOIN requisitions r ON r.id = i.requisition_id "
        "JOIN commitment_line_items l ON l.id = i.line_item_id WHERE l.commitment_id != r.commitment_id",
        "SELECT COUNT(*) FROM requisitions r JOIN billing_periods p ON p.id = r.period_id "
        "WHERE p.project_id != r.project_id",
        "SELECT COUNT(*) FROM commitment_change_orders o JOIN commitments c ON c.id = o.contract_id "
        "WHERE c.project_id != o.project_id",
        "SELECT COUNT(*) FROM budget_line_items b JOIN cost_codes k ON k.id = b.cost_code_id "
        "WHERE k.project_id != b.project_id",
        "SELECT COUNT(*) FROM cost_codes c JOIN cost_codes p ON p.id = c.parent_id "
        "WHERE p.project_id != c.project_id OR c.full_code != p.full_code || '-' || c.code",
        "SELECT COUNT(*) FROM requisition_items "
        "WHERE previous_work_cents + work_completed_this_period_cents > scheduled_value_cents",
        "SELECT COUNT(*) FROM requisition_items i JOIN requisitions r ON r.id = i.requisition_id "
        "WHERE i.previous_work_cents != (SELECT COALESCE(SUM(p.work_completed_this_period_cents), 0) "
        "FROM requisition_items p JOIN requisitions q ON q.id = p.requisition_id "
        "WHERE p.line_item_id = i.line_item_id AND q.number < r.number)",
        "SELECT COUNT(*) FROM commitments c JOIN vendors v ON v.id = c.vendor_id WHERE NOT EXISTS "
        "(SELECT 1 FROM json_each(v.project_ids) WHERE value = c.project_id)",
    ],
    ids=[
        "vendor",
        "line-cost-code",
        "invoice-line",
        "billing-period",
        "change-order",
        "budget",
        "cost-code-tree",
        "requisitions-never-bill-past-the-scheduled-value",
        "previous-work-is-the-sum-of-earlier-requisitions",
        "vendors-on-commitments-are-in-the-project-directory",
    ],
)
def test_references_and_amounts_are_consistent(store: Store, orphans: str) -> None:
    """Each query counts the rows that break one rule of the seed: none may."""
    assert scalar(store, orphans) == 0


@pytest.mark.parametrize(
    "table", ["vendors", "commitments", "cost_codes", "requisitions", "projects", "budget_line_items"]
)
def test_origin_ids_are_unique_per_company(store: Store, table: str) -> None:
    duplicates = scalar(
        store,
        f"SELECT COUNT(*) FROM (SELECT company_id, origin_id FROM {table} WHERE origin_id IS NOT NULL "
        "GROUP BY company_id, origin_id HAVING COUNT(*) > 1)",
    )
    assert duplicates == 0


# -- values a client must survive ----------------------------------------------------------------------------


def test_non_ascii_and_maximum_length_values(store: Store) -> None:
    names = {row["name"] for row in store.all("SELECT name FROM vendors")}
    assert {name for name, *_ in SIGNATURE_VENDORS} <= names
    assert any(not name.isascii() and len(name) == MAX_LENGTHS["name"] for name in names)
    assert any(name.isascii() and len(name) == MAX_LENGTHS["name"] for name in names)
    assert scalar(store, "SELECT MAX(LENGTH(origin_id)) FROM vendors") == MAX_LENGTHS["origin_id"]
    assert scalar(store, "SELECT MAX(LENGTH(title)) FROM commitments") == MAX_LENGTHS["title"]
    assert store.one("SELECT name FROM projects WHERE name = '北京办公楼改造'") is not None


@pytest.mark.parametrize(
    ("table", "limit", "straddles"),
    [
        ("commitment_line_items", 2**31, True),
        ("requisition_items", 2**32, True),
        ("budget_line_items", 2**31, False),
        ("projects", 2**32, False),
    ],
)
def test_ids_cross_integer_limits(store: Store, table: str, limit: int, straddles: bool) -> None:
    assert scalar(store, f"SELECT MAX(id) FROM {table}") > limit
    if straddles:  # ids on both sides of the limit in one table
        assert scalar(store, f"SELECT MIN(id) FROM {table}") < limit


@pytest.mark.parametrize(
    "table", ["vendors", "commitments", "requisitions", "cost_codes", "budget_line_items"]
)
def test_many_records_share_one_updated_at(store: Store, table: str) -> None:
    total = scalar(store, f"SELECT COUNT(*) FROM {table}")
    shared = scalar(store, f"SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM {table} GROUP BY updated_at)")
    assert shared >= total * 0.1
    assert scalar(store, f"SELECT COUNT(*) FROM {table} WHERE updated_at < created_at") == 0


def test_seed_has_what_the_quirks_need(store: Store) -> None:
    assert scalar(store, "SELECT COUNT(*) FROM vendors WHERE is_active = 0") > 0
    assert scalar(store, "SELECT COUNT(*) FROM commitments WHERE deleted_at IS NOT NULL") > 0
    assert scalar(store, "SELECT COUNT(*) FROM projects WHERE permitted = 0") == 1
    assert scalar(store, "SELECT COUNT(*) FROM vendors WHERE origin_owner = 'legacy-erp-integration'") > 0
    assert scalar(store, "SELECT COUNT(*) FROM requisitions WHERE origin_id IS NOT NULL") > 0
    assert scalar(store, "SELECT COUNT(DISTINCT currency_iso_code) FROM projects") >= 3
    statuses = {row["status"] for row in store.all("SELECT DISTINCT status FROM commitments")}
    assert {"Draft", "Approved"} <= statuses


def test_seed_is_deterministic_for_a_seed_scale_and_anchor() -> None:
    def digest(seed_value: int) -> str:
        fresh = Store()
        try:
            seed(fresh, ProcoreSandboxSettings(scale=0.05, anchor_date=ANCHOR, seed=seed_value))
            text = json.dumps(
                {t: fresh.all(f"SELECT * FROM {t} ORDER BY id") for t in SCHEMA}, sort_keys=True
            )
        finally:
            fresh.close()
        return hashlib.sha256(text.encode()).hexdigest()

    assert digest(7) == digest(7)
    assert digest(7) != digest(8)


def test_master_data_grows_slower_than_transactions() -> None:
    one, hundred = SeedPlan.for_scale(1), SeedPlan.for_scale(100)
    assert hundred.commitments == 100 * one.commitments
    assert hundred.vendors == 10 * one.vendors and hundred.projects == 10 * one.projects


# -- settings, clock, rate windows ---------------------------------------------------------------------------


def test_settings_refuse_inconsistent_values() -> None:
    client = ClientApp(client_id="a", client_secret="s", application_id="x")
    with pytest.raises(ValidationError, match="client_id must be unique"):
        ProcoreSandboxSettings(clients=(client, client))
    with pytest.raises(ValidationError, match="must be connected"):
        ProcoreSandboxSettings(companies=(CompanySpec(id=1, name="x", connected=False),))
    with pytest.raises(ValidationError, match="resource_names"):
        ProcoreSandboxSettings.model_validate({"variants": {"resource_names": {"vendor": "Company Vendors"}}})
    assert "sandbox-procore-secret" not in repr(ProcoreSandboxSettings())


@pytest.mark.parametrize(
    ("value", "end", "lower", "upper"),
    [
        (
            "2025-03-01T00:00:00Z...2025-03-02T00:00:00Z",
            "inclusive",
            "2025-03-01T00:00:00Z",
            "2025-03-02T00:00:01Z",
        ),
        (
            "2025-03-01T00:00:00Z...2025-03-02T00:00:00Z",
            "exclusive",
            "2025-03-01T00:00:00Z",
            "2025-03-02T00:00:00Z",
        ),
        ("2025-03-01...2025-03-02", "inclusive", "2025-03-01T00:00:00Z", "2025-03-03T00:00:00Z"),
        ("2025-03-01...2025-03-02", "exclusive", "2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z"),
        (
            "2025-03-01T02:00:00+02:00...2025-03-01T03:00:00.5+02:00",
            "inclusive",
            "2025-03-01T00:00:00Z",
            "2025-03-01T01:00:01Z",
        ),
        ("2025-03-01", "inclusive", "2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z"),
    ],
)
def test_date_time_ranges(value: str, end: str, lower: str, upper: str) -> None:
    parsed = parse_range(value, end)  # type: ignore[arg-type]
    assert (parsed.lower, parsed.upper_exclusive) == (lower, upper)


@pytest.mark.parametrize(
    "value", ["yesterday", "2025-03-01T00:00:00 02:00...2025-03-02", "2025-03-01...", "..."]
)
def test_bad_ranges_are_refused(value: str) -> None:
    with pytest.raises(RangeError):
        parse_range(value, "inclusive")


def test_rate_windows_reopen_after_their_length() -> None:
    limiter = RateLimiter()
    limits = RateLimitSettings(
        spike_limit=2, spike_window_seconds=10, hourly_limit=5, hourly_window_seconds=3600
    )
    assert [limiter.check("app", limits, now=100.0 + i).allowed for i in range(3)] == [True, True, False]
    refused = limiter.check("app", limits, now=105.0)
    assert refused.retry_after == 5 and refused.headers["X-Rate-Limit-Reset"] == "110"
    reopened = limiter.check("app", limits, now=110.0)
    assert reopened.allowed and reopened.headers["X-Rate-Limit-Limit"] == "2"
    for second in (111.0, 121.0, 122.0):
        limiter.check("app", limits, now=second)
    hourly = limiter.check("app", limits, now=140.0)
    assert not hourly.allowed and hourly.headers["X-Rate-Limit-Limit"] == "5" and hourly.retry_after == 3560
    assert limiter.check("other-app", limits, now=140.0).allowed
