"""The system sides a deployment loads: each system's staged source assets, the job reading them and its
poll schedule, for the systems its integrations reach and no other (no BILL job polling BILL for a JDE <->
Coupa deployment). A JDE table staged outside ``JDE_TABLES`` (F0116, ``ML_JDE_SUPPLIER_ADDRESSES``) comes
with the JDE side when a chosen integration reads it and none brings it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from dagster import AssetKey, Definitions

from connector_assets.jde.assets import jde_assets
from connector_assets.jde.schedules import (
    jde_gl_accounts_job,
    jde_gl_accounts_schedule,
    jde_poll_schedule,
    jde_sources_job,
)
from connector_assets.jde.supplier_addresses import supplier_addresses_asset
from connector_assets.saas.assets import (
    CLIENTS,
    SAAS_ENTITIES,
    saas_assets,
    saas_jobs,
    saas_schedules,
)

JDE = "JDE"  # the JDE side's name as ``FlowSpec`` systems spell it; the SaaS sides are ``CLIENTS``' keys
# JDE tables staged outside ``JDE_TABLES``, loaded when a chosen integration's asset reads them.
JDE_READ_WHEN_NEEDED = (supplier_addresses_asset,)


def side_definitions(
    systems: Collection[str], read: Iterable[AssetKey] = (), brought: Iterable[AssetKey] = ()
) -> Definitions:
    """The sides of ``systems`` (``JDE`` and ``CLIENTS`` keys; others have no side of their own), plus the
    optional JDE tables among ``read`` (what the chosen integrations' assets depend on) and not ``brought``
    (what they define: the merged Definitions hold one asset per key)."""
    assets: list = []
    jobs: list = []
    schedules: list = []
    if JDE in systems:
        needed = set(read) - set(brought)
        assets += [*jde_assets, *(a for a in JDE_READ_WHEN_NEEDED if a.key in needed)]
        jobs += [jde_sources_job, jde_gl_accounts_job]
        schedules += [jde_poll_schedule, jde_gl_accounts_schedule]
    saas = [system for system in CLIENTS if system in systems]
    assets += [asset for spec, asset in zip(SAAS_ENTITIES, saas_assets, strict=True) if spec.system in saas]
    names = {f"{system}_sources" for system in saas}
    jobs += [job for job in saas_jobs if job.name in names]
    schedules += [schedule for schedule in saas_schedules if schedule.job_name in names]
    return Definitions(assets=assets, jobs=jobs, schedules=schedules)
