"""Whether schedules and sensors start running or stopped on a new Dagster instance (Dagster applies
``default_status`` only until someone turns one on or off in the UI). Stopped by default: against real
systems the operator turns them on after checking mappings and credentials (``ML_AUTOMATION_DEFAULT``).
"""

from dagster import (
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
)

from connector_resources import settings

AUTOMATION_DEFAULT_ENV = "ML_AUTOMATION_DEFAULT"


# What must exist before any flow can map (the F0901 cache read whole, the staged mapping tables) is read
# once by the automation sensor when it was never read; after that, on its own schedule or job. A failed
# first read is not retried every tick: the operator reruns it once the cause is fixed.
_ASSET = AutomationCondition
NEVER_READ = (_ASSET.missing() & ~_ASSET.in_progress() & ~_ASSET.execution_failed()).with_label("never read")


def automation_running() -> bool:
    """True when schedules and sensors start running (``ML_AUTOMATION_DEFAULT=running``)."""
    return settings.read(AUTOMATION_DEFAULT_ENV) == "running"


def schedule_status() -> DefaultScheduleStatus:
    return DefaultScheduleStatus.RUNNING if automation_running() else DefaultScheduleStatus.STOPPED


def sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if automation_running() else DefaultSensorStatus.STOPPED


def automation_sensor() -> AutomationConditionSensorDefinition:
    """Evaluates the assets' automation conditions (``operations/ledger_health`` every 15 minutes, the first
    F0901 read and the first staging of each mapping table when missing). Declared here, not left to
    Dagster's implicit sensor, so it follows the same running / stopped default as everything else."""
    return AutomationConditionSensorDefinition(
        "automation_sensor",
        target=AssetSelection.all(),
        default_status=sensor_status(),
        description="Materializes assets whose automation condition is met: ledger_health every 15 "
        "minutes, jde_gl_accounts and the mapping tables when they were never read.",
    )
