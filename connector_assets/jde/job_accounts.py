"""JD Edwards job-cost accounts as a mapping table names them (``BU.OBJ[.SUB]``, ``BU`` may be ``{job}``),
checked against the staged F0901: the account exists and is postable, its business unit and the job's
exist (the JDE sandbox has no F0006, so a unit exists when F0901 has an account on it). An account not set
up yet but of JDE's chart is held on, not refused (``jde.missing_master``).
"""

from dataclasses import dataclass, field

from connector_assets.flows.records import Rejected
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.missing_master import ACCOUNT, chart_account_missing
from connector_resources.missing_records import HELD_UNTIL, MissingRecord
from connector_resources.refusals import Refusal, master_missing, refused
from connector_resources.said import Said, said

JOB = "{job}"  # the business unit of a mapped account that stands for the project's job business unit
BUSINESS_UNIT_CHARS = 12  # F0006.MCU
NO_UNIT = "not found in F0901 (no account on it: the business unit does not exist in JDE)"


def business_unit_problem(value: str) -> str | None:
    """What is wrong with a JDE business unit as typed in a table, in a finance user's words."""
    text = value.strip()
    if not text or len(text) > BUSINESS_UNIT_CHARS or not text.isalnum():
        return f"a JDE business unit is 1 to {BUSINESS_UNIT_CHARS} letters or digits"
    return None


def _account_parts(value: str) -> list[str]:
    return [part.strip() for part in value.strip().split(".")]


def job_account_problem(value: str) -> str | None:
    """What is wrong with a JDE account as typed: ``BU.OBJ[.SUB]`` or ``{job}.OBJ[.SUB]``."""
    parts = _account_parts(value)
    shape = f"the JDE account must read BU.OBJ, BU.OBJ.SUB, {JOB}.OBJ or {JOB}.OBJ.SUB"
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        return shape
    unit, rest = parts[0], parts[1:]
    if unit.lower() != JOB and business_unit_problem(unit):
        return f"{shape} (BU: 1 to {BUSINESS_UNIT_CHARS} letters or digits)"
    if not all(part.isalnum() for part in rest if part) or len(parts[1]) > 6 or len(rest[-1]) > 8:
        return f"{shape} (OBJ: up to 6, SUB: up to 8 letters or digits)"
    return None


def clean_job_account(value: str) -> str:
    """``{job}`` as written here, every JDE segment in capitals (F0901 keys are upper case), a blank
    subsidiary dropped (``M30.7120.`` is ``M30.7120``)."""
    parts = _account_parts(value)
    unit = JOB if parts[0].lower() == JOB else parts[0].upper()
    return ".".join([unit, *(part.upper() for part in parts[1:] if part)])


@dataclass(frozen=True)
class JobAccount:
    """Where a cost lands in JDE: the F0901 account (``BU.OBJ[.SUB]``; empty for a project's job alone),
    its business unit (MCU, the cost center) and its company (CO)."""

    account: str
    business_unit: str
    company: str


@dataclass
class AccountWaits:
    """The accounts one ``document`` charges that JDE's chart has not set up yet (``jde.missing_master``):
    what JDE's cached F0901 said of each (``refusals``: phrases keeping the ``master_missing`` kind) and
    the hold on each (``missing``, by account). Empty: the document waits for none."""

    document: str
    missing: dict[str, MissingRecord] = field(default_factory=dict)
    refusals: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.missing)

    def note(self, accounts: GlAccounts, account: str, refusal: str) -> bool:
        """Whether ``account`` (which the cache lacks, ``refusal`` saying so) is one to wait for; if so,
        it is noted."""
        missing = chart_account_missing(accounts, account, self.document, refusal)
        if missing is None:
            return False
        self.missing.setdefault(missing.ident, missing)
        self.refusals.setdefault(missing.ident, Said(missing.refusal, refusal))  # its words, its kind
        return True

    @property
    def depends_on(self) -> str:
        """The key the document is held on: its first account not set up yet (released once JDE has it, a
        replay maps it again and holds it on the next one still missing, if any)."""
        return next(iter(self.missing.values())).depends_on

    def named_with(self, problems: list[str]) -> list[str]:
        """``problems`` and what F0901 said of each account waited for: a document refused for something
        else names those too (all of it is what a person fixes)."""
        return [*problems, *self.refusals.values()]

    def held(self, source_key: str) -> Rejected:
        """The document ``source_key`` held on its first account not set up yet (never counted refused),
        its refusal (``master_missing``) naming every account it waits for."""
        first = next(iter(self.missing.values()))
        if len(self.missing) == 1:
            return Rejected.waiting(source_key, first)
        lacks = Refusal("master_missing", self.reason, {**first.refusal.params, "value": list(self.missing)})
        return Rejected.held_for(source_key, self.depends_on, self.reason, lacks)

    @property
    def reason(self) -> str:
        """Why the document is held, naming every account it waits for (a person sets them all up)."""
        if len(self.missing) == 1:
            return next(iter(self.missing.values())).reason
        named = list(self.missing)
        listed = ", ".join(named[:-1]) + f" and {named[-1]}"
        return (
            f"{self.document}: {'; '.join(self.refusals.values())}. {HELD_UNTIL} accounts {listed} exist in "
            f"{ACCOUNT.master}: {ACCOUNT.todo}. Not sent again until they do (or until the record changes in "
            "the source); then sent once"
        )


class JobAccounts:
    """The staged F0901 as job-cost accounts are checked against it: pure once built (no I/O per line)."""

    def __init__(self, accounts: GlAccounts) -> None:
        self.accounts = accounts
        self.unit_companies: dict[str, str] = {}
        for (unit, _obj, _sub), found in accounts.accounts.items():
            self.unit_companies.setdefault(unit, found.company)

    def job(self, unit: str, where: str) -> JobAccount | str:
        """The job business unit ``where`` maps to, with its company, or why it is not in JDE."""
        company = self.unit_companies.get(unit)
        if company is None:
            sentence = f"{where} maps to job business unit {unit}, {NO_UNIT}"
            return said(master_missing(sentence, system="JDE", what="business unit", value=unit))
        return JobAccount("", unit, company)

    def account(
        self, mapped: str, job: JobAccount, where: str, waits: AccountWaits | None = None
    ) -> JobAccount | str:
        """The postable account ``mapped`` names (``{job}`` standing for ``job``'s unit), or why not. With
        ``waits``, an account JDE's chart has not set up yet is answered as it will be and noted there."""
        account = mapped.replace(JOB, job.business_unit, 1) if mapped.startswith(JOB) else mapped
        unit = account.split(".")[0]
        if unit not in self.unit_companies:
            sentence = f"{where} maps to account {account}, whose business unit {unit} is {NO_UNIT}"
            return said(master_missing(sentence, system="JDE", what="business unit", value=unit))
        found = self.accounts.lookup(account)
        if found is None:
            refusal = f"{where} maps to account {account}, not found in F0901"
            if waits is not None and waits.note(self.accounts, account, refusal):
                return JobAccount(account, unit, self.unit_companies[unit])
            return said(master_missing(refusal, system="JDE", what="account", value=account))
        if found.posting_problem:
            sentence = f"{where} maps to account {account}, which is not postable ({found.posting_problem})"
            return said(refused(sentence, rule="account not postable"))
        return JobAccount(account, unit, found.company)
