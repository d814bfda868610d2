"""A refusal or a hold as data: its kind (from one catalog), its parameters, and the sentence a person reads.

Why: the desk, the fit report, the alerts, ``replay --dry-run`` and the day's written check group open
records by what is wrong and say what to do. When the kind was read back from the sentence, a closed-period
hold naming its supplier made a kind per supplier, and the fit report could not say whether a hold clears by
itself. Now the code that refuses or holds a record says which kind it is and with which values (record,
field, value, table, what it waits for); the sentence stays for the person, and nothing reads the sentence
back.

Every kind says who acts on it (``attention``):

- ``flows``: the record waits on something the flows do by themselves (another record's sync, a period
  opening, the declared close window, a throttle or an outage ending, another run's write);
- ``person``: it needs someone (a mapping row, a master record in the target, a fix in the source, a
  refusal of the target, a setting, a match by hand).

A wait that outlives what it waits for becomes a person's (``wait_outlived``). Whether an open record needs a
person, with the fallbacks (no kind, a kind the catalog lacks, a record held on a person's record), is
decided once, for every surface, in ``needs_person``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FLOWS = "flows"  # clears by itself: the flows do what it waits for
PERSON = "person"  # needs a person: the one action in ``Kind.action``

# A parameter's value: text, or a list of texts (an order with two unmapped lines names both values).
Param = str | list[str]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of refusal or hold: its code, who acts, and what it means and what to do, in words.

    ``group_by``: the parameters that split the kind into the groups a person fixes at once (a missing
    mapping row per table, a target's refusal per error code); ``params`` the parameters every refusal of
    the kind carries. ``clears``: said of a waiting kind, when it is expected to clear. ``timed``: whether
    the replay sweep tries it again on its timer (backing off); a kind whose cause is the source record
    itself is not: its record is mapped again when it changes, or when a person replays it."""

    code: str
    attention: str
    title: str
    meaning: str
    action: str
    group_by: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    clears: str = ""
    timed: bool = True


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.code: kind for kind in kinds}


