"""The Fusion charge account of a Procurify line, checked against both systems before anything is sent.

A Procurify order item or bill item carries an account code (``account.account_code.code``) and a
department (``account.department``: name and location). Its Fusion charge account is
``<company>-<cost center>-<natural account>-<intercompany>`` (the Fusion sandbox's and the reference's
example ``101-10-60000-000``):

* company and cost center from the department table (``departments.DEPARTMENTS``),
* the natural account from the account table (``account_map.ACCOUNTS``),
* the intercompany segment from ``ML_FUSION_PROCURIFY_INTERCOMPANY``.

``ChargeAccounts.combination`` refuses, in a finance user's words, a line whose charge account would
not post: the code is not an active Procurify account code or the department is not a Procurify
department (where those snapshots are staged: ``procurify_account_codes``, ``procurify_departments``),
either table has no row, or the combination is not in Fusion's ``accountCombinationsLOV`` (staged whole
by the asset ``fusion_procurify_account_combinations``), is disabled, does not allow detail posting or
is not active on the day. The pod would refuse such a line anyway (400 on the invoice or draft order);
refusing first names the table row to fix instead of a pod message.

How a combination is read, staged and judged (which attribute names are confirmed, a flag not sent
allowing, unreadable segments) is Fusion's, on the Fusion side
(``connector_assets.fusion.account_combinations``); this module stages them as its asset, with the four
segment names a setting (``ML_FUSION_PROCURIFY_ACCOUNT_SEGMENTS``; combinations skipped for unreadable
segments are counted in the asset's metadata).
"""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, asset

from connector_assets.automation import NEVER_READ
from connector_assets.flows.mapping_tables import Snapshot, fingerprint
from connector_assets.fusion.account_combinations import (
    DELIMITER,
    LOV,
    Combination,
    stage_combinations,
    staged_combinations,
)
from connector_assets.integrations.fusion_procurify.account_map import (
    ACCOUNT_MAP_ASSET,
    ACCOUNT_MAP_ENV,
    ACCOUNTS,
    normal_code,
)
from connector_assets.integrations.fusion_procurify.departments import (
    DEFAULT,
    DEPARTMENT_MAP_ASSET,
    DEPARTMENT_MAP_ENV,
    DEPARTMENTS,
    SEPARATOR,
    company_cost_center,
    normal_key,
)
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.procurify.account_departments import DepartmentDirectory
from connector_resources import settings

COMBINATIONS_ASSET = "fusion_procurify_account_combinations"
UPSTREAM: list[str] = [ACCOUNT_MAP_ASSET, DEPARTMENT_MAP_ASSET, COMBINATIONS_ASSET]
INTERCOMPANY_ENV = "ML_FUSION_PROCURIFY_INTERCOMPANY"
PROCURIFY_CODES_ASSET = "procurify_account_codes"  # staged whole by saas_assets
PROCURIFY_DEPARTMENTS_ASSET = "procurify_departments"
SEGMENTS_ENV = "ML_FUSION_PROCURIFY_ACCOUNT_SEGMENTS"


def segment_names() -> tuple[str, ...]:
    """The four segment attributes (company, cost center, natural account, intercompany) of
    ``accountCombinationsLOV``, from ``ML_FUSION_PROCURIFY_ACCOUNT_SEGMENTS``: a setting because the
    reference confirms no spelling beyond ``_CODE_COMBINATION_ID`` (§2.9)."""
    return settings.read(SEGMENTS_ENV)


@asset(
    name=COMBINATIONS_ASSET,
    group_name=INTEGRATION,
    automation_condition=NEVER_READ,  # staged once on a new instance, before the flows' first ticks
    kinds={"fusion", "parquet"},
    required_resource_keys={"fusion", "staging"},
    description=(
        "Fusion's account combinations (accountCombinationsLOV), read whole (the resource has no change "
        "stamp): every charge account the Procurify -> Fusion flows build is checked against it "
        "(exists, enabled, detail posting allowed, active on the day)."
    ),
)
def fusion_procurify_account_combinations(context: AssetExecutionContext) -> MaterializeResult:
    with context.resources.fusion.session() as session:
        staged, skipped = stage_combinations(
            context.resources.staging,
            COMBINATIONS_ASSET,
            session.iter_account_combinations(),
            segment_names(),
            segments_setting=SEGMENTS_ENV,
        )
        calls = session.metrics.as_metadata()
    if skipped:
        context.log.warning(
            f"{COMBINATIONS_ASSET}: {skipped} combinations without readable segments "
            f"{', '.join(segment_names())} were not staged (the pod may spell them otherwise: {SEGMENTS_ENV})"
        )
    return MaterializeResult(metadata={"rows": staged, "skipped": skipped, **calls})


combination_assets = [fusion_procurify_account_combinations]


# -- one combination's state -------------------------------------------------------------------------


def staged_records(staging: Any, asset_name: str) -> list[dict[str, Any]] | None:
    """A staged whole-read Procurify snapshot's records, or None when it was never staged."""
    if not staging.exists(asset_name, None):
        return None
    found = []
    for row in staging.read_rows(asset_name, None):
        try:
            record = json.loads(row.get("record") or "{}")
        except ValueError:
            continue
        if isinstance(record, dict):
            found.append(record)
    return found


def intercompany() -> str:
    return settings.value(INTERCOMPANY_ENV).strip()


# -- the charge accounts of Procurify lines ----------------------------------------------------------


