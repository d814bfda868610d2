"""What every desk action must show before it changes anything: a person, the operator role, a same-site
request and the form's CSRF token. Each refusal is logged with the address, the path and why.

CSRF is a double-submit token: a random cookie (``SameSite=Strict``, so a cross-site request never carries
it) that each form repeats in a hidden field; a request whose ``Origin`` names another site, or whose
``Sec-Fetch-Site`` says cross-site, is refused before the token is even read. Nothing here keeps state, so
several desk replicas behind one proxy agree.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request

from connector_cli.desk.identity import Identity, becoming_admin, client_address

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "Refused", "check_action", "csrf_token"]

log = logging.getLogger("ml_connector.desk")

CSRF_COOKIE = "mlc_desk_csrf"
CSRF_FIELD = "csrf"


class Refused(Exception):
    """An action refused: ``status`` (401 no identity, 403 otherwise) and why, in words."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status, self.why = status, why


def form_text(form: FormData, name: str) -> str | None:
    """The text a form posted as ``name``; None when it posted none, or a file in its place (a token is
    never a file, and a file is never compared as one)."""
    value = form.get(name)
    return value if isinstance(value, str) else None


def csrf_token(request: Request) -> str:
    """The request's CSRF cookie, or a new one (the page that renders a form sets it)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def same_site(request: Request) -> str | None:
    """Why the request is cross-site, or None when it comes from the desk's own pages."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return "the browser says the request comes from another site"
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
            return f"the request comes from {origin}, not from the desk"
    elif origin == "null":
        return "the request comes from an opaque origin"
    return None


def check_csrf(request: Request, form_token: str | None) -> str | None:
    """Why the form's token does not match the cookie, or None when it does."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not form_token:
        return "the form carries no CSRF token (reload the page and try again)"
    if not hmac.compare_digest(cookie.encode(), str(form_token).encode()):
        return "the form's CSRF token does not match (reload the page and try again)"
    return None


def check_action(
    request: Request, who: Identity | None, form_token: str | None, *, act: bool = True, switch: bool = False
) -> Identity:
    """``who`` when the request may change something (``act``: needs the operator or admin role;
    ``switch``, turning an integration on or off: the admin role), else ``Refused``, logged. Sign-in itself
    passes ``act=False`` and no identity: only the site and token are checked."""
    why = same_site(request) or check_csrf(request, form_token)
    status = 403
    if why is None and act:
        if who is None:
            why, status = "nobody is signed in", 401
        elif switch and not who.may_switch:
            why = becoming_admin(who, "turn integrations on or off")
        elif not who.may_act:
            why = f"{who.actor} is {who.role_said}: only an operator or an admin may act"
    if why is not None:
        log.warning(
            "desk: refused %s %s from %s (%s): %s",
            request.method,
            request.url.path,
            client_address(request),
            who.actor if who else "no identity",
            why,
        )
        raise Refused(status, why)
    return who  # type: ignore[return-value]
