"""Two-column mapping tables: one spec per table, kept in the ledger, one asset that stages it for the flows.

The ledger owns a table from its first use; flows map only with the staged snapshot, read once per step.
How a table is imported, checked, versioned and used: mappings/README.md.
"""

import csv
import hashlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DagsterInvariantViolationError,
    Failure,
    MaterializeResult,
    OpExecutionContext,
    asset,
)

from connector_assets.asset_keys import asset_key
from connector_assets.flows import instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.runtime.asset_metadata import row_count, staged_schema
from connector_assets.runtime.automation import NEVER_READ
from connector_assets.runtime.staging import Column, StagingResource
from connector_resources import settings
from connector_resources.ledger import Ledger, shared_ledger
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
    configured = instance.given(variable)
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
    """A staged table's pairs, with the fingerprint that names this content in materializations and the
    ledger's version it holds (None when the ledger does not hold the table)."""

    def __init__(self, pairs: Mapping[str, str], version: int | None = None) -> None:
        super().__init__(pairs)
        self.fingerprint = fingerprint(pairs)
        self.version = version


# The ledger tables are read from while a preview runs (``tables_from``): its scratch copy, so a preview
# never imports a table into the deployment's ledger. Process-wide, as the preview's held writes are.
_tables_ledger: list[Ledger] = []


@contextmanager
def tables_from(ledger: Ledger) -> Iterator[None]:
    """While open, mapping tables are read (and imported on first use) in ``ledger``, not the process's."""
    _tables_ledger.append(ledger)
    try:
        yield
    finally:
        _tables_ledger.remove(ledger)


def _ledger(given: Ledger | None) -> Ledger:
    return given or (_tables_ledger[-1] if _tables_ledger else shared_ledger())


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


# The snapshots already read in a mapping step, by table asset and staging: set by ``read_once_per_step``,
# so a range of days (a backfill is one run) reads each staged table once, not once a day.
_read_once: ContextVar[dict[tuple[Any, int], Snapshot] | None] = ContextVar(
    "mapping_snapshots_read", default=None
)


@contextmanager
def read_once_per_step() -> Iterator[None]:
    """Inside the block each table's staged snapshot is read once and handed out again (the table asset
    stages it before the mapping step of its run, so it is the same for every day the step maps)."""
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


