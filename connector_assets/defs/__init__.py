"""The project's own deployment: a Dagster defs folder of component instances, one ``defs.yaml`` each
(the connector and every integration), loaded by Dagster's loader (``connector_assets.definitions``)."""
