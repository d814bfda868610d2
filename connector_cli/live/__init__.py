"""Going live in one action: ``ml-connector live on / off / status`` and the desk's Live page (``switch``)."""
