"""Two-column CSV mapping tables (``mappings/``): one spec per table, one reader, one asset that stages it.

Every table is a ``MappingTable``: where its file is (a setting, else a sandbox file, or nothing for an
optional table), its two columns, what a valid value looks like in a finance user's words, and which
systems, once pointed at a real instance, refuse the sandbox file. ``build_mapping_table_asset`` turns a
spec into the asset that reads the file, checks every row and stages the pairs as a snapshot (the staging
area's unpartitioned file for the asset), with a fingerprint of its content in the materialization.

Flows never read the CSV: they map with the staged snapshot (``MappingTable.snapshot``), so a table
edited while a run maps cannot change half of a run, and the mapped asset's materialization names the
fingerprint of every snapshot it used (``recording_snapshots``): a run pins the table it mapped with.
A replay maps with today's file (``MappingTable.restage``).
"""

import csv
import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MaterializeResult, asset

from connector_assets.asset_keys import asset_key
from connector_assets.asset_metadata import row_count, staged_schema
from connector_assets.automation import NEVER_READ
from connector_assets.staging import Column
from connector_resources import settings
from connector_resources.replay import shared_value
from connector_resources.settings import system

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT_CHARS = 12  # of the sha256: enough to tell a run's snapshot from the others, short to read


def table_path(variable: str, sandbox_file: str, systems: tuple[str, ...] = ("jde_ais", "coupa")) -> Path:
    """The file ``$variable`` names, else the sandbox table ``mappings/sandbox/<sandbox_file>``.

    The sandbox table only fits the sandboxes' seeded codes: once any of ``systems`` is pointed at another
    instance, an unset ``$variable`` is refused, since codes that happen to overlap would otherwise be
    written with sandbox accounts or terms without anyone noticing.
    """
    configured = settings.given(variable)
    if configured:
        return Path(configured)
    elsewhere = [system(key).title for key in systems if _points_elsewhere(key)]
    if elsewhere:
        raise ValueError(
            f"{variable} is not set, and {' and '.join(elsewhere)} is pointed at another instance; the "
            f"sandbox table mappings/sandbox/{sandbox_file} only fits the sandboxes (see mappings/README.md)"
        )
    return ROOT / "mappings" / "sandbox" / sandbox_file


def _points_elsewhere(key: str) -> bool:
    """Whether the system's address is set (``ML_COUPA_URL`` ...): tuning settings such as an overlap or a
    cadence say nothing about which instance is used."""
    return any(s.is_url and settings.given(s.env) for s in system(key).settings)


def load_pairs(
    path: Path,
    key: str,
    value: str,
    check: Callable[[str], str | None] | None = None,
    clean: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """``{row[key]: clean(row[value])}``; a missing column, an empty cell, a key given twice or a value
    ``check`` refuses is an error naming the file and the line, since a finance user fixes it there.

    ``utf-8-sig``: a table saved from Excel starts with a byte-order mark that would hide the first column.
    """
    mapping: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (key, value) if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)} (expected {key},{value})")
        for number, row in enumerate(reader, start=2):
            left, right = (row.get(key) or "").strip(), (row.get(value) or "").strip()
            if not left or not right:
                raise ValueError(f"{path.name} line {number}: {key} and {value} are required")
            if left in mapping:
                raise ValueError(f"{path.name} line {number}: {key} {left} is mapped twice")
            problem = check(right) if check else None
            if problem:
                raise ValueError(f"{path.name} line {number}: {key} {left} -> {value} {right}: {problem}")
            mapping[left] = clean(right) if clean else right
    return mapping