KINDS: dict[str, Kind] = _kinds(
    # -- waits the flows end by themselves -------------------------------------------------------------
    Kind(
        "waits_for_record",
        FLOWS,
        "Waits for another record to sync",
        "The record names another record of the integration (an order its supplier, a payment its bill) "
        "that has not reached the target yet.",
        "Nothing: it is released and written by the replay after that record syncs. If that record is "
        "itself refused, fix that one.",
        group_by=("waits_for_entity",),
        params=("waits_for",),
        clears="when the record it waits for syncs (its flow's next run), then the next replay",
    ),
    Kind(
        "being_written",
        FLOWS,
        "Being written by another run",
        "Another run holds the record's lease and is writing it now; this run did not send it, to avoid a "
        "duplicate.",
        "Nothing: released when that write ends (or its lease lapses).",
        params=("owner",),
        clears="when the other run's write ends, at the latest when its lease expires",
    ),
    Kind(
        "period_closed",
        FLOWS,
        "Dated in a closed accounting period",
        "A money record dated in a period the ERP does not post into. It is held on the calendar, not sent.",
        "Nothing if the period is opened as planned; otherwise re-date it in the source, have the "
        "accountants reopen the period, or set the integration's G/L date policy to first_open_day.",
        group_by=("system",),
        params=("system", "ledger", "day"),
        clears="when its period opens, or the G/L date policy re-dates it (the next replay sweep)",
    ),
    Kind(
        "close_window",
        FLOWS,
        "Held during the month-end close window",
        "The integration's declared close window holds money records until it ends.",
        "Nothing: released when the window ends.",
        params=("until",),
        clears="when the close window ends",
    ),
    Kind(
        "target_processing",
        FLOWS,
        "Waits for the target's own processing",
        "The target accepted part of the work and must finish it (JDE's batch processor) before this "
        "record can go on.",
        "Nothing: released when the target has processed it.",
        group_by=("system",),
        params=("system", "waits_for"),
        clears="when the target's processing has run (the next replay sweep)",
    ),
    Kind(
        "rate_limited",
        FLOWS,
        "The target's call limit",
        "The target refused calls until its limit lifts; the record was not sent.",
        "Nothing: retried after the limit lifts.",
        group_by=("system",),
        params=("system", "until"),
        clears="at its next attempt, after the limit lifts",
    ),
    Kind(
        "target_unavailable",
        FLOWS,
        "The target did not answer",
        "The target was down, timed out or answered with a server error; whether it wrote is checked by "
        "natural key before any retry.",
        "Nothing while it is short; if it lasts, check the target's status (`ml-connector ping`).",
        group_by=("system",),
        params=("system", "status"),
        clears="at its next attempt (backing off)",
    ),
    # -- needs a person --------------------------------------------------------------------------------
    Kind(
        "mapping_missing",
        PERSON,
        "A mapping table has no row for a value",
        "The record names a value (payment terms, an account, a cost code ...) that its mapping table does "
        "not map.",
        "Add the row to the table (the desk's mapping page, or `ml-connector mappings import`), then replay "
        "the records it unblocks.",
        group_by=("table",),
        params=("table", "what", "value"),
    ),
    Kind(
        "master_missing",
        PERSON,
        "A master record is missing in the target",
        "The record names a master record (a supplier, an account, a pay site, an account code) that "
        "the system it belongs to does not have, or has inactive; it is not sent.",
        "Create it, or make it active, in the system the sentence names (or map the value to one that "
        "exists); the record is written by itself at the next replay sweep once the connector reads it "
        "there.",
        group_by=("system", "what"),
        params=("system", "what", "value"),
    ),
    Kind(
        "source_invalid",
        PERSON,
        "The source record is incomplete or invalid",
        "A field the target needs is missing or holds a value that cannot be written as it is.",
        "Correct the field in the source system: the record is read and written again when it changes "
        "there (no timer retries it); or replay it once corrected.",
        group_by=("field",),
        params=("field", "value"),
        timed=False,
    ),
    Kind(
        "target_refused",
        PERSON,
        "The target refused the record",
        "The target answered that it will not take the record as it is (its error code says why).",
        "Read the target's words, fix the cause (the record, its mapping or the target's set-up), then "
        "replay it, or abandon it with a note.",
        group_by=("system", "code"),
        params=("system", "code"),
    ),
    Kind(
        "conflict",
        PERSON,
        "The target holds something else",
        "The target already holds a different record under this one's key, or changed it since it was "
        "written (a voucher changed, an amount that differs).",
        "Decide which side is right: correct one side, or match the two by hand.",
        group_by=("system",),
        params=("system",),
    ),
    Kind(
        "ambiguous",
        PERSON,
        "More than one target record matches",
        "Several target records match the record's natural key, so the flow cannot tell which it is.",
        "Match it by hand to the right one (the desk's Match page).",
        group_by=("system",),
        params=("system", "candidates"),
    ),
    Kind(
        "configuration",
        PERSON,
        "Credentials, permissions or settings",
        "The target refused the flow's own access or a setting is missing or wrong; every record meets the "
        "same until it is fixed.",
        "Fix the setting or the API user's permissions named in the sentence, then replay.",
        group_by=("system",),
        params=("system", "setting"),
    ),
    Kind(
        "refused",
        PERSON,
        "Refused by the flow's rules",
        "The flow's own rules refuse the record as it is (the sentence says which rule).",
        # Each rule says its own action (``refusal_rules.RULES``); this one is for a rule the catalog does
        # not have: an error the code did not classify.
        "Read the sentence: it says what the flow could not take. Correct that in the source system (the "
        "record is mapped again when it changes there), replay it once the cause is gone, or abandon it "
        "with a note.",
        group_by=("rule",),
        params=("rule",),
        timed=False,
    ),
)

GROUP_SEPARATOR = " · "  # between a kind's code and its group values in ``Refusal.group``


class UnknownKind(ValueError):
    """A refusal of a kind the catalog does not have: a programming error, named at once."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """One record's refusal or hold: the kind, its parameters and the sentence a person reads."""

    kind: str
    sentence: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UnknownKind(f"refusal kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def info(self) -> Kind:
        return KINDS[self.kind]

    @property
    def attention(self) -> str:
        return self.info.attention

    @property
    def group(self) -> str:
        """What the desk, the fit report and the alerts group by: the kind's code and the values of its
        ``group_by`` parameters (``mapping_missing · jde_coupa/payment_terms``); the same for every record
        a person fixes at once, whatever record the sentence names."""
        return group_of(self.kind, self.params)


def group_of(kind: str, params: Mapping[str, Any] | None) -> str:
    """``Refusal.group`` for a kind and its parameters (as the ledger stores them)."""
    info = KINDS.get(kind)
    values = [_shown((params or {}).get(name, "")) for name in (info.group_by if info else ())]
    values = [value for value in values if value]
    return GROUP_SEPARATOR.join([kind, *values])


def code_of(group: str) -> str:
    """The kind's code of a stored group (``Refusal.group``)."""
    return group.split(GROUP_SEPARATOR, 1)[0]


def kind_of_group(group: str) -> Kind | None:
    """The catalog's kind of a stored group (``Refusal.group``), or None for a group no kind has."""
    return KINDS.get(code_of(group))


def group_title(group: str) -> str:
    """A group as a person reads it: the kind's title, then its values (``A mapping table has no row for a
    value: jde_coupa/payment_terms``)."""
    info = kind_of_group(group)
    if info is None:
        return group
    values = group.split(GROUP_SEPARATOR)[1:]
    return f"{info.title}: {', '.join(values)}" if values else info.title


def _shown(value: Any) -> str:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(v) for v in value)
    return str(value or "")


