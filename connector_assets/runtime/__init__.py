"""The Dagster runtime the flows run on: executors, the event log, step retries, staging, reading sources
by day, automation defaults, asset metadata and the private Dagster names used off the production path
(``dagster_compat``). Nothing here knows an integration."""
