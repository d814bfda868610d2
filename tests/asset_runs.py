"""Running assets in a test: pick them by name, materialize them in a throwaway Dagster instance, and
read back each materialized asset's metadata by its key; the assets an integration package defines
(``package_assets``, ``world_assets``) and a test world's runs of them (``DayRuns``).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

from dagster import AssetKey, AssetsDefinition, DagsterInstance, ExecuteInProcessResult, materialize
from instances import instance_for_test


def user_string(name: str | AssetKey) -> str:
    """An asset named as the catalog writes it (``a/b``), or by its key (a production constant)."""
    return name.to_user_string() if isinstance(name, AssetKey) else name


def named(names: Iterable[str | AssetKey], assets: Iterable[AssetsDefinition]) -> list[AssetsDefinition]:
    """The ``assets`` whose key (``a/b``, or the key) is among ``names``, in the order of ``assets``."""
    wanted = {user_string(n) for n in names}
    return [a for a in assets if a.key.to_user_string() in wanted]


class ByAsset(dict):
    """A dict by asset (``a/b``) that also answers to the asset's key (a production constant)."""

    def __getitem__(self, name: str | AssetKey) -> Any:
        return super().__getitem__(user_string(name))

    def __contains__(self, name: object) -> bool:
        return super().__contains__(user_string(name) if isinstance(name, AssetKey) else name)

    def get(self, name: str | AssetKey, default: Any = None) -> Any:
        return super().get(user_string(name), default)


def metadata_by_asset(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Each materialized asset's metadata, by its key (``a/b``, or the key itself)."""
    return ByAsset(
        (e.asset_key.to_user_string(), e.materialization.metadata)
        for e in result.get_asset_materialization_events()
    )


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
    return ByAsset(
        (k, {f: getattr(v, "value", v) for f, v in m.items()}) for k, m in metadata_by_asset(result).items()
    )


def step_failures(result: ExecuteInProcessResult) -> str:
    """What the failed steps of a run said (their errors' messages), as an operator reads them in the run."""
    return " ".join(
        e.step_failure_data.error.message
        for e in result.all_events
        if e.is_step_failure and e.step_failure_data.error
    )


def run_named(
    resources: dict[str, Any],
    names: Iterable[str | AssetKey],
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
    names = tuple(user_string(n) for n in names)
    chosen = named(names, assets)
    missing = set(names) - {a.key.to_user_string() for a in chosen}
    assert not missing, f"no such asset (yet): {sorted(missing)}"
    result = materialize(
        chosen, resources=resources, instance=instance, partition_key=partition, raise_on_error=False
    )
    assert result.success is ok, [e.message for e in result.all_events if e.is_failure]
    return result


def _package_modules(package: str) -> Iterator[ModuleType]:
    """Every module of ``package`` (and its sub-packages) that imports now. A module whose import fails
    for want of a name another helper has not landed yet (or is mid-edit) is skipped with a warning, so a
    test world serves the flows that exist; the flow's own tests import it and fail loudly."""
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, f"{package}.", onerror=lambda _name: None):
        try:
            yield importlib.import_module(info.name)
        except (ImportError, SyntaxError) as exc:
            warnings.warn(f"{info.name} is skipped: {exc}", stacklevel=2)


def package_assets(package: str) -> list[AssetsDefinition]:
    """The assets an integration package's modules define so far: module-level lists named ``*_assets``
    or ``*_tables`` (flows, mapping tables, reconciliation), each once."""
    found: dict[Any, AssetsDefinition] = {}
    for module in _package_modules(package):
        for name, value in vars(module).items():
            if not (name.endswith("_assets") or name.endswith("_tables")) or not isinstance(
                value, list | tuple
            ):
                continue
            for item in value:
                if isinstance(item, AssetsDefinition):
                    found.setdefault(item.key, item)
    return list(found.values())


def world_assets(shared: Iterable[AssetsDefinition], package: str) -> list[AssetsDefinition]:
    """Every asset an integration's test world runs: the ``shared`` ones (JDE tables, SaaS entities)
    then the package's (``package_assets``) whose key is not already among them."""
    shared = list(shared)
    keys = {a.key for a in shared}
    return shared + [a for a in package_assets(package) if a.key not in keys]


class DayRuns:
    """Runs of a test world's assets by name: for a partition (the world's ``day`` unless given) or
    unpartitioned, in the world's ``instance`` when a test sets one (else a throwaway one each), and what
    a run staged. A world sets ``resources`` and ``day`` and says which assets it runs (``world_assets``),
    so how a world runs its assets is written once for every integration's tests."""

    resources: dict[str, Any]
    day: str | None
    instance: DagsterInstance | None = None

    def world_assets(self) -> list[AssetsDefinition]:
        """Every asset the world may run (``named`` picks a run's out of it)."""
        raise NotImplementedError

    def materialize(
        self, *names: str, partition: str | None = None, ok: bool = True
    ) -> ExecuteInProcessResult:
        return run_named(
            self.resources, names, self.world_assets(), partition or self.day, ok=ok, instance=self.instance
        )

    def run(self, *names: str, partition: str | None = None, ok: bool = True) -> dict[str, dict[str, Any]]:
        """The run's metadata values by asset (``partition``, else the world's day)."""
        return metadata_values(self.materialize(*names, partition=partition, ok=ok))

    def run_whole(self, *names: str, ok: bool = True) -> dict[str, dict[str, Any]]:
        """Unpartitioned assets (mapping tables, ``jde/gl_accounts``)."""
        return metadata_values(
            run_named(self.resources, names, self.world_assets(), None, ok=ok, instance=self.instance)
        )

    def mapped_keys(self, asset: str, partition: str | None = None) -> set[str]:
        """The source keys a ``*_mapped`` asset staged for the partition."""
        rows = self.resources["staging"].read_rows(AssetKey.from_user_string(asset), partition or self.day)
        return {json.loads(row["payload"])["source_key"] for row in rows}


def today() -> str:
    """Today in UTC: the partition the sandboxes' activity (stamped now) lands in."""
    return datetime.now(UTC).date().isoformat()


def busy_day() -> str:
    """The sandboxes' mass-update day (21 days before today, many records changed on it); computed when a
    test runs, never at import."""
    return (date.today() - timedelta(days=21)).isoformat()


@dataclass(frozen=True)
class PackageRuns:
    """An integration package's assets in a test world: its own (``integration_assets``), every asset its
    tests run (``shared()`` first: JDE tables, SaaS entities) and a run of some of them by name."""

    package: str
    shared: Callable[[], Iterable[AssetsDefinition]]

    def integration_assets(self) -> list[AssetsDefinition]:
        return package_assets(self.package)

    def all_assets(self) -> list[AssetsDefinition]:
        return world_assets(self.shared(), self.package)

    def run_assets(
        self,
        resources: dict[str, Any],
        names: tuple[str, ...],
        partition: str | None,
        *,
        ok: bool = True,
        instance: DagsterInstance | None = None,
    ) -> ExecuteInProcessResult:
        """``run_named`` over every asset of the world."""
        return run_named(resources, names, self.all_assets(), partition, ok=ok, instance=instance)
