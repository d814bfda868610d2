"""JDE GL accounts (F0901) -> Procurify account codes keyed by ``BU.OBJ[.SUB]``: those the account table
maps or ``ML_JDE_PROCURIFY_ACCOUNT_SCOPE`` holds, opened for departments (a requisition line may use only a
code open for its department); written by ``procurify.account_codes``, never renamed. Which accounts go and
how: docs/integrations/jde_procurify.md, "The flows" (account codes).
"""

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.asset_keys import asset_key
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.record_models import matching, record_model, string
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.jde.account_codes import (
    AccountMap,
    ChartAccount,
    chart_of,
    normal_account,
    staged_chart,
)
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.procurify.account_codes import (
    DESCRIPTION_MAX,
    OrphanCode,
    ProcurifyAccountCodeColumns,
    ProcurifyAccountCodeTarget,
    account_code_record,
    orphan_codes_asset,
    orphans_of,
    written_codes,
)
from connector_assets.procurify.account_departments import CodeDepartments
from connector_resources.refusals import master_missing, refused

from .account_map import ACCOUNT_CODE_ENTITY
from .departments import placement
from .own import Own


def code_departments(
    resources: Any, chart: Mapping[str, ChartAccount], rule: str, departments: MappingTable
) -> CodeDepartments:
    """Which departments each account's code is opened for (``rule``: company, unit or none, the
    instance's ``account_departments``): through the ``departments`` table (business unit ->
    ``Location|Department``) and Procurify's active departments (one listing, read only when needed)."""
    if rule == "none":
        return CodeDepartments.none()
    table = departments.snapshot(resources.staging)

    def place(unit: str) -> tuple[str, str] | None:
        where = placement(unit, table)
        return (where.location, where.department) if where else None

    with resources.procurify.session() as session:
        return CodeDepartments.load(rule, chart.values(), place, session)


AccountCodeRecord = record_model(
    "AccountCodeRecord",
    "A Procurify account code as sent: the JDE account it stands for, the code (at most 50 characters), a "
    "description of at most 200, and whether it is active.",
    base=ProcurifyAccountCodeColumns,
    jde_account=matching(r"^[^.\s]+\.[^.\s]+(\.[^.\s]+)?$"),
    description=string(max_length=DESCRIPTION_MAX),
)


def map_chart(
    chart: Mapping[str, ChartAccount],
    accounts: AccountMap,
    departments: CodeDepartments,
    written: Callable[[str], bool],
    only: set[str] | None = None,
) -> Iterator[Mapped | Rejected]:
    """Every F0901 account that is mapped or in scope -> a Procurify account code (or why not); ``written``
    says whether this flow already wrote an account (an inactive one is only sent to switch its code off);
    ``only`` restricts to these accounts (a replay)."""
    for account, code in sorted(accounts.forward.items()):
        if (only is None or account in only) and account not in chart:
            said = (
                f"JDE account {account} is mapped to Procurify account code {code} in "
                f"{accounts.table_setting}, but not found in F0901: add the account in JDE or fix the table, "
                "then replay"
            )
            yield Rejected.of(account, master_missing(said, system="JDE", what="account", value=account))
    for account, entry in sorted(chart.items()):
        if only is not None and account not in only:
            continue
        code = accounts.code_for(account)
        if code is None:
            continue
        mapped = account in accounts.forward
        if entry.posting_edit == "N":
            if mapped:
                said = (
                    f"account {account} is not postable in F0901 (posting edit N: a non-posting summary "
                    f"account), so it cannot be Procurify account code {code}: map a postable account to "
                    f"{code} in {accounts.table_setting}, then replay"
                )
                yield Rejected.of(account, refused(said, rule="mapped account not postable"))
            continue
        active = entry.posting_edit != "I"
        if not active and not written(account):
            continue
        opened = departments.for_account(entry) if active else []
        description = (entry.title or entry.account)[:DESCRIPTION_MAX]
        yield account_code_record(account, "jde_account", account, code, description, active, opened)


