"""Settings of the JD Edwards AIS sandbox.

Everything a test or an operator may want to vary is here, so the simulator never needs a code change
to play a differently configured AIS server: users and their date formats, session lifetimes, the HTML
server's result-set timeout and fetch limit, data volume, and the faults to inject. Values that the
reference marks as unconfirmed (row date format, the HTTP status of orchestration business errors) are
settings too, so a client can be tested against every plausible server behaviour.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector_sandbox.faults import FaultKnobs
from connector_sandbox.settings import SimulatorSettings, Standalone, command_line, listen_port

# Contracts live beside the project's other docs: they are written for JDE administrators first and
# the simulator reads the same files, so the two can never drift apart.
DEFAULT_CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "jde_orchestrations"

_SUPPORTED_PATTERN = re.compile(r"^(?:yyyy|yy|MM|M|dd|d|[^A-Za-z])+$")


class SandboxUser(BaseModel):
    """An E1 user the sandbox accepts, with the preferences tokenrequest returns in ``userInfo``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, max_length=10)
    # Sandbox-only credential; repr=False keeps it out of reprs and tracebacks all the same.
    password: str = Field(min_length=1, repr=False)
    simple_date_format: str = "MM/dd/yyyy"
    address_number: int = 61006
    alpha_name: str = "Integration, Service"
    locale: str = "en"

    @field_validator("simple_date_format")
    @classmethod
    def _pattern_is_renderable(cls, value: str) -> str:
        # Only the letters JDE date formats use; anything else would be rendered wrongly, silently.
        if not _SUPPORTED_PATTERN.match(value) or not all(part in value for part in ("M", "d", "y")):
            raise ValueError(
                f"simple_date_format {value!r} must combine yyyy/yy, MM/M, dd/d and separators "
                "(e.g. dd/MM/yyyy)"
            )
        return value


class FaultSettings(FaultKnobs):
    """Knobs that may change while the server runs (``POST /sandbox/faults``).

    Session and result-set lifetimes are here because tests shorten them on a live server to provoke
    444 Invalid Token and JAS_MSG347 without waiting for the real defaults.
    """

    refuse_allowed_hosts: bool = False
    # Security the operator set on this user (reference §2.5 / §2.6 list 403 authorization failure for the
    # data service and the orchestrator; the body of a per-table or per-orchestration refusal is
    # unconfirmed, modelled as the ServiceErrorResponse of a bad login). A refused orchestration is also
    # left out of ``discover``, which lists what the user may call.
    refuse_tables: list[str] = Field(default_factory=list)
    refuse_orchestrations: list[str] = Field(default_factory=list)
    # AIS time-out (idle) and time-to-live (absolute) from rest.ini; real defaults are unconfirmed.
    token_idle_timeout_seconds: float = Field(default=1800.0, gt=0)
    token_ttl_seconds: float = Field(default=14_400.0, gt=0)
    # How a service (data service, orchestrations, logout, next page) answers a dead token: 444 "Invalid
    # Token" or 403 "Token is Invalid". Oracle's AIS REST reference lists both on those services and shows
    # the 403 for tokenrequest/validate; which a given tools release sends is not documented, so both.
    dead_token_status: Literal[403, 444] = 444
    # R04110ZA's processing option "purge processed transactions from the batch file" in the version the
    # site schedules (A/P implementation guide, R04110ZA processing options): True (1) deletes a
    # transaction's F0411Z1 and F0911Z1 rows once it is a voucher, False (blank, Oracle's default) flags
    # them processed (EDSP 1) and keeps them. Sites that keep them usually purge later with R0411Z1P
    # (``POST /sandbox/purge-batches``). Here, not in the settings file's top level, so a test can play
    # both variants on one running server. ``poservice`` answers it for ``r04110za_version``.
    purge_processed_batches: bool = False
    # R09110Z's processing option "purge processed transactions" (G/L implementation guide, journal entry
    # batch upload): True deletes a journal entry's F0911Z1 rows once it is in F0911; False (blank) flags
    # them processed and keeps them.
    purge_processed_journals: bool = False
    r04110za_version: str = Field(default="ZJDE0001", min_length=1, max_length=10)
    # jdbj.ini resultSetTimeout, documented default 60 s.
    result_set_timeout_seconds: float = Field(default=60.0, gt=0)
    # The catalog's 59xx codes are error items each JDE administrator creates: one may have numbered them
    # otherwise. A code here is answered under another (``{"59AB": "4014"}``: a duplicate payment reference
    # as 4014), title and texts unchanged, so a client is tested against a JDE that does not use our codes.
    error_codes: dict[str, str] = Field(default_factory=dict)


