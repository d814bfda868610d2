"""One integration's day reconciliation, declared once: the asset, its job and the schedule closing each day.

An integration declares only what is its own, as data; this builds ``<integration>_reconciliation``, the
job ``<integration>_reconcile`` and its schedule at ``ML_<INTEGRATION>_RECONCILE_CRON``. JDE <-> BILL
reconciles per entity on two calendars, so it builds its own assets and uses ``DayReconciliation.running``.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    PartitionsDefinition,
    ScheduleDefinition,
    define_asset_job,
)

from connector_assets.asset_keys import asset_key
from connector_assets.flows import instance
from connector_assets.flows.assets import target_asset_name
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import build_day_close_schedule
from connector_assets.flows.reconciliation import Report, build_reconciliation_asset
from connector_assets.runtime.polling import build_poll_schedule
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.setting_declarations import integration_variable


@dataclass(frozen=True)
class ReconciliationWords:
    """What the asset, its job and its schedule say in the UI: the integration's own sentences."""

    asset: str
    job: str
    schedule: str

    @classmethod
    def of(cls, text: str) -> "ReconciliationWords":
        """The words written as three paragraphs (asset, job, schedule), each wrapped as it reads best in
        the source: a paragraph's lines are joined by one space."""
        asset, job, schedule = (" ".join(p.split()) for p in text.strip().split("\n\n"))
        return cls(asset, job, schedule)


def _zone_name(timezone: str | Callable[[], object]) -> str:
    """The IANA name of a zone given as a name, or read when the schedule is made (a ``ZoneInfo`` or its
    name), so a zone that is a setting is read at load time, never at import."""
    zone = timezone() if callable(timezone) else timezone
    return str(getattr(zone, "key", zone))


@dataclass(frozen=True)
class DayReconciliation:
    """The built assets and their job, and what the schedule needs to be made when the definitions load
    (its cron is a setting, read then, not at import). ``polled``: the schedule runs today at each tick
    and yesterday once after midnight (``polling.build_poll_schedule``), instead of closing yesterday."""

    assets: tuple[AssetsDefinition, ...]
    job: Any
    partitions_def: PartitionsDefinition
    cron_setting: str
    timezone: str | Callable[[], Any]
    schedule_description: str
    polled: bool = False

    @classmethod
    def running(
        cls,
        job: str,
        assets: Sequence[AssetsDefinition],
        *,
        partitions_def: PartitionsDefinition,
        cron_setting: str,
        timezone: str | Callable[[], object],
        job_description: str,
        schedule_description: str,
        polled: bool = False,
    ) -> "DayReconciliation":
        """``assets`` (of one calendar) and ``job`` running them alone at ``cron_setting`` in ``timezone``."""
        keys = [key for a in assets for key in a.keys]
        job_def = define_asset_job(job, selection=AssetSelection.assets(*keys), description=job_description)
        return cls(
            tuple(assets), job_def, partitions_def, cron_setting, timezone, schedule_description, polled
        )

    @property
    def name(self) -> str:
        """The reconciliation's asset key (of one that has a single asset)."""
        [asset] = self.assets
        return asset.key.to_user_string()

    def wiring(self) -> tuple[list[AssetsDefinition], list[Any], Callable[[], list[ScheduleDefinition]]]:
        """``reconciliation_assets``, ``reconciliation_jobs`` and ``reconciliation_schedules``."""
        return list(self.assets), [self.job], self.schedules

    def schedules(self) -> list[ScheduleDefinition]:
        """Yesterday (the partitions' days) closed at ``cron_setting`` in ``timezone()``; when ``polled``,
        today at each tick and yesterday once after midnight."""
        name, cron, zone = (
            f"{self.job.name}_schedule",
            instance.read(self.cron_setting),
            _zone_name(self.timezone),
        )
        if self.polled:
            return [
                build_poll_schedule(
                    name, self.job, cron=cron, timezone=zone, description=self.schedule_description
                )
            ]
        return [
            build_day_close_schedule(
                name,
                self.job,
                cron=cron,
                timezone=zone,
                partitions_def=self.partitions_def,
                description=self.schedule_description,
            )
        ]


def wiring(
    *reconciliations: DayReconciliation,
) -> tuple[list[AssetsDefinition], list[Any], Callable[[], list[ScheduleDefinition]]]:
    """``DayReconciliation.wiring`` of several, in order (a package reconciling on two calendars)."""

    def schedules() -> list[ScheduleDefinition]:
        return [schedule for r in reconciliations for schedule in r.schedules()]

    assets = [asset for r in reconciliations for asset in r.assets]
    return assets, [r.job for r in reconciliations], schedules


def build_day_reconciliation(
    integration: str,
    systems: tuple[str, str],
    flows: Iterable[FlowSpec],
    compare: Callable[..., Report],
    timezone: str | Callable[[], object],
    words: ReconciliationWords,
    staged: Iterable[AssetKey] = (),
    partitions_def: PartitionsDefinition | None = None,
) -> DayReconciliation:
    """The reconciliation of ``integration`` (see the module docstring): ``systems`` are resource keys,
    source first, as ``compare`` takes them; ``staged`` is listed before the ``flows`` whose target assets it
    reads after; ``partitions_def`` the flows' days (UTC days unless told: JDE -> Coupa's are JDE days)."""
    name = asset_key(integration, "reconciliation")
    partitions = saas_daily_partitions() if partitions_def is None else partitions_def
    asset = build_reconciliation_asset(
        name,
        group=integration,
        systems=systems,
        partitions_def=partitions,
        deps=(*staged, *(target_asset_name(spec) for spec in flows)),
        compare=compare,
        description=words.asset,
    )
    return DayReconciliation.running(
        f"{integration}_reconcile",
        [asset],
        partitions_def=partitions,
        cron_setting=integration_variable(integration, "RECONCILE_CRON"),  # the schedule's cron
        timezone=timezone,
        job_description=words.job,
        schedule_description=words.schedule,
    )
