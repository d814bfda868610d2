"""What every deployment has beside its integrations: the ledger's health (``health``) and the retry queue's
replay job and schedule (``replay``)."""
