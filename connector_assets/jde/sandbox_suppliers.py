"""The JDE sandbox's supplier numbers, for the ``make dev`` set-ups that point another sandbox's seeded
vendors at real JDE suppliers (Procore -> JDE, JD Edwards <-> Procurify), read one way.
"""

from __future__ import annotations

# At most this many JDE supplier numbers per read: the JDE sandbox's /sandbox/rows answers up to 1000
# rows, lowest AN8 first (the seeded suppliers, which never change number).
JDE_SUPPLIER_ROWS = 1000


def jde_supplier_numbers(jde_root: str) -> list[int]:
    """The JDE sandbox's supplier numbers (F0401 AN8s, ascending) through its operator route."""
    import requests

    response = requests.get(f"{jde_root}/sandbox/rows/F0401", params={"limit": JDE_SUPPLIER_ROWS}, timeout=60)
    response.raise_for_status()
    return sorted({int(row["AN8"]) for row in response.json()["rows"]})


def _ais_path() -> str:
    """Where AIS answers under a server's root (``/jderest``): the path of the JDE base URL's sandbox
    default, since the JDE sandbox serves the real AIS layout. Read from the settings, not from the
    simulators' registry: the simulators are a development package the production image does not have."""
    from urllib.parse import urlsplit

    from connector_resources.settings import SYSTEMS

    return urlsplit(SYSTEMS["jde_ais"].setting("base_url").default).path


def all_jde_supplier_numbers(jde_root: str) -> list[int]:
    """Every supplier number of the JDE sandbox (F0401 AN8, ascending), read through AIS (the data service
    pages) with the sandbox's login. The operator route ``/sandbox/rows`` (``jde_supplier_numbers``)
    answers at most 1000 rows, and from scale 1 the JDE sandbox has more suppliers (2247) than that while
    the Procurify sandbox seeds 1130 vendors with ERP keys: 130 of them kept keys naming no JDE supplier,
    so their bills were refused ("no flow will pair it")."""
    from connector_resources.jde import JdeAisResource

    resource = JdeAisResource.initialized_from_settings(base_url=f"{jde_root}{_ais_path()}")
    with resource.session() as session:
        return sorted({int(row["AN8"]) for row in session.browse("F0401", columns=["AN8"])})