def fingerprint(pairs: Mapping[str, str]) -> str:
    """A short sha256 of the pairs (order-free): the same table content always gives the same print."""
    text = "\n".join(f"{k}\t{v}" for k, v in sorted(pairs.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


class Snapshot(dict[str, str]):
    """A staged table's pairs, with the fingerprint that names this content in materializations."""

    def __init__(self, pairs: Mapping[str, str]) -> None:
        super().__init__(pairs)
        self.fingerprint = fingerprint(pairs)


# The snapshots a mapping step read, by table asset: set by ``recording_snapshots`` around a mapping.
_used: ContextVar[dict[str, set[str]] | None] = ContextVar("mapping_snapshots_used", default=None)


@contextmanager
def recording_snapshots() -> Iterator[dict[str, set[str]]]:
    """Collect ``{table asset: {fingerprint}}`` of every snapshot read inside the block.

    The mapped asset wraps its mapping in it, so its metadata names exactly what the mapping read (a
    generator's code runs in the context of whoever iterates it, so snapshots read lazily count too).
    """
    used: dict[str, set[str]] = {}
    token = _used.set(used)
    try:
        yield used
    finally:
        _used.reset(token)


@dataclass(frozen=True)
class MappingTable:
    """One mapping table: its asset, its file, its columns, and what a valid row is.

    ``sandbox_file`` None makes the table optional: unset, it is empty (the flow has a fallback of its
    own), so there is no sandbox file for ``guarded_by`` to refuse. ``check`` returns what is wrong with a
    value in a finance user's words (or None); ``clean`` normalises a valid value before it is staged.
    """

    asset: AssetKey  # ``[<integration>, <setting's short name>]`` (``asset_keys``)
    variable: str
    key: str
    value: str
    description: str
    sandbox_file: str | None = None
    guarded_by: tuple[str, ...] = ("jde_ais", "coupa")
    check: Callable[[str], str | None] | None = None
    clean: Callable[[str], str] | None = None

    @classmethod
    def from_setting(
        cls,
        variable: str,
        *,
        group: str,
        key: str,
        value: str,
        description: str,
        guarded_by: tuple[str, ...],
        check: Callable[[str], str | None] | None = None,
        clean: Callable[[str], str] | None = None,
        **extra: Any,
    ) -> Any:
        """The table as its setting declares it in ``settings.py``: the asset is the setting's short name in
        ``group`` (``ML_JDE_COUPA_ACCOUNT_MAP`` -> ``jde_coupa/account_map``), the sandbox file its default
        (so the two can never disagree); ``extra``: a subclass's own fields."""
        setting = settings.registered(variable)
        if not setting.field.startswith(f"{group}_"):  # an integration's settings are <integration>_<name>
            raise ValueError(f"{variable}: not a setting of {group} ({setting.field})")
        return cls(
            asset=asset_key(group, setting.field.removeprefix(f"{group}_")),
            variable=variable,
            key=key,
            value=value,
            sandbox_file=Path(setting.default).name,
            guarded_by=guarded_by,
            check=check,
            clean=clean,
            description=description,
            **extra,
        )

    def path(self) -> Path | None:
        """The file to read today (the sandbox guard applies), or None for an optional table left unset."""
        if self.sandbox_file is None:
            given = settings.given(self.variable)
            return Path(given) if given else None
        return table_path(self.variable, self.sandbox_file, self.guarded_by)

    def read(self, path: Path | None = None) -> dict[str, str]:
        """The file's pairs, every row checked (``load_pairs``); empty for an optional table left unset."""
        path = path or self.path()
        return {} if path is None else load_pairs(path, self.key, self.value, self.check, self.clean)

    def stage(self, staging: Any, path: Path | None = None) -> tuple[Snapshot, Path | None]:
        """Read today's file (or ``path``) and stage its pairs as the table's snapshot; what was staged, and
        from where."""
        path = path or self.path()
        snapshot = Snapshot(self.read(path))
        writer = staging.writer(self.asset, None, self.columns())
        try:
            for left, right in snapshot.items():
                writer.write({self.key: left, self.value: right})
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return snapshot, path

    def snapshot(self, staging: Any) -> Snapshot:
        """The staged pairs a flow maps with; the file is never read here.

        No snapshot is a Failure naming the asset to materialize, except for an optional table whose
        setting is unset (empty, as its asset would stage). Reading records the fingerprint for the
        mapped asset's metadata (``recording_snapshots``).
        """
        asset = self.asset.to_user_string()
        if not staging.exists(self.asset, None):
            if self.sandbox_file is None and not settings.given(self.variable):
                return self._used(Snapshot({}))
            if self.sandbox_file is None:
                raise Failure(
                    f"${self.variable} names a mapping table but {asset} was never loaded; "
                    f"materialize {asset}, then rerun"
                )
            raise Failure(
                f"the mapping table {asset} was never staged on this instance: materialize "
                f"{asset} (it reads {self.variable} or the sandbox table), then rerun"
            )
        rows = staging.read_rows(self.asset, None)
        return self._used(Snapshot({str(r[self.key]): str(r[self.value]) for r in rows}))

    def restage(self, staging: Any) -> Snapshot:
        """Today's file staged (once per replay), then read back: what a replay maps with."""
        shared_value(("mapping_table", self.asset, id(staging)), lambda: self.stage(staging))
        return self.snapshot(staging)

    def columns(self) -> tuple[Column, Column]:
        return (Column(self.key), Column(self.value))

    def _used(self, snapshot: Snapshot) -> Snapshot:
        used = _used.get()
        if used is not None:
            used.setdefault(self.asset.to_user_string(), set()).add(snapshot.fingerprint)
        return snapshot


def snapshot_metadata(used: Mapping[str, set[str]]) -> dict[str, str]:
    """``{"<table asset> snapshot": fingerprint}`` for a mapped asset's materialization."""
    return {f"{asset} snapshot": ", ".join(sorted(prints)) for asset, prints in sorted(used.items())}


SNAPSHOT_METADATA = ("rows", "file", "fingerprint")  # what every mapping-table materialization carries


def build_mapping_table_asset(table: MappingTable, *, group: str) -> AssetsDefinition:
    """The asset that stages ``table``'s snapshot: rows, file and fingerprint in its materialization.

    A refused row fails the materialization naming the file and line, and the previous snapshot stays
    staged, so flows keep mapping with the last good table rather than half of a bad one.
    """

    @asset(
        key=table.asset,
        group_name=group,
        kinds={"csv"},
        required_resource_keys={"staging"},
        description=table.description,
        automation_condition=NEVER_READ,  # staged once on a new instance; jobs restage it each run
        metadata={"file_setting": table.variable, **staged_schema(table.columns())},
    )
    def _table(context: AssetExecutionContext) -> MaterializeResult:
        snapshot, path = table.stage(context.resources.staging)
        return MaterializeResult(
            metadata={
                "rows": len(snapshot),
                "file": str(path) if path else f"none (${table.variable} unset)",
                "fingerprint": snapshot.fingerprint,
                "values": len(set(snapshot.values())),
                **row_count(len(snapshot)),
            }
        )

    return _table
