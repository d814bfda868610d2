"""Procurify's account codes as a write target: one listing per session indexed by code and by id, a
search by ``code`` that refuses to pick among duplicates, and a create that forgets the listing when its
answer is lost (the code may exist now). One copy for every flow that writes account codes to Procurify;
each flow says how a code is keyed (``code_key``) and what an update sends (``update``), which differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from connector_assets.flows.core import FlowSpec, Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.staging import Column, StagingResource
from connector_resources.procurify.errors import ProcurifyDuplicateError, ProcurifyOutcomeUnknownError

CODE_MAX = 50  # Procurify account code ``code`` (reference 2.8)


def code_length_problem(given: int) -> str:
    """Why a code of ``given`` characters cannot be a Procurify account code (over ``CODE_MAX``)."""
    return f"a Procurify account code has at most {CODE_MAX} characters ({given} given)"


class CodeIndex:
    """Procurify's account codes by code (as ``key`` gives it) and by id (one listing, added to as codes
    are written)."""

    def __init__(self, rows: Iterable[dict[str, Any]], key: Callable[[Any], str] = str) -> None:
        self.key = key
        self.by_code: dict[str, list[dict[str, Any]]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        for row in rows:
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        key = str(row.get("id"))
        old = self.by_id.pop(key, None)
        if old is not None:
            bucket = self.by_code.get(self.key(old.get("code")), [])
            bucket[:] = [r for r in bucket if str(r.get("id")) != key]
        self.by_id[key] = row
        self.by_code.setdefault(self.key(row.get("code")), []).append(row)


class ProcurifyAccountCodeTarget(SessionTarget):
    """The Procurify side: find by ``code`` in one listing per session, create (POST); a subclass says how
    it updates (PUT replaces the code: what the flow does not own must be sent back as it is)."""

    resource = "procurify"
    writes = ("account_codes",)

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._index: CodeIndex | None = None

    @staticmethod
    def code_key(code: Any) -> str:
        """A listed code as ``find`` looks it up (``record.natural_key["code"]``)."""
        return str(code)

    @property
    def index(self) -> CodeIndex:
        with self.lock:
            if self._index is None:
                self._index = CodeIndex(self.session.iter_all("account_codes"), self.code_key)
            return self._index

    def find(self, record: Mapped) -> str | None:
        code = record.natural_key["code"]
        found = self.index.by_code.get(code, [])
        if len(found) > 1:
            ids = ", ".join(str(r.get("id")) for r in found)
            raise ProcurifyDuplicateError(f"Procurify has {len(found)} account codes {code!r} (ids {ids})")
        return str(found[0]["id"]) if found else None

    def create(self, record: Mapped) -> str:
        try:
            created = self.session.create_account_code(record.body)
        except ProcurifyOutcomeUnknownError:
            with self.lock:
                self._index = None  # the code may exist now: the next search lists again
            raise
        with self.lock:
            self.index.add(created)
        return str(created["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        raise NotImplementedError


ORPHAN_SAMPLE = 20  # codes named in the orphans asset's metadata


def staged_orphans(
    staging: StagingResource,
    asset: str,
    columns: Sequence[Column],
    orphans: Sequence[Any],
    row: Callable[[Any], dict[str, Any]],
) -> MaterializeResult:
    """Stage ``orphans`` (Procurify account codes with no counterpart in the ERP, one ``row`` each) whole as
    ``asset``, and the materialization naming how many and a sample: the report both integrations' orphan
    assets give, never a write to either system."""
    writer = staging.writer(asset, None, columns)
    try:
        for orphan in orphans:
            writer.write(row(orphan))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return MaterializeResult(
        metadata={
            "orphan_codes": len(orphans),
            "sample": ", ".join(o.code for o in orphans[:ORPHAN_SAMPLE]) or "none",
        }
    )


def orphan_codes_asset(
    *,
    name: str,
    group: str,
    flow: FlowSpec,
    description: str,
    columns: Sequence[Column],
    find: Callable[[AssetExecutionContext], Sequence[Any]],
    row: Callable[[Any], dict[str, Any]],
) -> AssetsDefinition:
    """The asset ``name`` reporting, after each write of ``flow`` (the account codes flow), Procurify's
    account codes with no counterpart in the ERP (``find``: on the run's ``procurify`` and ``staging``),
    staged whole by ``staged_orphans``: each integration says which codes are orphans, not how to report."""

    @asset(
        name=name,
        group_name=group,
        kinds={"procurify"},
        deps=[AssetKey(f"{flow.flow}_written")],
        required_resource_keys={"procurify", "staging"},
        description=description,
    )
    def orphans(context) -> MaterializeResult:  # unannotated: dagster refuses a postponed (string) annotation
        return staged_orphans(context.resources.staging, name, columns, find(context), row)

    return orphans