def account_codes_flow(own: Own) -> Flow:
    """``own``'s account codes flow: its chart through ``own.accounts``, and its orphan codes' asset."""
    it, accounts = own.it, own.accounts

    def _map(context: Any, table: Mapping[str, str], only: set[str] | None) -> Iterator[Mapped | Rejected]:
        resources = context.resources
        rows, _gl = staged_chart(resources.staging)
        chart = chart_of(rows)
        departments = code_departments(resources, chart, it.setting("account_departments"), own.departments)
        written = written_codes(resources.ledger.get(), spec)
        yield from map_chart(chart, own.account_map(table), departments, written, only)
        if departments.unplaced:
            log = getattr(context, "log", None)
            if log is not None:
                log.warning(
                    "account codes: the department table names Procurify departments that are not active "
                    f"there ({', '.join(sorted(departments.unplaced))}); codes are not opened for them"
                )

    def map_account_codes(
        context: AssetExecutionContext, partition: str | None
    ) -> Iterator[Mapped | Rejected]:
        """The whole mapped/scoped chart (F0901 is read whole: every run compares all of it; unchanged
        accounts are skipped by their content hash at write time)."""
        yield from _map(context, accounts.snapshot(context.resources.staging), None)

    def remap_account_codes(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named accounts mapped again with today's account table and the cached F0901 (replay)."""
        yield from _map(
            context, accounts.restage(context.resources.staging), {normal_account(k) for k in keys}
        )

    class ProcurifyAccountCodes(ProcurifyAccountCodeTarget):
        """The Procurify side (``ProcurifyAccountCodeTarget``: find by ``code``, create, PUT the whole code),
        refusing to rename a written code."""

        def renamed(self, record: Mapped, held: Mapping[str, object], target_id: str) -> str | None:
            return (
                f"JDE account {record.source_key} was written as Procurify account code {held.get('code')} "
                f"(id {target_id}); {accounts.variable} now maps it to {record.body['code']}. Procurify "
                "would rename the code in place (its history with it), so it is not changed: rename it in "
                "Procurify or restore the table row, then replay"
            )

    def _orphans(context: AssetExecutionContext) -> list[OrphanCode]:
        staging = context.resources.staging
        _rows, gl = staged_chart(staging)
        with context.resources.procurify.session() as session:
            return orphan_codes(session, own.account_map(accounts.snapshot(staging)), gl)

    spec = own.route.flow(
        "account_codes",
        ACCOUNT_CODE_ENTITY,
        AccountCodeRecord,
        map_account_codes,
        remap_account_codes,
        ProcurifyAccountCodes,
        reads={"procurify": ("departments",)},
    )
    orphans = orphan_codes_asset(
        key=asset_key(it.instance, "account_code_orphans"),
        group=it.instance,
        flow=spec,
        description="Active Procurify account codes with no JDE account (F0901) behind them, after each "
        "account code sync: reported here (count, sample; the list staged) and by the reconciliation, never "
        "created in JDE.",
        fields=("id", "code", "description", "active", "reason"),
        find=_orphans,
    )
    assets = build_flow_assets(
        spec,
        partitions_def=None,
        upstream=[GL_ACCOUNTS.asset, accounts.asset, own.departments.asset],
        # JDE's side is its staged tables (upstream): the steps reach Procurify only, so a run needs no JDE
        # session.
        resource_keys={"procurify"},
    )
    resources = partial(resources_from_settings, ("procurify", "staging"), instance=it.instance)
    return Flow(spec, [*assets, orphans], replay=Replay(ProcurifyAccountCodes.for_replay, resources))


# -- codes with no JDE account ---------------------------------------------------------------------------


def orphan_codes(
    session: Any, accounts: AccountMap, gl: GlAccounts, *, include_inactive: bool = False
) -> list[OrphanCode]:
    """Procurify's account codes with no JDE account: reported (reconciliation, the orphans asset), never
    created in JDE, whose chart is the master. Inactive codes only when asked (they take no new spend).
    A code on a JDE summary or inactive account is not an orphan: the account exists."""

    def reason(code: str) -> str | None:
        _account, problem = accounts.jde_account(code, gl)
        return problem if problem and "not found in F0901" in problem else None

    return orphans_of(session.iter_all("account_codes"), reason, include_inactive=include_inactive)
