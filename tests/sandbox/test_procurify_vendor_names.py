"""No two live Procurify sandbox vendors share a name, seeded or added by the activity.

Why: the vendor words repeat at scale (about 40 active pairs at scale 1 before), and the Fusion <->
Procurify vendors flow pairs by name: the second vendor of a name met a Fusion supplier already paired with
the first, so a fresh ``make dev`` queued ~40 "not paired twice" refusals nobody made. Names still repeat
on purpose, on the inactive duplicates of signature vendors (deleted vendors stay as rows).
"""

from __future__ import annotations

import random
from collections import Counter

from connector_sandbox.procurify import ProcurifySandboxSettings
from connector_sandbox.procurify.activity import ActivityRequest, make_activity
from connector_sandbox.procurify.state import SandboxState
from connector_sandbox.procurify.vocabulary import vendor_name

LIVE = "SELECT name FROM vendors WHERE active = 1 AND type IN (3, 4)"


def _repeated(names: list[str]) -> list[str]:
    return [name for name, n in Counter(names).items() if n > 1]


def test_a_drawn_name_already_taken_gets_a_number_and_the_draw_is_unchanged() -> None:
    drawn = vendor_name(random.Random(7), ())
    assert vendor_name(random.Random(7), {drawn}) == f"{drawn} (2)"
    assert vendor_name(random.Random(7), {drawn, f"{drawn} (2)"}) == f"{drawn} (3)"
    rng = random.Random(7)
    vendor_name(rng, {drawn})
    follows = rng.random()
    rng = random.Random(7)
    vendor_name(rng, ())
    assert rng.random() == follows  # the rest of the seed draws the same


def test_the_seed_and_the_activity_give_no_two_live_vendors_one_name() -> None:
    state = SandboxState.build(ProcurifySandboxSettings(scale=1))
    try:
        live = [row[0] for row in state.store.all(LIVE)]
        assert len(live) > 1000 and _repeated(live) == []
        inactive = [row[0] for row in state.store.all("SELECT name FROM vendors WHERE active = 0")]
        assert set(inactive) & set(live)  # the deliberate repeats: deleted vendors keep their names
        made = make_activity(state, ActivityRequest(new_vendors=300))["vendors"]["created"]
        live = [row[0] for row in state.store.all(LIVE)]
        assert len(made) == 300 and _repeated(live) == []
    finally:
        state.store.close()
