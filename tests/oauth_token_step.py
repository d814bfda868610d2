"""One read as a Dagster step does it, in a process of its own (run by ``test_oauth_token_store``).

``python tests/oauth_token_step.py <procore|procurify|fusion> <simulator url>``: opens one session with
the simulator's sandbox client, configured like a step (ledger and vault key from the environment),
reads one small thing, and prints what its token cost as one JSON line: tokens it minted, tokens it
adopted from the store, and the 401s it met. It logs at DEBUG to stderr, which the test searches for
the token.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable
from typing import Any

from step_processes import token_cost

PROCORE_COMPANY = "4264807"
# The simulators' own sandbox clients, not real secrets.
PROCORE_CLIENT = ("ml-connector-sandbox", "sandbox-procore-secret")
PROCURIFY_CLIENT = ("ml-connector-sandbox", "sandbox-procurify-secret")


def procore(url: str) -> tuple[Any, Callable[[Any], object]]:
    from connector_resources.procore import ProcoreResource

    client_id, secret = PROCORE_CLIENT
    resource = ProcoreResource(
        base_url=url, auth_url=url, company_id=PROCORE_COMPANY, client_id=client_id, client_secret=secret
    )
    return resource, lambda s: s.me()


def procurify(url: str) -> tuple[Any, Callable[[Any], object]]:
    from connector_resources.procurify import ProcurifyResource

    client_id, secret = PROCURIFY_CLIENT
    resource = ProcurifyResource(
        base_url=url, client_id=client_id, client_secret=secret, page_size=1, rate_per_second=0
    )
    return resource, lambda s: list(itertools.islice(s.iter_all("departments"), 1))


def fusion(url: str) -> tuple[Any, Callable[[Any], object]]:
    from connector_resources.fusion import FusionResource

    resource = FusionResource.from_settings({}, base_url=url, token_url=f"{url}/oauth2/v1/token")
    return resource, lambda s: s.probe("suppliers")


SYSTEMS = {"procore": procore, "procurify": procurify, "fusion": fusion}


def main(system: str, url: str) -> None:
    resource, read = SYSTEMS[system](url)
    with resource.session() as session:
        read(session)
    auth = session._auth if hasattr(session, "_auth") else session.http.auth
    print(token_cost(auth, session))


if __name__ == "__main__":
    # Everything the connector logs goes to stderr, so the test can prove the token is never in it.
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    main(sys.argv[1], sys.argv[2])
