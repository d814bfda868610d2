"""The SaaS systems' source assets: each client's entities (``entities``), the assets reading their change
feeds (``assets``) and the endpoints each is read from (``endpoints``)."""
