"""``<flow>_marked_exported`` for a Coupa -> JDE flow: after the write, what reached JDE is marked
``exported`` in Coupa, as Coupa's ERP integration pattern asks (``flows.export_marks``), on the day
partitions of the flow, with the polling session (its scopes include the invoice and payment writes the
marks are)."""

from dagster import AssetsDefinition

from connector_assets.flows.export_marks import ExportMark, build_export_marks
from connector_assets.saas.assets import saas_partitions


def coupa_export_marks(mark: ExportMark) -> AssetsDefinition:
    """The flow's export marks asset, in its instance's group."""
    return build_export_marks(
        mark,
        partitions_def=saas_partitions,
        open_source=lambda context: context.resources.coupa.session(flow="polling"),
        source_resource="coupa",
        group=mark.spec.integration,
        kinds={"coupa"},
    )
