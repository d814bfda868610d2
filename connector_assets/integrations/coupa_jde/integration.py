"""The name that keys this integration everywhere: ledger rows, Dagster group, jobs, replay handlers."""

INTEGRATION = "coupa_jde"