# -- the kinds most code needs, built with their parameters named -----------------------------------------


def waits_for_record(sentence: str, depends_on: str) -> Refusal:
    """Held until ``depends_on`` (``integration:entity:system:key``) syncs."""
    parts = depends_on.split(":")
    entity = parts[1] if len(parts) > 1 else ""
    return Refusal("waits_for_record", sentence, {"waits_for": depends_on, "waits_for_entity": entity})


def mapping_missing(sentence: str, *, table: str, what: str, value: Param) -> Refusal:
    """A mapping table (its asset or setting name) has no row for ``value`` (one value or several)."""
    return Refusal("mapping_missing", sentence, {"table": table, "what": what, "value": value})


def master_missing(sentence: str, *, system: str, what: str, value: str) -> Refusal:
    """``system`` has no ``what`` ``value`` (a JDE supplier, a Fusion pay site)."""
    return Refusal("master_missing", sentence, {"system": system, "what": what, "value": value})


def source_invalid(sentence: str, *, field: str, value: Any = "") -> Refusal:
    """The source record's ``field`` is missing (``value`` "") or cannot be written as it is."""
    return Refusal("source_invalid", sentence, {"field": field, "value": "" if value is None else str(value)})


def target_refused(sentence: str, *, system: str, code: str = "") -> Refusal:
    """``system`` refused the record (``code``: its error code, or the HTTP status)."""
    return Refusal("target_refused", sentence, {"system": system, "code": code})


def refused(sentence: str, *, rule: str) -> Refusal:
    """The flow's own rule (a short name: "no open lines", "currency differs from vendor's") refuses it."""
    return Refusal("refused", sentence, {"rule": rule})


def unclassified(sentence: str) -> Refusal:
    """The refusal of a record queued without a kind (an item from before kinds were kept, a caller that
    gave none): the flow-rule kind, rule "not classified"."""
    return refused(sentence, rule="not classified")


def period_closed(sentence: str, *, system: str, ledger: str, day: str) -> Refusal:
    """Money dated ``day`` in a period of ``system``'s ``ledger`` (``00001.AP``) that does not post."""
    return Refusal("period_closed", sentence, {"system": system, "ledger": ledger, "day": day})


def close_window(sentence: str, *, until: str) -> Refusal:
    """Held by the integration's declared close window, which ends at ``until`` (ISO, UTC)."""
    return Refusal("close_window", sentence, {"until": until})


def being_written(sentence: str, *, owner: str) -> Refusal:
    """Another run (``owner``) holds the record's lease and is writing it."""
    return Refusal("being_written", sentence, {"owner": owner})


def target_processing(sentence: str, *, system: str, waits_for: str) -> Refusal:
    """``system`` must process ``waits_for`` (a JDE batch) before the record can go on."""
    return Refusal("target_processing", sentence, {"system": system, "waits_for": waits_for})


