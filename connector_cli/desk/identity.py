"""Who is asking the desk, and in what role.

Three ways in, tried in this order:
1. **A trusted reverse proxy** (``ML_DESK_PROXY_HEADER``, as oauth2-proxy and most Dagster deployments
   sign people in): the header is believed only from ``ML_DESK_TRUSTED_PROXIES``; from any other address
   it is refused and logged, and the request gets no identity. Admins are the users or groups named in
   ``ML_DESK_ADMINS``, operators those in ``ML_DESK_OPERATORS`` (groups from ``ML_DESK_GROUPS_HEADER``);
   everyone else is a viewer.
2. **A desk account** (``ml-connector desk users add``): the session cookie set at sign-in.
3. **make dev's local operator** (``ML_DESK_LOCAL_OPERATOR``): a request from this machine, only when the
   desk listens on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from connector_resources import settings
from connector_resources.ledger import Ledger

__all__ = ["SESSION_COOKIE", "Access", "Identity", "identify"]

log = logging.getLogger("ml_connector.desk")

SESSION_COOKIE = "mlc_desk_session"
ADMIN, OPERATOR, VIEWER = "admin", "operator", "viewer"


@dataclass(frozen=True)
class Identity:
    """A person the desk recognised: name, role, and how (``proxy``, ``account``, ``local``)."""

    actor: str
    role: str
    how: str

    @property
    def may_act(self) -> bool:
        """Decide on records (abandon, reopen, replay, match, map): an operator or an admin."""
        return self.role in (OPERATOR, ADMIN)

    @property
    def may_switch(self) -> bool:
        """Turn integrations on and off (the Live page): an admin only."""
        return self.role == ADMIN

    @property
    def role_said(self) -> str:
        """``an operator``, ``a viewer``: the role with its article, as a refusal says it."""
        return f"{'an' if self.role[:1] in 'aeiou' else 'a'} {self.role}"


def _items(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


@dataclass(frozen=True)
class Access:
    """How the desk recognises people (its settings, read once when the app is built)."""

    proxy_header: str = ""
    trusted_proxies: tuple[Any, ...] = ()
    groups_header: str = ""
    operators: frozenset[str] = frozenset()
    admins: frozenset[str] = frozenset()
    session_hours: float = 12.0
    local_operator: str = ""

    @classmethod
    def from_settings(cls, host: str) -> Access:
        """The desk's settings; a local operator on a desk reachable from elsewhere is refused."""
        local = settings.value("ML_DESK_LOCAL_OPERATOR") or ""
        if local and not _loopback(host):
            raise ValueError(
                f"ML_DESK_LOCAL_OPERATOR={local!r} signs every local request in without a password; the desk "
                f"listens on {host}, so it is refused (use it only with ML_DESK_HOST=127.0.0.1)"
            )
        networks = []
        for item in _items(settings.value("ML_DESK_TRUSTED_PROXIES")):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"ML_DESK_TRUSTED_PROXIES: {item!r} is not an address or network (10.0.0.5, 10.1.0.0/16)"
                ) from None
        header = settings.value("ML_DESK_PROXY_HEADER") or ""
        if header and not networks:
            raise ValueError(
                f"ML_DESK_PROXY_HEADER={header!r} needs ML_DESK_TRUSTED_PROXIES: a header believed from "
                "any address would let anyone name themselves"
            )
        return cls(
            proxy_header=header,
            trusted_proxies=tuple(networks),
            groups_header=settings.value("ML_DESK_GROUPS_HEADER") or "",
            operators=frozenset(_items(settings.value("ML_DESK_OPERATORS"))),
            admins=frozenset(_items(settings.value("ML_DESK_ADMINS"))),
            session_hours=float(settings.value("ML_DESK_SESSION_HOURS")),
            local_operator=local,
        )

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def identify(request: Request, access: Access, ledger: Ledger) -> Identity | None:
    """The identity of ``request`` (see the module docstring), None when it has none."""
    address = client_address(request)
    if access.proxy_header:
        named = request.headers.get(access.proxy_header, "").strip()
        if named:
            if not access.trusts(address):
                log.warning(
                    "desk: refused %s header naming %r from %s, which is not a trusted proxy",
                    access.proxy_header,
                    named,
                    address,
                )
                return None
            groups = (
                set(_items(request.headers.get(access.groups_header, ""))) if access.groups_header else set()
            )
            names = {named} | groups
            role = ADMIN if names & access.admins else OPERATOR if names & access.operators else VIEWER
            return Identity(named, role, "proxy")
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = ledger.desk_session(token)
        if found is not None:
            return Identity(found[0], found[1], "account")
    if access.local_operator and _loopback(address):
        return Identity(access.local_operator, OPERATOR, "local")
    return None


def becoming_admin(who: Identity, may: str = "see and use Live") -> str:
    """Why ``who`` may not do what only an admin may (``may``: see and use Live, switch an integration) and
    how they would become an admin, by how the desk recognised them. The desk's roles are its own: the same
    person is admin at the command line, where the shell is the identity, so that is said too."""
    refused = f"{who.actor} is {who.role_said} here: only an admin may {may}."
    if who.how == "proxy":
        become = (
            f"To become one, have {who.actor} (or a group of theirs) named in ML_DESK_ADMINS of the desk's "
            "settings, then restart the desk."
        )
    elif who.how == "account":
        become = (
            "To become one, ask whoever runs this deployment to run, at its shell, "
            f"`ml-connector desk users add {who.actor} --role admin --replace` (it sets a new password too), "
            "then sign in again."
        )
    else:
        become = (
            f"{who.actor} is the local operator make dev signs in (ML_DESK_LOCAL_OPERATOR), never an admin: "
            "sign in with an admin account instead (`ml-connector desk users add NAME --role admin` makes "
            "one)."
        )
    return f"{refused} {become} At the command line, `ml-connector live` needs no desk role."
