"""The Dagster concurrency pools of write steps and the limits the project sets on named pools."""

from collections.abc import Iterable

from dagster import AssetsDefinition, DagsterInstance

from connector_assets.flows.core import FlowSpec
from connector_resources.api_pools import api_pool_limit


def write_pool(spec: FlowSpec) -> str:
    """The Dagster concurrency pool of a flow's write step: ``FlowSpec.write_pool`` when the flow names one
    (BILL's ``bill_<organization>``, shared with its source reads), else ``write_<target system>``, limit 1.
    Per target system, not per flow: one client paces itself to the API's ceiling (Coupa 24 of its 25
    req/s), so two write steps calling the same API at once would exceed it together."""
    return spec.write_pool or f"write_{spec.target_system.lower()}"


WRITE_POOL_LIMIT = 1


def pool_limit(pool: str) -> int | None:
    """The limit the project sets on a named pool: 1 for a write pool; an API's own pool (BILL's
    organization, 1 step using up to 3 requests; Procore's app) what its client says
    (``connector_resources.api_pools``); None for others."""
    if pool.startswith("write_"):
        return WRITE_POOL_LIMIT
    return api_pool_limit(pool)


def wanted_pool_limits(assets: Iterable[object]) -> dict[str, int]:
    """The limit the project sets on each named pool the steps of ``assets`` take (``pool_limit``)."""
    pools = sorted(
        {
            asset.op.pool
            for asset in assets
            if isinstance(asset, AssetsDefinition) and asset.is_executable and asset.op.pool
        }
    )
    return {pool: limit for pool in pools if (limit := pool_limit(pool)) is not None}


def apply_write_pool_limits(instance: DagsterInstance, assets: Iterable[object]) -> dict[str, int]:
    """Set the write pools and BILL's organization pools of ``assets`` to one step at a time on
    ``instance``. Named pool limits live in the instance database, not ``dagster.yaml`` (whose
    ``default_limit`` of 3 would apply); a deployment's ``write_pool_limits`` sensor keeps them so."""
    limits = wanted_pool_limits(assets)
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return limits


def correct_pool_limits(
    instance: DagsterInstance, assets: Iterable[object]
) -> dict[str, tuple[int | None, int]]:
    """Set only the pools of ``assets`` whose limit on ``instance`` differs from the project's (a pool
    never limited counts as differing): ``{pool: (limit found, limit set)}``, empty when all agree, so a
    second call changes nothing."""
    storage = instance.event_log_storage
    known = storage.get_concurrency_keys()
    changed: dict[str, tuple[int | None, int]] = {}
    for pool, limit in wanted_pool_limits(assets).items():
        found = storage.get_concurrency_info(pool).slot_count if pool in known else None
        if found != limit:
            storage.set_concurrency_slots(pool, limit)
            changed[pool] = (found, limit)
    return changed
