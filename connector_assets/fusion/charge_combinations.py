"""Fusion's account combinations as a flow charges lines to them: the asset staging
``accountCombinationsLOV`` whole for an integration, ``Combinations`` (the staged snapshot asked whether a
combination takes postings on a day), and the job and schedule re-reading them on their own cron.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    MaterializeResult,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from connector_assets.flows import instance
from connector_assets.flows.jobs import SCHEDULE_SUFFIX, build_tick_schedule
from connector_assets.fusion.account_combinations import (
    COMBINATION_COLUMNS,
    DELIMITER,
    LOV,
    Combination,
    stage_combinations,
    staged_combinations,
)
from connector_assets.runtime.asset_metadata import row_count, staged_schema
from connector_assets.runtime.automation import NEVER_READ

SEGMENT_MAX = 25  # a Fusion segment value (GL_CODE_COMBINATIONS.SEGMENTn)
SEGMENT_VALUE = re.compile(r"[A-Za-z0-9]+")


def segment_problem(value: str, what: str = "a Fusion natural account") -> str | None:
    """What is wrong with one segment value in a finance user's words (None: it reads as a segment)."""
    text = value.strip()
    if not SEGMENT_VALUE.fullmatch(text):
        return f"{what} is one segment value of letters and digits (e.g. 60000), not {text!r}"
    if len(text) > SEGMENT_MAX:
        return f"{what} has at most {SEGMENT_MAX} characters ({len(text)} given)"
    return None


def leading_segments_problem(value: str) -> str | None:
    """What is wrong with a ``<company>-<cost center>`` cell, the first two segments of a charge account a
    table names (None: two segment values around ``-``)."""
    parts = [p.strip() for p in value.split(DELIMITER)]
    if len(parts) != 2:
        return "write the Fusion company and cost center as <company>-<cost center> (e.g. 101-10)"
    for what, part in zip(("company", "cost center"), parts, strict=True):
        problem = segment_problem(part, f"the Fusion {what}")
        if problem:
            return problem
    return None


def clean_segments(value: str) -> str:
    """Segment values around ``-``, each trimmed."""
    return DELIMITER.join(p.strip() for p in value.split(DELIMITER))


class Combinations(dict[str, Combination]):
    """Staged combinations by their text (``101-10-60000-000``)."""

    @classmethod
    def staged(cls, staging: Any, asset_name: AssetKey) -> Combinations:
        return cls(staged_combinations(staging, asset_name))

    def problem(self, text: str, on: date | None = None) -> str | None:
        """Why combination ``text`` takes no posting on the day (default today, UTC); None when it does."""
        found = self.get(text)
        if found is None:
            return f"Fusion account {text} is not in {LOV}"
        return found.problem(on or datetime.now(UTC).date())

    def has_natural(self, natural: str) -> bool:
        """Whether any staged combination has Fusion natural account ``natural`` (segment 3)."""
        return any(text.split(DELIMITER)[2:3] == [natural] for text in self)

    def natural_account_problem(self, natural: str, *, on: date | None = None) -> str | None:
        """Why Fusion natural account ``natural`` (segment 3) takes no postings anywhere (None: at least one
        staged combination with it is enabled, postable and active on the day)."""
        day = on or datetime.now(UTC).date()
        seen = [c for text, c in self.items() if text.split(DELIMITER)[2:3] == [natural]]
        if not seen:
            return f"Fusion natural account {natural} is in no combination of {LOV}"
        if any(c.problem(day) is None for c in seen):
            return None
        return f"Fusion natural account {natural} has no enabled, postable, active combination in {LOV}"


def combinations_asset(
    *,
    key: AssetKey,
    group: str,
    segments: Callable[[], tuple[str, ...]],
    segments_setting: str,
    description: str,
) -> AssetsDefinition:
    """The asset ``key`` staging Fusion's combinations whole (the resource has no change stamp), read with
    the segment attribute names ``segments()`` gives (the setting ``segments_setting``); combinations
    skipped for unreadable segments are counted in its metadata and a warning. Staged once on a new
    instance by the automation sensor (``NEVER_READ``), before the flows' first ticks."""

    @asset(
        key=key,
        group_name=group,
        automation_condition=NEVER_READ,
        kinds={"fusion", "parquet"},
        required_resource_keys={"fusion", "staging"},
        description=description,
        metadata=staged_schema(COMBINATION_COLUMNS),
    )
    def combinations(context) -> MaterializeResult:  # unannotated: dagster refuses a string annotation
        with context.resources.fusion.session() as session:
            staged, skipped = stage_combinations(
                context.resources.staging,
                key,
                session.iter_account_combinations(),
                segments(),
                segments_setting=segments_setting,
            )
            calls = session.metrics.as_metadata()
        if skipped:
            context.log.warning(
                f"{key.to_user_string()}: {skipped} combinations without readable segments "
                f"{', '.join(segments())} were not staged (the pod may spell them otherwise: "
                f"{segments_setting})"
            )
        return MaterializeResult(metadata={"rows": staged, "skipped": skipped, **calls, **row_count(staged)})

    return combinations


def combinations_refresh(
    asset: AssetsDefinition, integration: str, cron_setting: str, timezone: str
) -> tuple[Any, ScheduleDefinition]:
    """The job re-reading ``asset`` (an integration's combinations, ``combinations_asset``) whole, and its
    schedule at ``cron_setting`` in ``timezone``: a real pod holds tens of thousands of combinations, too
    many to re-read at every poll of a flow. A combination enabled in Fusion between two refreshes is
    refused with its reason until the next one (a replay re-stages it)."""

    [key] = asset.keys
    # ``<integration>_<asset's name>_refresh``: a job's name is one identifier, not the key's two parts.
    name = f"{integration}_{key.path[-1]}_refresh"
    job = define_asset_job(
        name,
        selection=AssetSelection.assets(key),
        description=f"{integration}: re-read Fusion's account combinations ({LOV}) whole.",
    )
    schedule = build_tick_schedule(
        f"{name}_{SCHEDULE_SUFFIX}",
        job,
        cron=instance.read(cron_setting),  # the instance's, read as it builds
        timezone=timezone,
        description=f"Re-read Fusion's account combinations at ${cron_setting} ({timezone}).",
    )
    return job, schedule
