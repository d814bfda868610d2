"""Fusion natural accounts -> Procurify account codes, so requesters only pick codes Fusion can post: one
record per account table row keyed by its Procurify code (never renamed, never invented in Fusion), written by
``procurify.account_codes``. Fields: docs/integrations/fusion_procurify.md, "Account codes".
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.asset_keys import asset_key
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.record_models import matching, record_model, string
from connector_assets.flows.replays import Replay
from connector_assets.fusion.account_combinations import LOV
from connector_assets.fusion.value_sets import UNREADABLE, value_descriptions
from connector_assets.procurify import account_codes as procurify_codes
from connector_assets.procurify.account_departments import active_places
from connector_assets.procurify.code_checks import staged_records
from connector_resources.refusals import master_missing

from .account_map import normal_code
from .charge_accounts import ChargeAccounts
from .own import Own

ACCOUNT_CODE_ENTITY = "account_code"


def natural_account_titles(session: Any, value_set: str, log: Any = None) -> dict[str, str]:
    """``{value: description}`` of Fusion value set ``value_set`` (``fusion.value_sets``); a pod that
    cannot answer gives no titles (a warning), and the codes get ``Fusion account <value>``."""
    try:
        return value_descriptions(session, value_set)
    except UNREADABLE as exc:
        if log is not None:
            log.warning(
                f"account codes: Fusion value set {value_set} could not be read ({exc}); codes are described "
                "as 'Fusion account <value>'"
            )
        return {}


def describe(natural: str, titles: Mapping[str, str]) -> str:
    return (titles.get(natural) or f"Fusion account {natural}")[: procurify_codes.DESCRIPTION_MAX]


AccountCodeRecord = record_model(
    "AccountCodeRecord",
    "A Procurify account code as sent: the Fusion natural account it stands for, the code (at most 50 "
    "characters), a description of at most 200, whether it is active, and the departments opened.",
    base=procurify_codes.ProcurifyAccountCodeColumns,
    fusion_account=matching(r"^[A-Za-z0-9]{1,25}$"),
    description=string(1, procurify_codes.DESCRIPTION_MAX),
)


def map_table(
    table: Mapping[str, str],
    charges: ChargeAccounts,
    titles: Mapping[str, str],
    departments: list[tuple[int, str]],
    exists: Callable[[str], bool],
    only: set[str] | None = None,
) -> Iterator[Mapped | Rejected]:
    """Every row of the account table -> a Procurify account code (or why not). ``exists`` says whether
    the code exists already (written by this flow, or staged from Procurify); ``only`` restricts to these
    codes (a replay)."""
    for raw, natural in sorted(table.items()):
        code = normal_code(raw)
        if only is not None and code not in only:
            continue
        problem = charges.natural_account_problem(natural)
        if problem and not charges.combinations.has_natural(natural):
            sentence = (
                f"Procurify account code {code} is mapped to Fusion account {natural} in "
                f"{charges.tables.accounts.variable}, "
                f"but no Fusion account combination has natural account {natural} ({LOV}): fix the row "
                "or add the account in Fusion, then replay"
            )
            lacks = master_missing(sentence, system="Fusion", what="natural account", value=natural)
            yield Rejected.of(code, lacks)
            continue
        active = problem is None
        if not active and not exists(code):
            continue
        opened = (
            sorted(i for i, place in departments if charges.charge_account(natural, place)[0] is not None)
            if active
            else []
        )
        yield procurify_codes.account_code_record(
            code, "fusion_account", natural, code, describe(natural, titles), active, opened
        )


class ProcurifyAccountCodes(procurify_codes.ProcurifyAccountCodeTarget):
    """The Procurify side (``ProcurifyAccountCodeTarget``: find by ``code``, create), and its update: the
    code's ``account_type`` kept as Procurify holds it, ``departments`` not sent. ``parent`` is not a field
    of the update (AccountCodeUpdateRequest: ``code``, ``description``, ``account_type``): a PUT leaves it."""

    not_updated = ("departments",)
    kept = ("account_type",)

    @staticmethod
    def code_key(code: Any) -> str:
        return normal_code(code or "")


# -- codes with no Fusion account ------------------------------------------------------------------------


def orphan_codes(
    rows: Iterable[Mapping[str, Any]], charges: ChargeAccounts
) -> list[procurify_codes.OrphanCode]:
    """Procurify's active account codes with no Fusion account behind them: not in the account table, or
    mapped to a natural account no combination has. Reported, never created in Fusion (its chart is the
    master); a code on a closed Fusion account is not an orphan (the flow switches it off)."""

    def reason(code: str) -> str | None:
        natural, variable = charges.accounts.get(code), charges.tables.accounts.variable
        if natural is None:
            return f"Procurify account code {code} has no row in the account map ({variable})"
        problem = charges.natural_account_problem(natural)
        if not (problem and "is in no combination" in problem):
            return None
        return (
            f"Procurify account code {code} maps to Fusion account {natural}, which is in no combination of "
            f"{LOV}"
        )

    return procurify_codes.orphans_of(rows, reason, code_key=normal_code)


def account_codes_flow(own: Own) -> Flow:
    """``own``'s account codes flow, and the asset reporting Procurify's codes with no Fusion account."""

    def _map(context: Any, restage: bool, only: set[str] | None) -> Iterator[Mapped | Rejected]:
        resources = context.resources
        charges = own.charges.load(resources.staging, restage=restage)
        log = getattr(context, "log", None)
        value_set = str(own.it.setting("account_value_set")).strip()
        titles: dict[str, str] = {}
        if value_set:
            with resources.fusion.session() as session:
                titles = natural_account_titles(session, value_set, log)
        departments = active_places(staged_records(resources.staging, own.procurify.departments))
        if not departments and log is not None:
            log.warning(
                "account codes: no active Procurify departments staged "
                f"({own.procurify.departments.to_user_string()}); new codes are not opened for any "
                "department (a Procurify admin opens them)"
            )
        written = procurify_codes.written_codes(resources.ledger.get(), spec)
        known = charges.known_codes or set()  # staged from Procurify
        yield from map_table(
            charges.accounts, charges, titles, departments, lambda code: code in known or written(code), only
        )

    def map_account_codes(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The whole account table (small master data: every run compares all of it; unchanged codes are
        skipped by their content hash at write time)."""
        yield from _map(context, False, None)

    def remap_account_codes(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named codes mapped again with today's tables and the staged combinations (replay)."""
        yield from _map(context, True, {normal_code(k) for k in keys})

    def _orphans(context: AssetExecutionContext) -> list[procurify_codes.OrphanCode]:
        charges = own.charges.load(context.resources.staging)
        with context.resources.procurify.session() as session:
            return orphan_codes(session.iter_all("account_codes"), charges)

    spec = own.back.flow(
        "account_codes",
        ACCOUNT_CODE_ENTITY,  # one record per table row, keyed by its Procurify code (source ``fusion``)
        AccountCodeRecord,
        map_account_codes,
        remap_account_codes,
        ProcurifyAccountCodes,
        reads={"fusion": ("account_combinations", "valueSets")},
    )
    orphans = procurify_codes.orphan_codes_asset(
        key=asset_key(own.name, "account_code_orphans"),
        group=own.name,
        flow=spec,
        description="Active Procurify account codes with no Fusion natural account behind them (no row in "
        "the account map, or an account no combination has), after each account code sync: reported here "
        "(count, sample; the list staged), never created in Fusion.",
        fields=("id", "code", "description", "reason"),
        find=_orphans,
    )
    assets = [
        *own.procurify.code_assets,  # an instance on a Procurify account of its own stages its own codes
        *build_flow_assets(
            spec,
            partitions_def=None,
            upstream=[*own.charges.upstream, own.procurify.departments, own.procurify.codes],
        ),
        orphans,
    ]
    return Flow(spec, assets, replay=Replay(ProcurifyAccountCodes.for_replay, own.resources))
