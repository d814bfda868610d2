"""Which departments budget on which account codes (the ``accounts`` rows the seed opens).

A Procurify account is an account code opened for one department's budget; a line of a requisition or a
bill is charged to one of its department's accounts. With ``planted_faults`` (the tests' world) every
department budgets on the named expense codes and on a random share of all generated cost pools, so one
department's bill can carry codes an ERP keeps in different companies: bills the JDE side refuses, there
to prove the refusal. Without (``make dev``'s world) the customer is organised as a multi-entity one is:
each generated cost pool belongs to one location and is opened for that location's departments only, the
named codes (the head office's chart) for the departments of locations in the head office's country, and
the long code (the 50-character one) at the head office. A department's codes then all belong to one
location, which an ERP's mapping can keep in one company (``mappings/sandbox/jde_procurify_accounts.csv``).
"""

from __future__ import annotations

from .vocabulary import LOCATIONS

HEAD_OFFICE = 1  # location ids are 1-based, in the order of LOCATIONS; the first is the headquarters
_HQ_COUNTRY = LOCATIONS[0][5]
HQ_COUNTRY_LOCATIONS = frozenset(i for i, row in enumerate(LOCATIONS, start=1) if row[5] == _HQ_COUNTRY)


def department_location(department_id: int) -> int:
    """The location of a seeded department: departments are dealt round the locations in order."""
    return (department_id - 1) % len(LOCATIONS) + 1


def pool_location(index: int) -> int:
    """The location owning the generated cost pool ``index`` (0-based, the seed's order): dealt round the
    locations from the last to the head office, which budgets on the named chart besides, so when the
    pools do not share out evenly the head office's are the fewer."""
    return len(LOCATIONS) - index % len(LOCATIONS)


def opened(home: int | None, department_id: int) -> bool:
    """Whether a code whose ``home`` location is given (None: a named code of the head office's chart)
    is opened for ``department_id`` in the world without planted faults."""
    location = department_location(department_id)
    return location in HQ_COUNTRY_LOCATIONS if home is None else home == location
