"""The integrations, one package each: its flow specs, pure mappers, mapping tables, jobs, schedules,
sensors and replays, put together in its ``wiring`` module (``flows.assembly.IntegrationParts``), its
settings in ``settings.toml``.

Each package is a Dagster component type (``connector_assets.components``: ``jde_bill`` is ``JdeBill``),
and a deployment is a defs folder of instances of them (``connector_assets/defs``). Adding an integration is
a new folder here, its type's line in ``connector_assets.components`` (the rest of the type is taken from the
folder) and its ``defs.yaml``.
"""
