"""JD Edwards F-tables as Dagster source assets, declared as data in ``tables`` and built by ``extract``."""
