"""See if we fit: a preview of any flow over any days that writes nothing (``ml-connector fit``).

Each record's verdict comes from the code a real write runs, stopped before the write (``runner``), with
the instance, the ledger (``scratch``) and the target (``target``) swapped; ``report`` turns the verdicts
into fit.csv, fit.md and fit.html. How: docs/flows.md, "A preview: the same flow, every write held".
"""
