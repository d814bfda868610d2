"""What ``ml-connector ping`` proves about JD Edwards beyond a login: the server answers, the optional
tables are readable, dates in query conditions are understood, and which variant of the batch voucher
processor the site runs.

Its own module because each check is a small, separate question asked of a logged-in session, with its
answer worded for an operator; ``JdeAisResource.ping`` (``resource``) strings them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from connector_resources.http import ApiError, HttpClient
from connector_resources.http.errors import response_json
from connector_resources.jde.errors import JdeError
from connector_resources.jde.optional_tables import enabled as optional_enabled
from connector_resources.jde.optional_tables import probe as optional_probe
from connector_resources.jde.query import Condition

if TYPE_CHECKING:
    from connector_resources.jde.session import JdeSession

SERVER_INFO_PATH = "defaultconfig"
VOUCHER_PROCESSOR = "R04110ZA"


def purge_option(options: Any) -> str | None:
    """The value of the first processing option whose name speaks of purging ("purge processed
    transactions" is R04110ZA's), anywhere in a poservice answer; None when there is none. The option's
    member name is not in Oracle's public material, hence the search by word."""
    if isinstance(options, Mapping):
        for key, value in options.items():
            if "purge" in str(key).lower():
                inner = value.get("value") if isinstance(value, Mapping) else value
                if isinstance(inner, str | int):
                    return str(inner).strip()
            found = purge_option(value)
            if found is not None:
                return found
    elif isinstance(options, list):
        for item in options:
            if isinstance(item, Mapping) and "purge" in str(item.get("name") or "").lower():
                return str(item.get("value") or "").strip()
            found = purge_option(item)
            if found is not None:
                return found
    return None


def batch_purge_variant(session: JdeSession, version: str) -> str:
    """Which of the A/P guide's two variants the site's R04110ZA version runs, in the ping's words: it purges
    processed F0411Z1/F0911Z1 rows (processing option 1) or flags and keeps them (blank; R0411Z1P may
    purge them later). Never a problem: payments find their vouchers in F0411 either way."""
    what = f"{VOUCHER_PROCESSOR} {version}"
    try:
        options = session.processing_options(VOUCHER_PROCESSOR, version)
    except JdeError as exc:
        return f"batch rows: {what} processing options not readable ({exc}); payments find vouchers in F0411"
    value = purge_option(options)
    if value is None:
        return f"batch rows: {what} names no purge option; payments find vouchers in F0411"
    if value == "1":
        return f"batch rows: {what} purges processed transactions (F0411Z1/F0911Z1 rows deleted)"
    return f"batch rows: {what} keeps processed transactions (EDSP 1, until R0411Z1P purges them)"


def optional_tables_note(session: JdeSession, reads: Mapping[str, Sequence[str]], problems: list[str]) -> str:
    """One one-row read of each optional table (F0116, F0115, F01151): which ones this user can read, in
    the ping's words. One a flow reads (its setting on) that is refused is a problem naming the setting
    to turn off; one switched off is only reported (the flows do without it)."""
    said = []
    for spec, refused in optional_probe(session):
        if refused is None:
            state = "on" if optional_enabled(spec.table) else f"{spec.setting}=off"
            said.append(f"{spec.table} readable ({state})")
        elif spec.table in reads and optional_enabled(spec.table):
            problems.append(
                f"{spec.table} not readable ({refused}): needed by {', '.join(reads[spec.table])}; "
                f"{spec.advice()}"
            )
            said.append(f"{spec.table} NOT readable")
        elif optional_enabled(spec.table):
            said.append(f"{spec.table} NOT readable: set {spec.setting}=off (no enabled flow reads it now)")
        else:
            said.append(f"{spec.table} NOT readable ({spec.setting}=off: sent without {spec.without})")
    return ", ".join(said)


def date_conditions_understood(session: JdeSession) -> str:
    """Ask for one F0101 row again by its own AN8 and UPMJ: every incremental read filters on UPMJ, and
    the date format a server expects in conditions is unconfirmed (reference §2.5). A format it reads
    differently returns nothing instead of failing, so only a round trip proves it."""
    pattern = session.query_date_pattern
    probe = session.sample("F0101", columns=["F0101.AN8", "F0101.UPMJ"])
    if not probe or not isinstance(probe.get("UPMJ"), date):
        return f"date conditions ({pattern}) not checked: no dated F0101 row"
    conditions = [
        Condition("F0101.AN8", "EQUAL", probe["AN8"]),
        Condition("F0101.UPMJ", "EQUAL", probe["UPMJ"]),
    ]
    rows = session.browse("F0101", columns=["AN8"], conditions=conditions, page_size=1)
    try:
        found = next(rows, None)
    except JdeError as exc:
        found, why = None, f"refused ({exc})"
    else:
        why = "found nothing"
    finally:
        rows.close()
    if found is None:
        raise JdeError(
            f"a query for F0101 address {probe['AN8']} updated {probe['UPMJ'].isoformat()}, with the date "
            f"written as {pattern}, {why}: the server reads dates in conditions another way; set "
            "ML_JDE_QUERY_DATE_FORMAT (e.g. yyyyMMdd or CYYDDD)"
        )
    return f"date conditions in {pattern} understood"


def reachability(http: HttpClient) -> str:
    """``GET /defaultconfig`` (no auth): any HTTP answer proves the server is there."""
    try:
        response = http.get(SERVER_INFO_PATH, authenticate=False, expected=range(100, 600), timeout=(5, 30))
    except ApiError as exc:
        raise JdeError(f"JD Edwards AIS is not reachable: {exc}") from None
    detail = f"AIS reachable (defaultconfig HTTP {response.status_code}"
    payload = response_json(response)
    if response.status_code == 200 and isinstance(payload, Mapping):
        # Oracle's DefaultConfig names the release aisVersion ("Get Configuration"); older names tolerated.
        for key in ("aisVersion", "toolsRelease", "jasRelease", "release", "version"):
            if isinstance(payload.get(key), str | int) and str(payload[key]).strip():
                detail += f", {key} {str(payload[key]).strip()[:40]}"
                break
    return detail + ")"
