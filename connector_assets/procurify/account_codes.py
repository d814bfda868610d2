"""Procurify's account codes as a write target, one copy for every flow that writes them (JD Edwards, Oracle
Fusion): one listing per session indexed by code and id, a search by ``code`` that refuses to pick among
duplicates, and a create that forgets the listing when its answer is lost (the code may exist now). Each
flow says how a code is keyed and what an update leaves out, keeps or refuses.

No ``from __future__ import annotations`` here: pandera resolves the model's ``Series[int]`` through this
module's globals (``flows.lazy_model``).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from connector_assets.flows.core import FlowSpec, Mapped
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.targets import SessionTarget
from connector_assets.runtime.staging import Column, StagingResource
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyDuplicateError, ProcurifyOutcomeUnknownError
from connector_resources.refusals import Refused, refused

CODE_MAX = 50  # Procurify account code ``code`` (reference 2.8)
DESCRIPTION_MAX = 200  # Procurify account code ``description`` (reference 2.8)


def code_problem(code: str) -> str | None:
    """Why ``code`` (trimmed, as a mapping table's cell is read) cannot be a Procurify account code: longer
    than Procurify keeps; None when it can be one. Whichever column of a table holds the codes."""
    length = len(str(code).strip())
    if length <= CODE_MAX:
        return None
    return f"a Procurify account code has at most {CODE_MAX} characters ({length} given)"


@lazy_model
def ProcurifyAccountCodeColumns() -> type:
    """What every account code sent to Procurify has: the code (at most 50 characters), whether it is
    active, and how many departments it is opened for. An integration's record subclasses it and adds the
    ERP account it stands for and its description (whose rules differ)."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyAccountCodeColumns(pa.DataFrameModel):
        code: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": CODE_MAX})
        active: Series[bool]
        departments: Series[int] = pa.Field(ge=0)

        class Config:
            strict = True
            coerce = True

    return ProcurifyAccountCodeColumns


def account_code_record(
    source_key: str,
    erp_field: str,
    erp_account: str,
    code: str,
    description: str,
    active: bool,
    departments: list[int],
) -> Mapped:
    """A Procurify account code as every flow sends it (reference 2.8): ``code``, ``description``,
    ``active``, and ``departments`` only when some are opened (none: the key is left out, never sent empty);
    found by ``code``. ``erp_field``/``erp_account`` name the ERP account it stands for in the record's
    fields (each integration's record model names its own column)."""
    body: dict[str, object] = {"code": code, "description": description, "active": active}
    if departments:
        body["departments"] = departments
    return Mapped(
        source_key=source_key,
        body=body,
        fields={
            erp_field: erp_account,
            "code": code,
            "description": description,
            "active": active,
            "departments": len(departments),
        },
        natural_key={"code": code},
    )


class CodeIndex:
    """Procurify's account codes by code (as ``key`` gives it) and by id (one listing, added to as codes
    are written)."""

    def __init__(self, rows: Iterable[dict[str, Any]], key: Callable[[Any], str] = str) -> None:
        self.key = key
        self.by_code: dict[str, list[dict[str, object]]] = {}
        self.by_id: dict[str, dict[str, object]] = {}
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


class CodeChanged(Refused):
    """The table now gives a written account another code; the API would rename the code in place."""

    def __init__(self, sentence: str) -> None:
        super().__init__(refused(sentence, rule="account code renamed"))


# Procurify's spec (``Accountcodes_createAccountCodes`` / ``Accountcodes_updateAccountCode``): a code is
# created with ``departments`` (opened as budget accounts) but no ``active`` (a new code is active); the
# update takes ``code``, ``description``, ``account_type`` (and, in the newer snapshot, ``parent``), neither
# ``active`` nor ``departments``, and no other operation switches a code on or off or opens it for
# departments. An update still carries ``active`` (and, from JDE, ``departments``), tolerated by the
# sandbox, which honours them; a real Procurify ignores them, so the update's answer is read: a code left
# on or off against the ERP is refused for a person (docs/reference/procurify.md §5.7).
NOT_CREATABLE = ("active",)


def creatable(body: Mapping[str, object]) -> dict[str, object]:
    """The create body AccountCodeCreateRequest takes (the record's ``active`` is only ever true here: an
    inactive account is sent only to switch off a code that exists)."""
    return {k: v for k, v in body.items() if k not in NOT_CREATABLE}


def switch_sentence(record: Mapped, target_id: str) -> str:
    """What a person does when Procurify kept the code on (or off) against the ERP account."""
    if record.body.get("active") is False:
        return (
            f"account {record.source_key} is closed, so Procurify account code {record.body['code']} (id "
            f"{target_id}) should take no new spend, but Procurify kept it active (its API has no active "
            "field for a code): switch it off in Procurify by hand"
        )
    return (
        f"account {record.source_key} is open, but Procurify account code {record.body['code']} (id "
        f"{target_id}) stays inactive (its API has no active field for a code): switch it on in Procurify "
        "by hand"
    )


class CodeSwitchOff(Refused):
    """The ERP closed (or opened) the account and Procurify's answer shows its code still on (or off):
    a person switches it in Procurify, and the timed replay clears the item once the answer agrees."""

    def __init__(self, sentence: str) -> None:
        super().__init__(refused(sentence, rule="account code switch the API cannot make"))


class ProcurifyAccountCodeTarget(SessionTarget):
    """The Procurify side: find by ``code`` in one listing per session, create (POST, departments opened
    there and only there), update (PUT). A PUT replaces the code, so a subclass says what an update leaves
    out of the body (``not_updated``),
    which fields of the held code go back as they are (``kept``), and whether a new code for a written
    account is refused (``renamed``). A code Procurify keeps on or off against the ERP is switched by a
    person (``CodeSwitchOff``)."""

    resource = "procurify"
    writes = ("account_codes",)
    not_updated: ClassVar[tuple[str, ...]] = ()
    kept: ClassVar[tuple[str, ...]] = ()

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._index: CodeIndex | None = None

    @staticmethod
    def code_key(code: object) -> str:
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

    def _created(self, body: dict[str, Any]) -> str:
        try:
            created = self.session.create_account_code(body)
        except ProcurifyOutcomeUnknownError:
            with self.lock:
                self._index = None  # the code may exist now: the next search lists again
            raise
        with self.lock:
            self.index.add(created)
        return str(created["id"])

    def renamed(self, record: Mapped, held: Mapping[str, object], target_id: str) -> str | None:
        """Why an update that would rename held code ``target_id`` is refused (None: it is not): Procurify
        renames a code in place, its history with it."""
        return None

    def create(self, record: Mapped) -> str:
        return self._created(creatable(record.body))

    def update(self, target_id: str, record: Mapped) -> None:
        """PUT the code; when the answer shows it on or off against the record (Procurify ignores
        ``active``), refused after the PUT (its own rule, tried again on the timer), naming the code."""
        held = self.index.by_id.get(str(target_id))
        if held is not None and str(held.get("code")) != record.body["code"]:
            refused = self.renamed(record, held, target_id)
            if refused:
                raise CodeChanged(refused)
        body = {k: v for k, v in record.body.items() if k not in self.not_updated}
        for field in self.kept:  # PUT replaces: keep what this flow does not own
            if (held or {}).get(field) is not None:
                body[field] = held[field]  # type: ignore[index]
        updated = self.put(target_id, body)
        wanted = record.body.get("active")
        if isinstance(wanted, bool) and (updated.get("active") is not False) != wanted:
            raise CodeSwitchOff(switch_sentence(record, target_id))

    def put(self, target_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send ``body`` as the code ``target_id`` (PUT), index the answer and give it back: the one call
        every ``update`` ends in, once it has decided what the body keeps."""
        updated = self.session.update_account_code(int(target_id), body)
        with self.lock:
            self.index.add(updated)
        return updated


@dataclass(frozen=True)
class OrphanCode:
    """A Procurify account code that leads to no account in the ERP's chart (the ERP is the master: it is
    reported, never created there); ``reason`` says why, naming the code."""

    id: str
    code: str
    description: str
    active: bool
    reason: str


ORPHAN_SAMPLE = 20  # codes named in the orphans asset's metadata


def written_codes(ledger: Ledger, flow: FlowSpec) -> Callable[[str], bool]:
    """Whether ``flow`` (an account codes flow) already wrote the code of a source key (its cross-reference
    has a target id): an account closed in the ERP is only sent to switch a code off that exists."""

    def written(key: str) -> bool:
        xref = ledger.get_xref(flow.integration, flow.entity, flow.source_system, key, flow.target_system)
        return xref is not None and bool(xref.target_id)

    return written


def orphans_of(
    rows: Iterable[dict[str, Any]],
    reason: Callable[[str], str | None],
    *,
    code_key: Callable[[Any], str] = str,
    include_inactive: bool = False,
) -> list[OrphanCode]:
    """Procurify's account codes (API ``rows``) that ``reason`` says lead to no ERP account (None: they
    do), each with that reason; inactive codes only when asked (they take no new spend)."""
    found = []
    for row in rows:
        active = row.get("active") is not False
        if not active and not include_inactive:
            continue
        code = code_key(row.get("code") or "")
        why = reason(code)
        if why:
            found.append(OrphanCode(str(row.get("id")), code, str(row.get("description") or ""), active, why))
    return found


def staged_orphans(
    staging: StagingResource,
    asset: AssetKey,
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


def orphan_row(orphan: OrphanCode, fields: Sequence[str]) -> dict[str, Any]:
    """The staged row of ``orphan``: its ``fields``, a flag as ``true`` / ``false``."""
    values = {field: getattr(orphan, field) for field in fields}
    return {k: str(v).lower() if isinstance(v, bool) else v for k, v in values.items()}


def orphan_codes_asset(
    *,
    key: AssetKey,
    group: str,
    flow: FlowSpec,
    description: str,
    fields: Sequence[str],
    find: Callable[[AssetExecutionContext], Sequence[OrphanCode]],
) -> AssetsDefinition:
    """The asset ``key`` reporting, after each write of ``flow`` (the account codes flow), Procurify's
    account codes with no counterpart in the ERP (``find``: on the run's ``procurify`` and ``staging``),
    staged whole by ``staged_orphans`` with the ``OrphanCode`` ``fields`` each integration shows: each
    integration says which codes are orphans, not how to report."""
    columns = [Column(field) for field in fields]

    @asset(
        key=key,
        group_name=group,
        kinds={"procurify"},
        deps=[flow.key("written")],
        required_resource_keys={"procurify", "staging"},
        description=description,
    )
    def orphans(context) -> MaterializeResult:  # unannotated: dagster refuses a postponed (string) annotation
        return staged_orphans(
            context.resources.staging, key, columns, find(context), lambda o: orphan_row(o, fields)
        )

    return orphans