class Refused(ValueError):
    """Raised where a record cannot be mapped or written, carrying its ``Refusal``: code that catches a
    ``ValueError`` to queue the record keeps the kind (``refusal_of``)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.sentence)
        self.refusal = refusal


def refusal_of(error: BaseException, sentence: str = "", *, system: str = "") -> Refusal:
    """The refusal an exception stands for, worded ``sentence`` (default: the error's own words): its own
    when it carries one (``Refused``, or any error with a ``refusal`` attribute), else judged by its class
    and what it wraps (``error_kinds``): a throttle, an outage, a setting, a target's refusal with its error
    code (JDE's ``59A1``, BILL's ``BDC_1205``) or HTTP status."""
    sentence = sentence or str(error)
    own = getattr(error, "refusal", None)
    if isinstance(own, Refusal):
        return Refusal(own.kind, sentence, own.params)
    from connector_resources.error_kinds import (
        ConfigurationError,
        RateLimitError,
        TransientError,
        error_chain,
        target_code,
    )
    from connector_resources.ledger.records import XrefConflict

    chain = error_chain(error)
    declared = next((k for e in chain if (k := getattr(type(e), "refusal_kind", "")) in KINDS), "")
    if declared:
        return Refusal(declared, sentence, {"system": system})
    if isinstance(error, XrefConflict):  # the ledger's own: a target record already paired otherwise
        return Refusal("conflict", sentence, {"system": system})
    status = next((s for e in chain if isinstance(s := getattr(e, "status", None), int)), None)
    if any(isinstance(e, RateLimitError) for e in chain):
        limit = next(e for e in chain if isinstance(e, RateLimitError))
        until = getattr(limit, "retry_at", None) or getattr(limit, "reset_at", None) or ""
        return Refusal("rate_limited", sentence, {"system": system, "until": str(until)})
    if any(isinstance(e, ConfigurationError) for e in chain):
        return Refusal("configuration", sentence, {"system": system, "setting": ""})
    if isinstance(error, TransientError | OSError) or (
        isinstance(status, int) and (status == 429 or status >= 500)
    ):
        return Refusal("target_unavailable", sentence, {"system": system, "status": str(status or "")})
    code = target_code(error)
    if system and code:
        return target_refused(sentence, system=system, code=code)
    return refused(sentence, rule=type(error).__name__)


def with_refusal(error: BaseException, *, system: str) -> Refusal:
    """``refusal_of(error)`` kept on the error itself (its ``refusal`` attribute, unless it has one), so
    whoever queues it later, knowing only the error, keeps the kind judged where ``system`` was known."""
    refusal = refusal_of(error, system=system)
    if not isinstance(getattr(error, "refusal", None), Refusal):
        with suppress(AttributeError):  # an error class with __slots__: the caller's own judgment stands
            error.refusal = refusal  # type: ignore[attr-defined]
    return refusal


# -- a wait that outlived what it waits for ------------------------------------------------------------


# Why a wait of each kind may not clear by itself, after "waited N h for <what>: ".
_STUCK = {
    "waits_for_record": "it has not synced; if that record is itself refused or held, fix it first (find it "
    "in the queue), and this one follows",
    "being_written": "the other run's write has not ended: see that run; once it ended, replay this record",
    "period_closed": "the period is still closed: re-date the record in the source, have the period "
    "reopened, or set the integration's G/L date policy to first_open_day",
    "close_window": "the close window ended but the record was not released: replay it",
    "target_processing": "the target has not processed it yet: check its processing (JDE's batch jobs), "
    "then replay it",
    "rate_limited": "the target still refuses calls: check its limit, then replay it",
    "target_unavailable": "the target still does not answer: check it (`ml-connector ping`), then replay it",
}


def wait_outlived(
    *,
    attention: str | None,
    status: str,
    created_at: datetime,
    depends_on: str | None,
    synced: bool,
    now: datetime,
    after: timedelta,
    kind: str = "",
    params: Mapping[str, Any] | None = None,
) -> str:
    """Why an open record that waits on the flows needs a person now, or "" when it is where its
    ``attention`` says (a person's item, or a wait still within bounds); rule 3 of ``needs_person``, which
    every surface asks: a held record whose dependency already ``synced`` was not
    released; one that waited longer than ``after`` (``ML_HELD_ALERT_HOURS``) may not clear by itself.
    ``kind`` (the item's code or group) and ``params`` say what it waits for; a close window is timed from
    its end, not from the hold."""
    if attention != FLOWS:
        return ""
    if status == "held" and depends_on and synced:
        return f"{depends_on} has synced, but this record was not released: replay it"
    code = code_of(kind or "") or ("waits_for_record" if status == "held" and depends_on else "")
    params = params or {}
    since = created_at
    if code == "close_window":
        end = _moment(params.get("until"))
        if end is None:
            return ""
        since = end
    waited = now - since
    if waited <= after:
        return ""
    hours = waited.total_seconds() / 3600
    what = str(params.get("waits_for") or depends_on or (KINDS[code].title.lower() if code in KINDS else ""))
    why = _STUCK.get(code, "it did not clear by itself: see the record")
    if code == "close_window":
        return f"the close window ended {hours:.0f} h ago but this record was not released: replay it"
    return f"waited {hours:.0f} h for {what}: {why}"


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
