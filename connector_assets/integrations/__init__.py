"""The integrations, one package each: its flow specs, pure mappers, mapping tables, jobs, schedules,
sensors and replays, put together in its ``component`` module as one ``flows.assembly.IntegrationComponent``
(a ``@dg.component_instance``).

This package is the project's Dagster defs folder (``[tool.dg.project] defs_module``): Dagster's loader
finds every package's component here, and ``connector_assets.deployment`` builds a deployment from the ones
``ML_INTEGRATIONS`` names (every one by default). Adding an integration is a new folder here (README,
"Adding an integration"); nothing else lists it.
"""
