"""Running assets in a test: pick them by name, materialize them in a throwaway Dagster instance, and
read back each materialized asset's metadata by its key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagster import (
    AssetsDefinition,
    DagsterInstance,
    ExecuteInProcessResult,
    instance_for_test,
    materialize,
)


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


def metadata_values(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Each materialized asset's metadata values (plain numbers and text), by asset key."""
    return {
        k: {f: getattr(v, "value", v) for f, v in m.items()} for k, m in metadata_by_asset(result).items()
    }


def run_named(
    resources: dict[str, Any],
    names: Iterable[str],
    assets: list[AssetsDefinition],
    partition: str | None,
    *,
    ok: bool = True,
    instance: DagsterInstance | None = None,
) -> ExecuteInProcessResult:
    """Materialize the ``names`` among ``assets`` for ``partition`` (in ``instance``, else a throwaway
    one) and assert the run succeeded (naming the failures), or failed when ``ok`` is False. A name no
    asset has fails the test: a run of fewer assets than asked would prove less than it says."""
    if instance is None:
        with instance_for_test() as throwaway:
            return run_named(resources, names, assets, partition, ok=ok, instance=throwaway)
    names = tuple(names)
    chosen = named(names, assets)
    missing = set(names) - {a.key.to_user_string() for a in chosen}
    assert not missing, f"no such asset (yet): {sorted(missing)}"
    result = materialize(
        chosen, resources=resources, instance=instance, partition_key=partition, raise_on_error=False
    )
    assert result.success is ok, [e.message for e in result.all_events if e.is_failure]
    return result
