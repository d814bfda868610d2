"""The Dagster concurrency pools the API resources name, and what each allows.

An API's limits are the system's knowledge, declared with it (``System.pool``: BILL 3 requests in flight per
organization, so one step of its ``bill_<org>`` pool at a time; Procore one step of its app's
``procore_<client id>`` pool, whose pacer is per process). The flow kit asks here, by pool name or resource
key, so it names no system itself.
"""

from __future__ import annotations

from connector_resources.systems import declared_systems, systems_by_key


def api_pool_limit(pool: str) -> int | None:
    """The steps at once of an API's own pool (``bill_<org>``, ``procore_<client id>``); None for a pool
    no API resource names."""
    for system in declared_systems():
        if system.pool is not None and pool.startswith(system.pool.prefix):
            return system.pool.limit
    return None


def session_write_limits(resource: str) -> tuple[int | None, str | None]:
    """For a write step on one session of ``resource`` (a resource key): the requests the API allows in
    flight at once and the pool every step calling it shares, each None where the API sets none.

    BILL: its documented 3 in flight per organization, in the organization's pool (``BillResource``)."""
    system = systems_by_key().get(resource)
    if system is None or system.pool is None or system.pool.session_in_flight is None:
        return None, None
    return system.pool.session_in_flight, system.pool.current()
