"""The Dagster runtime the flows run on: where steps execute (``executors``, ``run_workers``), the event log
(``event_log_storage``), which errors a step retries (``step_retry``), what a step hands the next
(``staging``, ``day_spool``), how sources are read by day and polled (``incremental``, ``polling``), whether
schedules start running (``automation``), what assets say of themselves (``asset_metadata``) and the private
Dagster names used off the production path (``dagster_compat``). Nothing here knows an integration."""