@dataclass(frozen=True)
class MappingTable:
    """One mapping table: its asset, its file, its columns, and what a valid row is.

    ``sandbox_file`` None makes the table optional: unset, it is empty (the flow has a fallback of its
    own), so there is no sandbox file for ``guarded_by`` to refuse. ``check`` returns what is wrong with a
    value in a finance user's words (or None); ``clean`` normalises a valid value before it is staged;
    ``master`` checks rows against the systems' master data before an operator's change is saved.
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
    master: MasterData | None = None

    @property
    def name(self) -> str:
        """The table's name wherever people see it (the ledger, the desk, the CLI): its asset's path."""
        return self.asset.to_user_string()

    @classmethod
    def from_setting(
        cls,
        variable: str,
        *,
        group: str | None = None,
        key: str,
        value: str,
        description: str,
        guarded_by: tuple[str, ...],
        check: Callable[[str], str | None] | None = None,
        clean: Callable[[str], str] | None = None,
        master: MasterData | None = None,
        **extra: object,
    ) -> Any:
        """The table as its setting declares it in ``settings.toml``: the asset is the setting's short name in
        ``group``, by default the integration declaring it (``ML_JDE_COUPA_ACCOUNT_MAP`` ->
        ``jde_coupa/account_map``), the sandbox file its default (so the two can never disagree); ``extra``:
        a subclass's own fields."""
        setting = settings.registered(variable)
        group = group or settings.integration_of(variable) or ""
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
            master=master,
            description=description,
            **extra,
        )

    def path(self) -> Path | None:
        """The file to read today (the sandbox guard applies), or None for an optional table left unset."""
        if self.sandbox_file is None:
            given = instance.given(self.variable)
            return Path(given) if given else None
        return table_path(self.variable, self.sandbox_file, self.guarded_by)

    def read(self, path: Path | None = None) -> dict[str, str]:
        """The file's pairs, every row checked (``load_pairs``); empty for an optional table left unset."""
        path = path or self.path()
        return {} if path is None else load_pairs(path, self.key, self.value, self.check, self.clean)

    def check_rows(self, rows: Mapping[str, str]) -> dict[str, str]:
        """The whole table as it would be saved, checked and cleaned exactly as its file would be (one
        checker for a file, an import and the desk); a problem is a ``ValueError`` naming the key."""
        with tempfile.TemporaryDirectory(prefix="mapping-") as folder:
            path = Path(folder) / f"{self.name.replace('/', ' ')} as saved.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow((self.key, self.value))
                writer.writerows(sorted(rows.items()))
            return self.read(path)

    def current(self, ledger: Ledger | None = None) -> dict[str, str]:
        """Today's rows, from the ledger. The first use imports the configured file (else the sandbox file)
        once; an optional table left unset is empty until someone saves a row. A table imported from the
        sandbox file is refused once its systems point elsewhere, as the file itself would be."""
        ledger = _ledger(ledger)
        info = ledger.mapping_info(self.name)
        if info is None:
            path = self.path()
            if path is None:
                return {}
            pairs = self.read(path)
            ledger.seed_mapping(self.name, pairs, origin=self._origin(path), content_hash=fingerprint(pairs))
        elif info.origin == self._sandbox_origin() and not instance.given(self.variable):
            self.path()  # the sandbox guard: raises once a guarding system points elsewhere
        rows = ledger.mapping_rows(self.name)
        return dict(rows or {})

    def file_differs(self, ledger: Ledger | None = None) -> str | None:
        """When the configured file no longer holds what the ledger imported from it, what to do (the
        file is not read again: operators' changes since would be lost); None when it matches or is unset."""
        given = instance.given(self.variable)
        info = _ledger(ledger).mapping_info(self.name)
        if not given or info is None or not Path(given).is_file():
            return None
        try:
            same = fingerprint(self.read(Path(given))) == info.content_hash
        except ValueError as problem:
            return f"${self.variable} ({given}) does not load: {problem}"
        if same:
            return None
        return (
            f"${self.variable} ({given}) differs from the table the ledger holds (imported from "
            f"{info.origin}, version {info.version}); the ledger's is used: apply the file with "
            f"ml-connector mappings import {given} --table {self.name}"
        )

    def _origin(self, path: Path) -> str:
        return self._sandbox_origin() if not instance.given(self.variable) else str(path)

    def _sandbox_origin(self) -> str:
        return f"sandbox file mappings/sandbox/{self.sandbox_file}"

    def stage(self, staging: StagingResource, ledger: Ledger | None = None) -> Snapshot:
        """Stage today's rows (``current``) as the table's snapshot; what was staged."""
        ledger = _ledger(ledger)
        rows = self.current(ledger)  # the first use imports the file; the sandbox guard applies
        info, held = ledger.mapping_state(self.name)  # the rows with their version, read together
        snapshot = Snapshot(held, info.version) if info is not None and held is not None else Snapshot(rows)
        read = _read_once.get()
        if read is not None:  # staged afresh: what was read before is no longer the table
            read.pop((self.asset, id(staging)), None)
        writer = staging.writer(self.asset, None, self.columns())
        try:
            for left, right in snapshot.items():
                writer.write({self.key: left, self.value: right})
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return snapshot

    def snapshot(self, staging: StagingResource) -> Snapshot:
        """The staged pairs a flow maps with (the file is never read here), staged again from the ledger when
        its fingerprint differs. No snapshot is a Failure naming the asset, except an optional table whose
        setting is unset (empty). Records its fingerprint and version (``recording_snapshots``) and, in a
        run, the run's use of the version in the ledger."""
        read = _read_once.get()
        if read is not None and (self.asset, id(staging)) in read:
            return self._used(read[(self.asset, id(staging))])
        snapshot = self._current_snapshot(staging)
        if read is not None:
            read[(self.asset, id(staging))] = snapshot
        return self._used(snapshot)

    def _current_snapshot(self, staging: StagingResource) -> Snapshot:
        """The staged snapshot when it holds the ledger's table (with its version), else the ledger's table
        staged afresh; the staged one as it is while the ledger does not hold the table."""
        staged = self._read(staging)
        ledger = _ledger(None)
        info, rows = ledger.mapping_state(self.name)
        if info is None or rows is None:
            return staged
        if fingerprint(rows) == staged.fingerprint:
            return Snapshot(staged, info.version)
        return self.stage(staging, ledger)  # saved since it was staged

    def _read(self, staging: StagingResource) -> Snapshot:
        asset = self.asset.to_user_string()
        if not staging.exists(self.asset, None):
            optional_unset = self.sandbox_file is None and not instance.given(self.variable)
            if optional_unset and _ledger(None).mapping_info(self.name) is None:  # its asset stages nothing
                return Snapshot({})
            raise Failure(
                f"the mapping table {asset} was never staged on this instance: materialize {asset} (it "
                f"stages the ledger's table, imported from {self.variable} on first use), then rerun"
            )
        rows = staging.read_rows(self.asset, None)
        return Snapshot({str(r[self.key]): str(r[self.value]) for r in rows})

    def restage(self, staging: StagingResource, ledger: Ledger | None = None) -> Snapshot:
        """Today's table staged (once per replay), then read back: what a replay maps with."""
        shared_value(("mapping_table", self.asset, id(staging)), lambda: self.stage(staging, ledger))
        return self.snapshot(staging)

    def columns(self) -> tuple[Column, Column]:
        return (Column(self.key), Column(self.value))

    def _used(self, snapshot: Snapshot) -> Snapshot:
        used = _used.get()
        name = self.asset.to_user_string()
        if used is not None:
            used.setdefault(name, set()).add(snapshot.fingerprint)
        if snapshot.version is not None:
            _versions[(name, snapshot.fingerprint)] = snapshot.version
            run_id = _run_id()
            if run_id is not None and (name, snapshot.version, run_id) not in _noted:
                _ledger(None).note_mapping_use(self.name, snapshot.version, run_id)
                _noted.add((name, snapshot.version, run_id))
        return snapshot


