"""The Dagster concurrency pools the API resources name, and what each allows.

An API's limits are the client's knowledge (BILL: 3 requests in flight per organization, so one step of its
``bill_<org>`` pool at a time; Procore: one step of its app's ``procore_<client id>`` pool, whose pacer is
per process). The flow kit asks here, by pool name or resource key, so it names no system itself.
"""

from __future__ import annotations


def api_pool_limit(pool: str) -> int | None:
    """The steps at once of an API's own pool (``bill_<org>``, ``procore_<client id>``); None for a pool
    no API resource names."""
    if pool.startswith("bill_"):
        from connector_resources.bill.resource import CONCURRENCY_POOL_LIMIT

        return CONCURRENCY_POOL_LIMIT
    if pool.startswith("procore_"):
        from connector_resources.procore.resource import CONCURRENCY_POOL_LIMIT

        return CONCURRENCY_POOL_LIMIT
    return None


def session_write_limits(resource: str) -> tuple[int | None, str | None]:
    """For a write step on one session of ``resource`` (a resource key): the requests the API allows in
    flight at once and the pool every step calling it shares, each None where the API sets none.

    BILL: its documented 3 in flight per organization, in the organization's pool (``BillResource``)."""
    if resource == "bill":
        from connector_resources.bill.resource import DOCUMENTED_IN_FLIGHT_CAP, BillResource

        return DOCUMENTED_IN_FLIGHT_CAP, BillResource.from_settings().concurrency_pool
    return None, None
