"""Which Fusion company and cost center a Procurify department's spend is charged to: the department table
(``departments_table``, ``<company>-<cost center>`` per ``Location|Department``, ``Location|*`` or ``*``).

Department names repeat across locations, hence the location in the key. How a department is written as a
key, and the keys tried for one, are the Procurify side's (``procurify.code_checks``); the table:
docs/integrations/fusion_procurify.md, "Mapping tables".
"""

from collections.abc import Mapping

from connector_assets.flows.code_maps import KeyCheckedTable
from connector_assets.flows.mapping_master import MasterData
from connector_assets.fusion.account_combinations import DELIMITER
from connector_assets.fusion.charge_combinations import clean_segments, leading_segments_problem
from connector_assets.fusion.master_data import company_cost_centers
from connector_assets.procurify.code_checks import place_key as normal_key  # keys with ``|`` trimmed
from connector_assets.procurify.code_checks import place_key_problem as key_problem
from connector_assets.procurify.code_checks import place_lookup_keys as lookup_keys

from .account_map import GUARDED_BY, Segments


def departments_table(variable: str, segments: Segments) -> KeyCheckedTable:
    """The department table of setting ``variable`` (an instance's ``department_map``), its pairs checked
    in the combinations of ``segments``."""
    return KeyCheckedTable.from_setting(
        variable,
        key="procurify_department",
        value="fusion_company_cost_center",
        description=(
            "Procurify department (Location name|Department name; Location name|* = every department of a "
            "location; * = every other department) -> Fusion company and cost center (<company>-<cost "
            f"center>, e.g. 101-10), staged from ${variable}: the first two segments of every charge account."
        ),
        guarded_by=GUARDED_BY,
        check=leading_segments_problem,  # <company>-<cost center>: the Fusion side's shape
        clean=clean_segments,
        key_check=key_problem,
        key_clean=normal_key,
        master=MasterData.asking(
            "fusion",
            lambda fusion, pairs: company_cost_centers(fusion, pairs, segments()),
            "the Fusion company and cost center are in an enabled, postable, active combination",
        ),
    )


def company_cost_center(
    department: str | None, table: Mapping[str, str]
) -> tuple[tuple[str, str] | None, str | None]:
    """((company, cost center), the key of the row used) of a department, or (None, None) when neither its
    row, its location's ``*`` row nor the ``*`` row exists."""
    for key in lookup_keys(department):
        value = table.get(key)
        if value:
            company, center = value.split(DELIMITER)
            return (company, center), key
    return None, None
