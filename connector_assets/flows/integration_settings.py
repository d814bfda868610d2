"""An integration's setting declared by its variable alone: the resource field it fills is the variable's
name without ``ML_``, in lower case (``ML_JDE_BILL_VENDORS_CRON`` -> ``jde_bill_vendors_cron``), as every
integration's settings are named, so each declaration says it once.
"""

from typing import Any

from connector_resources.settings import Setting


def setting(env: str, default: str, help: str, **options: Any) -> Setting:
    """``Setting`` of ``env`` with its ``default``, its ``help`` and any ``options`` (its ``kind`` ...)."""
    return Setting(env.removeprefix("ML_").lower(), env, default, help, **options)
