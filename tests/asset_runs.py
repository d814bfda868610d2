"""Running assets in a test: pick them by name, materialize them in a throwaway Dagster instance, and
read back each materialized asset's metadata by its key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagster import AssetsDefinition, ExecuteInProcessResult, instance_for_test, materialize


def named(names: Iterable[str], assets: Iterable[AssetsDefinition]) -> list[AssetsDefinition]:
    """The ``assets`` whose key (``a/b``) is among ``names``, in the order of ``assets``."""
    wanted = set(names)
    return [a for a in assets if a.key.to_user_string() in wanted]


def metadata_by_asset(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Each materialized asset's metadata, by its key (``a/b``)."""
    return {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def materialized(
    assets: list[AssetsDefinition], resources: dict[str, Any], **kwargs: Any
) -> dict[str, dict[str, Any]]:
    """Materialize ``assets`` (``kwargs`` go to ``materialize``), assert the run succeeded (naming the
    failures when not) and return ``metadata_by_asset``."""
    with instance_for_test() as instance:
        result = materialize(assets, resources=resources, instance=instance, **kwargs)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return metadata_by_asset(result)