class PeriodSettings(BaseModel):
    """Accounting periods and the G/L date edits (reference section 5), as a company's JDE is set up.

    Each company's current periods live in F0010 and move with the operator routes
    (``/sandbox/periods``); these settings say how the edits behave and where the periods start.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The PYEB / PBCO / PACO / WACO edits in the voucher, journal and payment orchestrations and in
    # R04110ZA. Off, every G/L date is accepted (a JDE whose integration user posts anywhere).
    gl_date_edits: bool = True
    # General Accounting Constants "Allow PBCO Postings": a date before the current period is then a
    # warning, not an error.
    allow_pbco: bool = False
    # Which current period A/P (system 04: vouchers, payments) is checked against: the A/P one
    # (F0010 APPN/APFJ, the reference's inference from the names, unconfirmed) or the G/L one (PNC/DFYJ).
    ap_period: Literal["ap", "gl"] = "ap"
    # The period holding this date is current for G/L, A/P and A/R of every company of a new database;
    # None: it starts on the period holding the clock's today. Either way a kept database keeps the
    # periods it has (as rolled since): only ``/sandbox/periods`` moves them after the first start.
    current_period_date: dt.date | None = None
    # The message numbers of the edits are unconfirmed: by default each is answered under its
    # mnemonic; ``{"PBCO": "0013"}`` answers PBCO under another code, title and text unchanged.
    message_codes: dict[str, str] = Field(default_factory=dict)


DEFAULT_USERS: tuple[SandboxUser, ...] = (
    SandboxUser(username="INTEGR8", password="integr8-sandbox"),
    SandboxUser(
        username="EUROINT",
        password="euroint-sandbox",
        simple_date_format="dd/MM/yyyy",
        address_number=61007,
        alpha_name="Integration, Europe",
        locale="de",
    ),
)


class JdeSandboxSettings(SimulatorSettings):
    """Complete configuration of one sandbox instance."""

    port: int = listen_port(8711)
    users: tuple[SandboxUser, ...] = DEFAULT_USERS
    environment: str = "JPS920"
    role: str = "*ALL"
    jas_server: str = "http://127.0.0.1:8711/jas"
    machine_name: str = "jdeais-sbx"
    # defaultconfig's aisVersion (the AIS Server's release level, Oracle's "Get Configuration").
    ais_version: str = "9.2.8.3"
    # Server Manager "AIS Security Settings": which login types are allowed.
    allow_basic_auth: bool = True
    allow_password_login: bool = True
    # Unconfirmed cap on concurrent JAS sessions; exceeding it answers 500 (quirk 5 of the reference).
    max_sessions: int = Field(default=200, ge=1)

    default_page_size: int = Field(default=100, ge=1)
    # jas.ini "DB Fetch Limit": caps "No Max" and any larger maxPageSize.
    db_fetch_limit: int = Field(default=2000, ge=1)
    max_open_result_sets: int = Field(default=64, ge=1)
    # None renders dates in each user's simpleDateFormat; a Java pattern (yyyyMMdd, yyyy-MM-dd) forces
    # one format for everybody. The reference cannot say which a real server does.
    row_date_format: str | None = command_line("force one date format in rows, e.g. yyyyMMdd")
    # Strict (default) accepts only the user's date format and the TODAY specials in query conditions;
    # lenient also takes yyyyMMdd, yyyy-MM-dd and raw CYYDDD, as many integrators assume.
    lenient_query_dates: bool = False
    # The JSON spellings of the between / in-list / contains / ends-with operators are unconfirmed
    # (BETWEEN, LIST, STR_CONTAIN, STR_END_WITH are the likely ones, accepted by default); False answers
    # them 400 like an unknown operator, to prove a client gets by with the confirmed ones.
    unconfirmed_operators: bool = True
    # HTTP status for orchestration business errors: documented 500, unconfirmed for business rules.
    orchestration_error_status: int = Field(default=500, ge=200, le=599)
    contracts_dir: Path = DEFAULT_CONTRACTS_DIR

    seed: int = 20250201

    faults: FaultSettings = FaultSettings()
    periods: PeriodSettings = PeriodSettings()

    @field_validator("row_date_format")
    @classmethod
    def _row_pattern(cls, value: str | None) -> str | None:
        if value is not None and not _SUPPORTED_PATTERN.match(value):
            raise ValueError(f"row_date_format {value!r} is not a supported date pattern")
        return value

    @model_validator(mode="after")
    def _unique_users(self) -> JdeSandboxSettings:
        self.require_unique(
            (self.user_key(user.username) for user in self.users),
            "users: every username must be unique (JDE user ids are case-insensitive)",
        )
        return self

    user_key = staticmethod(str.upper)  # E1 user ids are upper case, so a match ignores case.

    # How ``python -m connector_sandbox.jde_ais`` introduces itself (``connector_sandbox.cli``).
    standalone = Standalone(
        "JD Edwards AIS server simulator",
        scale="data volume; 1 = thousands of records, 100 = ~1M PO lines",
        where="AIS at {base}/jderest",
    )
