"""The HTTP core every API resource stands on: a client composed of auth, policy, limits and metrics.

Typical use inside a resource::

    client = HttpClient(
        "coupa",
        "https://acme.coupahost.com",
        auth=OAuthClientCredentials("/oauth2/token", client_id, client_secret, scopes=["core.invoice.read"]),
        policy=HttpPolicy(read_timeout=90),
        limit_key=f"coupa:{instance}",
        rate_per_second=20,
    )
    invoices = client.get("/api/invoices", params={"limit": 50}).json()

See ``client`` for what every call gets, ``policy`` for the retry rules (and why POST is not
blindly retried), ``auth`` / ``oauth`` for credentials and re-authentication.
"""

from connector_resources.http import errors, limits
from connector_resources.http.auth import (
    AuthScheme,
    BasicAuth,
    HeaderAuth,
    NoAuth,
    Token,
    TokenAuth,
    merge_json_body,
)
from connector_resources.http.client import HttpClient
from connector_resources.http.errors import *  # noqa: F403 (its __all__)
from connector_resources.http.limits import *  # noqa: F403 (its __all__)
from connector_resources.http.metrics import CallMetrics
from connector_resources.http.oauth import OAuthClientCredentials
from connector_resources.http.policy import BackoffWait, HttpPolicy, is_idempotent, parse_retry_after

__all__ = [
    *errors.__all__,
    *limits.__all__,
    "AuthScheme",
    "BackoffWait",
    "BasicAuth",
    "CallMetrics",
    "HeaderAuth",
    "HttpClient",
    "HttpPolicy",
    "NoAuth",
    "OAuthClientCredentials",
    "Token",
    "TokenAuth",
    "is_idempotent",
    "merge_json_body",
    "parse_retry_after",
]