# The ledger version of each snapshot content read in this process (table asset, fingerprint), for the
# mapped asset's metadata; and the uses already noted, so a run notes each version it read once.
_versions: dict[tuple[str, str], int] = {}
_noted: set[tuple[str, int, str]] = set()


def _run_id() -> str | None:
    """The id of the Dagster run whose step is reading (None outside a step: a CLI replay, a test)."""
    try:
        return OpExecutionContext.get().run_id
    except DagsterInvariantViolationError:
        return None


def snapshot_metadata(used: Mapping[str, set[str]]) -> dict[str, str]:
    """``{"<table asset> snapshot": fingerprint, "<table asset> version": version}`` for a mapped asset's
    materialization (the version when the ledger holds the table)."""
    metadata = {}
    for asset_name, prints in sorted(used.items()):
        metadata[f"{asset_name} snapshot"] = ", ".join(sorted(prints))
        versions = sorted({_versions[(asset_name, p)] for p in prints if (asset_name, p) in _versions})
        if versions:
            metadata[f"{asset_name} version"] = ", ".join(str(v) for v in versions)
    return metadata


SNAPSHOT_METADATA = ("rows", "version", "imported_from", "fingerprint")  # on every table's materialization


def build_mapping_table_asset(table: MappingTable, *, group: str) -> AssetsDefinition:
    """The asset that stages ``table``'s snapshot: rows, version, where it was imported from and the
    fingerprint in its materialization, and a warning when the configured file no longer matches.

    A refused file (on first use) fails the materialization naming the file and line, and the previous
    snapshot stays staged, so flows keep mapping with the last good table rather than half of a bad one.
    """

    @asset(
        key=table.asset,
        group_name=group,
        kinds={"csv"},
        required_resource_keys={"staging"},  # the ledger as every process resolves it (``shared_ledger``)
        description=table.description,
        automation_condition=NEVER_READ,  # staged once on a new instance; jobs restage it each run
        metadata={"file_setting": table.variable, **staged_schema(table.columns())},
    )
    def _table(context: AssetExecutionContext) -> MaterializeResult:
        ledger = _ledger(None)
        snapshot = table.stage(context.resources.staging, ledger)
        info = ledger.mapping_info(table.name)
        differs = table.file_differs(ledger)
        if differs:
            context.log.warning(differs)
        return MaterializeResult(
            metadata={
                "rows": len(snapshot),
                "version": info.version if info else 0,
                "imported_from": info.origin if info else f"nothing yet (${table.variable} unset)",
                **({"file_differs": differs} if differs else {}),
                "fingerprint": snapshot.fingerprint,
                "values": len(set(snapshot.values())),
                **row_count(len(snapshot)),
            }
        )

    return _table
