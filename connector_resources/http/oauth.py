"""OAuth 2.0 client-credentials tokens (Coupa, Procore, Procurify, Oracle Fusion via OCI IAM).

authlib builds the grant (``OAuth2Session.fetch_token(grant_type="client_credentials")``), but its
session is only a shell: ``_RoutedOAuth2Session.request`` hands the actual POST to our
``HttpClient``, so the token request gets the same timeouts, retries, in-flight cap, rate limit,
metrics and redaction as every other call. It is sent with ``idempotent=True`` (asking for a token
twice is harmless) and without the client's own auth (that would recurse).

Three ways to present the client secret (``token_endpoint_auth_method``):

* ``client_secret_post``: form body ``client_id`` + ``client_secret`` (Coupa, Procore).
* ``client_secret_basic``: ``Authorization: Basic`` header, form body without the secret (OCI IAM).
* ``client_secret_json``: a JSON body ``{client_id, client_secret, audience, grant_type}``, which is
  how Procurify (Auth0) documents it. authlib only posts forms, so the routed session converts the
  form fields it built into JSON; nothing else about the grant changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from connector_resources.http.auth import Token, TokenAuth
from connector_resources.http.errors import ApiError, AuthenticationError, ClientError
from connector_resources.redaction import redact, register_secret

if TYPE_CHECKING:
    from connector_resources.http.client import HttpClient

TokenEndpointAuthMethod = Literal["client_secret_post", "client_secret_basic", "client_secret_json"]
_JSON_METHOD = "client_secret_json"
# Token-response fields that are credentials in their own right.
_SECRET_FIELDS = ("access_token", "refresh_token", "id_token")


def _leave_request_alone(client: Any, method: str, uri: str, headers: dict, body: str) -> tuple:
    """authlib client-auth hook for the JSON variant: the credentials are already body fields."""
    return uri, headers, body


@cache
def _routed_session_class() -> type:
    """``_RoutedOAuth2Session``, defined on the first token fetch: authlib (with joserfc and cryptography)
    is not imported when the definitions load, only when a client first needs a token."""
    from authlib.integrations.requests_client import OAuth2Session

    class _RoutedOAuth2Session(OAuth2Session):
        """An authlib session whose HTTP goes through an ``HttpClient`` instead of its own pool."""

        def __init__(self, http: HttpClient, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._http = http
            # The client_secret_json method posts the form fields authlib built as a JSON body instead.
            self._json_body = kwargs.get("token_endpoint_auth_method") == _JSON_METHOD

        def request(self, method, url, withhold_token=False, auth=None, **kwargs):
            """Send authlib's token request through the ``HttpClient`` (signature is authlib's)."""
            if kwargs.get("json") is None:
                kwargs.pop("json", None)  # requests.Session.post always passes json=None
            if self._json_body:
                kwargs["json"] = dict(kwargs.pop("data", None) or {})
                headers = dict(kwargs.pop("headers", None) or {})
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                kwargs["headers"] = headers
            return self._http.request(method, url, idempotent=True, authenticate=False, auth=auth, **kwargs)

    return _RoutedOAuth2Session


class OAuthClientCredentials(TokenAuth):
    """Bearer tokens from an OAuth 2.0 client-credentials grant, cached until shortly before expiry.

    ``token_url`` may be absolute (an identity domain on another host) or relative to the client's
    base URL. ``scopes`` are sent space-joined (Coupa shows them comma-separated in its UI; commas
    are not accepted). ``audience`` and ``extra_params`` go into the token request body.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scopes: Sequence[str] | str | None = None,
        audience: str | None = None,
        extra_params: Mapping[str, str] | None = None,
        token_endpoint_auth_method: TokenEndpointAuthMethod = "client_secret_post",
        expired_statuses: Iterable[int] | None = None,
        leeway_seconds: float = 60.0,
        leeway_fraction: float = 0.1,
    ) -> None:
        super().__init__(
            expired_statuses=expired_statuses, leeway_seconds=leeway_seconds, leeway_fraction=leeway_fraction
        )
        if not token_url:
            raise ValueError("OAuthClientCredentials token_url is empty")
        if not client_id:
            raise ValueError(f"OAuthClientCredentials client_id for {token_url} is empty")
        if not client_secret:
            raise ValueError(f"OAuthClientCredentials client_secret for client {client_id!r} is empty")
        if token_endpoint_auth_method not in ("client_secret_post", "client_secret_basic", _JSON_METHOD):
            raise ValueError(
                f"token_endpoint_auth_method {token_endpoint_auth_method!r} is not one of "
                "client_secret_post, client_secret_basic, client_secret_json"
            )
        register_secret(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        if isinstance(scopes, str):
            scopes = scopes.replace(",", " ").split()
        self.scope = " ".join(scopes) if scopes else None
        self.audience = audience
        self.extra_params = dict(extra_params or {})
        self.token_endpoint_auth_method = token_endpoint_auth_method

    def header(self, token: Token) -> dict[str, str]:
        # Always "Bearer": some servers answer token_type "bearer" and some APIs reject lower case.
        return {"Authorization": f"Bearer {token.value}"}

    def fetch_token(self, http: HttpClient) -> Token:
        json_body = self.token_endpoint_auth_method == _JSON_METHOD
        session = _routed_session_class()(
            http,
            client_id=self.client_id,
            client_secret=self._client_secret,
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            scope=self.scope,
        )
        params: dict[str, str] = dict(self.extra_params)
        if self.audience:
            params["audience"] = self.audience
        if json_body:
            # The credentials travel as ordinary body fields; the registered "client auth" for this
            # method leaves the request as built (authlib's "none" would add client_id twice).
            session.register_client_auth_method((_JSON_METHOD, _leave_request_alone))
            params["client_id"] = self.client_id
            params["client_secret"] = self._client_secret
        url = http.resolve_url(self.token_url)
        try:
            raw = session.fetch_token(url, grant_type="client_credentials", **params)
        except (ClientError, AuthenticationError) as exc:
            # 400 invalid_client / 401 from the token endpoint: the credentials are wrong, not the data.
            raise AuthenticationError(
                exc.system,
                exc.method,
                exc.url,
                status=exc.status,
                reason=exc.reason,
                body_excerpt=exc.body_excerpt,
                attempts=exc.attempts,
                response=exc.response,
            ) from None
        except ApiError:
            raise
        except Exception as exc:  # authlib's OAuthError / ValueError for a malformed token response
            raise AuthenticationError(
                http.system,
                "POST",
                url,
                detail=f"token endpoint answer rejected: {type(exc).__name__}: {redact(exc)}",
            ) from None
        finally:
            session.close()
        return self._to_token(raw, http.system, url)

    def _to_token(self, raw: Mapping[str, Any], system: str, url: str) -> Token:
        for name in _SECRET_FIELDS:
            value = raw.get(name)
            if isinstance(value, str):
                register_secret(value)
        value = raw.get("access_token")
        if not isinstance(value, str) or not value:
            raise AuthenticationError(system, "POST", url, detail="token response has no access_token")
        expires_in = raw.get("expires_in")
        try:
            lifetime = float(expires_in) if expires_in not in (None, "") else None
        except (TypeError, ValueError):
            raise AuthenticationError(
                system, "POST", url, detail=f"token response has a non-numeric expires_in {expires_in!r}"
            ) from None
        extra = {k: v for k, v in raw.items() if k not in _SECRET_FIELDS and k != "expires_at"}
        return Token.expiring_in(value, lifetime, extra)

    def __repr__(self) -> str:
        return (
            f"OAuthClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"method={self.token_endpoint_auth_method!r})"
        )