class ChargeAccounts:
    """Procurify account code + department -> Fusion charge account, checked against both sides.

    Build one per mapping step with ``load`` (it reads the staged snapshots once), then ask
    ``combination`` per line. ``fingerprint`` names what it read, for a mapped asset's metadata.
    """

    def __init__(
        self,
        accounts: Mapping[str, str],
        departments: Mapping[str, str],
        combinations: Mapping[str, Combination],
        *,
        intercompany_segment: str,
        procurify_codes: Iterable[Mapping[str, Any]] | None = None,
        procurify_departments: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        self.accounts = {normal_code(k): str(v).strip() for k, v in accounts.items()}
        self.departments = {normal_key(k): str(v).strip() for k, v in departments.items()}
        self.combinations = dict(combinations)
        self.intercompany = intercompany_segment
        # None: that Procurify snapshot is not staged, and that side is not checked.
        self.active_codes: set[str] | None = None
        self.known_codes: set[str] | None = None
        if procurify_codes is not None:
            rows = list(procurify_codes)
            self.known_codes = {normal_code(r.get("code") or "") for r in rows}
            self.active_codes = {
                normal_code(r.get("code") or "") for r in rows if r.get("active") is not False
            }
        self.department_names: set[str] | None = None
        self.department_by_id: dict[str, str] = {}
        if procurify_departments is not None:
            directory = DepartmentDirectory(procurify_departments)
            self.department_names = {SEPARATOR.join(place) for place in directory.known}
            self.department_by_id = {i: SEPARATOR.join(place) for i, place in directory.places_by_id.items()}
        self.fingerprint = fingerprint(
            {
                "accounts": fingerprint(self.accounts),
                "departments": fingerprint(self.departments),
                "combinations": fingerprint({k: repr(v) for k, v in self.combinations.items()}),
                "intercompany": self.intercompany,
            }
        )

    @classmethod
    def load(cls, staging: Any, *, restage: bool = False) -> "ChargeAccounts":
        """From the staged tables (``restage=True``, a replay: today's table files staged first), the
        staged Fusion combinations and, where staged, Procurify's account codes and departments."""
        accounts: Snapshot = ACCOUNTS.restage(staging) if restage else ACCOUNTS.snapshot(staging)
        departments: Snapshot = DEPARTMENTS.restage(staging) if restage else DEPARTMENTS.snapshot(staging)
        return cls(
            accounts,
            departments,
            staged_combinations(staging, COMBINATIONS_ASSET),
            intercompany_segment=intercompany(),
            procurify_codes=staged_records(staging, PROCURIFY_CODES_ASSET),
            procurify_departments=staged_records(staging, PROCURIFY_DEPARTMENTS_ASSET),
        )

    def department_of(self, department: str | None) -> str | None:
        """``Location|Department`` for a department given that way, or by its Procurify id (digits)."""
        if department is None or not str(department).strip():
            return None
        text = str(department).strip()
        if text.isdigit() and text in self.department_by_id:
            return self.department_by_id[text]
        return normal_key(text)

    def combination(
        self, account_code: str, department: str | None, *, on: date | None = None
    ) -> tuple[str | None, str | None]:
        """(combination ``101-10-60000-000``, None), or (None, why not in a finance user's words).

        ``department``: ``Location name|Department name`` (``departments.department_key`` of the
        item's department), or the Procurify department id; None charges the ``*`` row. ``on``: the
        day the line is charged (default today, UTC).
        """
        code = normal_code(account_code or "")
        if not code:
            return None, "the line has no Procurify account code"
        if self.active_codes is not None and code not in self.active_codes:
            state = "inactive" if code in (self.known_codes or set()) else "not found"
            return None, f"Procurify account code {code} is {state} in Procurify"
        place = self.department_of(department)
        if place and self.department_names is not None and place not in self.department_names:
            return None, f"Procurify department {place} is not found in Procurify"
        natural = self.accounts.get(code)
        if natural is None:
            return None, f"Procurify account code {code} has no row in the account map ({ACCOUNT_MAP_ENV})"
        text, problem = self.charge_account(natural, place, on=on)
        if problem:
            return None, f"{problem} (Procurify account code {code})"
        return text, None

    def charge_account(
        self, natural: str, place: str | None, *, on: date | None = None
    ) -> tuple[str | None, str | None]:
        """(combination, None) of Fusion natural account ``natural`` for department ``place``
        (``Location|Department`` or None), or (None, why not), without the Procurify side's checks: what
        the account_codes flow asks before opening a code for a department."""
        segments, _key = company_cost_center(place, self.departments)
        if segments is None:
            named = f"Procurify department {place}" if place else "a line without a department"
            return None, (
                f"{named} has no row in the department map ({DEPARTMENT_MAP_ENV}), and there is no "
                f"{DEFAULT} row"
            )
        company, center = segments
        text = DELIMITER.join((company, center, natural, self.intercompany))
        found = self.combinations.get(text)
        if found is None:
            return None, f"Fusion account {text} is not in {LOV}"
        problem = found.problem(on or datetime.now(UTC).date())
        return (None, problem) if problem else (text, None)

    def natural_account_problem(self, natural: str, *, on: date | None = None) -> str | None:
        """Why Fusion natural account ``natural`` takes no postings anywhere (None: at least one staged
        combination with it is enabled, postable and active on the day)."""
        day = on or datetime.now(UTC).date()
        seen = [c for text, c in self.combinations.items() if text.split(DELIMITER)[2:3] == [natural]]
        if not seen:
            return f"Fusion natural account {natural} is in no combination of {LOV}"
        if any(c.problem(day) is None for c in seen):
            return None
        return f"Fusion natural account {natural} has no enabled, postable, active combination in {LOV}"
