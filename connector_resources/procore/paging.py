"""Procore v1 paging and date filters, as small pure functions (reference §2.2).

Paging is ``page`` (1-based) + ``per_page``, with the metadata in headers, not the body: ``Total``,
``Per-Page`` and ``Link`` (``first``/``prev``/``next``/``last``; ``next`` absent on the last page).
What decides "is there another page", in order:

1. a ``Link`` header: its ``next`` (absent = last page). Only the page number is taken from it: the
   request for the next page is rebuilt on our own base URL with our own parameters, so a link that
   names another host (a proxy's idea of itself) never receives the token;
2. no ``Link`` but a ``Total``: more pages while fewer rows than ``Total`` have been read (a
   one-page result may omit ``Link``);
3. neither: the endpoint does not paginate (change orders, budget views): it returned everything.

Date-time ranges are ``filters[updated_at]=<from>...<to>`` (ISO 8601). Whether the end is inclusive
is unconfirmed, and the server may store sub-second stamps, so the client asks for a range one second
wider on each side and keeps exactly ``start <= updated_at < end`` itself: the server's filter only
makes the answer small, never decides what is in the window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)
_FRACTION = re.compile(r"(\.\d+)")


def parse_link_header(value: str | None) -> dict[str, str]:
    """``{"next": url, "last": url, ...}`` from an RFC 8288 ``Link`` header (relations lower-cased)."""
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK.finditer(value):
        url, params = match.group(1).strip(), match.group(2)
        rel = _REL.search(params or "")
        if not rel:
            continue
        for name in (rel.group(1) or rel.group(2) or "").split():
            links.setdefault(name.lower(), url)
    return links


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    """An integer header (``Total``, ``Per-Page``), None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def page_from_link(url: str) -> int | None:
    """The ``page`` query parameter of a Link URL, if it has a usable one."""
    try:
        values = parse_qs(urlsplit(url).query).get("page")
    except ValueError:
        return None
    if not values:
        return None
    try:
        page = int(values[0])
    except ValueError:
        return None
    return page if page >= 1 else None


def next_page(headers: Mapping[str, str], *, page: int, rows_on_page: int, rows_so_far: int) -> int | None:
    """The page to ask for after ``page``, or None when it was the last (rules in the module doc).

    An empty page always ends the read, and the answer is always greater than ``page``: a server
    whose ``next`` points backwards cannot send the reader round in a loop.
    """
    if rows_on_page == 0:
        return None
    link = headers.get("Link")
    if link:
        links = parse_link_header(link)
        if "next" not in links:
            return None
        wanted = page_from_link(links["next"])
        return wanted if wanted is not None and wanted > page else page + 1
    total = header_int(headers, "Total")
    if total is not None and rows_so_far < total:
        return page + 1
    return None


# -- time --------------------------------------------------------------------------------------------


def parse_timestamp(value: object) -> datetime:
    """A Procore stamp (``2025-03-04T18:22:10Z``, with or without fractions or an offset) in UTC.

    Raises ``ValueError`` for anything else. A stamp without a zone is read as UTC: Procore's
    documented stamps are all UTC.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a timestamp")
    text = value.strip()
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    # Python before 3.11 wanted exactly 3 or 6 fraction digits; normalise to be safe with any count.
    text = _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], text, count=1)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def updated_range(start: datetime, end: datetime) -> str:
    """``filters[updated_at]`` value covering [start, end) with a second of slack on each side.

    ``Z`` rather than ``+00:00`` so no ``+`` can arrive as a space (reference: offsets must be
    URL-encoded).
    """
    low = start.replace(microsecond=0) - timedelta(seconds=1)
    high = end.replace(microsecond=0) + timedelta(seconds=1)
    return f"{_stamp(low)}...{_stamp(high)}"
