"""Decoding data-service answers: exact decimals at twice the standard library's speed.

A JDE read spends more of our CPU decoding pages than on anything else (``bench/jde_extract_vs_raw.py``
under py-spy: about a fifth), and amounts must stay exact, so ``json.loads(parse_float=Decimal)``
(``http.errors.response_json``) has been the decoder. msgspec's decoder with ``float_hook=Decimal``
gives the same Python values (dicts, lists, str, int of any size, ``Decimal`` for every number
written with a fraction or an exponent, keeping its digits: ``1.10`` stays ``Decimal("1.10")``, bool,
None; the last of duplicate keys wins) in about half the time.

Where the two could differ, msgspec refuses rather than guesses: a byte-order mark, a lone UTF-16
surrogate escape, ``NaN``/``Infinity`` (which the standard library accepts and AIS never sends). Any
body msgspec refuses is handed to ``response_json``, so the outcome, including None for a body that
is not JSON at all (an HTML error page), is the standard library's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import requests

from connector_resources.http.errors import response_json

_DECODER = msgspec.json.Decoder(float_hook=Decimal)


def page_json(response: requests.Response | None) -> Any:
    """``response_json``'s answer for ``response`` (None when there is no body or it is not JSON),
    decoded by msgspec when it can be."""
    if response is None:
        return None
    try:
        return _DECODER.decode(response.content or b"null")
    except msgspec.DecodeError:
        return response_json(response)
