"""Login, logout, session info and MFA trust (reference 2.1).

``POST /v3/login`` takes ``devKey``, ``username``, ``password``, ``organizationId`` (and optionally
``rememberMeId`` + ``device``) in a JSON body. v2-style ``userName`` / ``orgId`` are unknown fields.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from . import errors
from .pipeline import Call, api_route, json_object, ok
from .validation import Checker

LOGIN_FIELDS = ("devKey", "username", "password", "organizationId", "rememberMeId", "device")
_ORG_ID = re.compile(r"^008[0-9A-Za-z]{17}$")


async def login(call: Call) -> Response:
    settings, body = call.settings, call.body
    check = Checker("login", strict=call.strict)
    check.unknown(body, "", LOGIN_FIELDS)
    username = check.text(body, "username", "", required=True)
    password = check.text(body, "password", "", required=True)
    org_id = check.text(
        body,
        "organizationId",
        "",
        required=True,
        pattern=_ORG_ID,
        pattern_hint="a 20-character id beginning with 008",
    )
    remember_id = check.text(body, "rememberMeId", "")
    device = check.text(body, "device", "")
    check.raise_if_any()
    if (
        username != settings.username
        or password != settings.password
        or not settings.organization(org_id or "")
    ):
        raise errors.error(
            settings.variants.login_failure_status,
            errors.BAD_CREDENTIALS,
            "Incorrect username, password or organization (is this the right environment?)",
            "DOWNSTREAM",
        )
    trusted = bool(
        remember_id and device and call.state.sessions.is_remembered(remember_id, device, settings.user_id)
    )
    assert org_id is not None
    session = call.state.sessions.open(body["devKey"], org_id, settings.user_id, trusted=trusted)
    answer = {"sessionId": session.session_id, "userId": settings.user_id}
    if settings.variants.login_response_extras:
        answer.update(organizationId=org_id, trusted=trusted)
    return ok(answer)


async def logout(call: Call) -> Response:
    assert call.session is not None
    call.state.sessions.close(call.session.session_id)
    return ok({})


async def session_info(call: Call) -> Response:
    assert call.session is not None
    return ok(
        {
            "organizationId": call.session.org_id,
            "userId": call.session.user_id,
            "mfaStatus": "TRUSTED" if call.session.trusted else "NOT_TRUSTED",
        }
    )


async def mfa_challenge(call: Call) -> Response:
    """Sends (pretends to send) an SMS code; the sandbox code is the ``mfa_code`` setting."""
    assert call.session is not None
    body = json_object(call.body if call.body is not None else {})
    check = Checker("mfa challenge", strict=call.strict)
    check.unknown(body, "", ("useBackup",))
    check.boolean(body, "useBackup", "")
    check.raise_if_any()
    call.state.limits.take_sms(call.session.user_id)
    return ok({"challengeId": call.state.sessions.new_challenge(call.session)})


async def mfa_validate(call: Call) -> Response:
    assert call.session is not None
    body = json_object(call.body)
    check = Checker("mfa validation", strict=call.strict)
    check.unknown(body, "", ("challengeId", "token", "rememberMe", "device"))
    challenge = check.text(body, "challengeId", "", required=True)
    token = check.text(body, "token", "", required=True)
    remember = check.boolean(body, "rememberMe", "")
    device = check.text(body, "device", "", required=bool(remember))
    check.raise_if_any()
    if (
        not call.state.sessions.take_challenge(challenge or "", call.session)
        or token != call.settings.mfa_code
    ):
        raise errors.validation(["mfa validation: token: the code does not match this challenge"])
    call.session.trusted = True
    answer: dict[str, object] = {"trusted": True}
    if remember and device:
        answer["rememberMeId"] = call.state.sessions.remember(device, call.session.user_id)
        answer["device"] = device
    return ok(answer)


def routes() -> list:
    return [
        api_route("/v3/login", login, ["POST"], login=True),
        api_route("/v3/logout", logout, ["POST"]),
        api_route("/v3/login/session", session_info, ["GET"]),
        api_route("/v3/mfa/challenge", mfa_challenge, ["POST"]),
        api_route("/v3/mfa/challenge/validate", mfa_validate, ["POST"]),
    ]
