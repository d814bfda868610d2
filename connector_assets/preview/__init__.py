"""See if we fit: a preview of any flow over any days that writes nothing (``ml-connector fit``:
docs/operations.md, "Fit: what a run would do, writing nothing").

A preview runs a flow's own job with three things swapped: an ephemeral Dagster instance (no partition of
the deployment materialized), a scratch copy of the ledger (``scratch``), and every write request held at
the HTTP core (``connector_resources.http.write_hold``) behind the runs' own ``target_boundary`` resource
(``target.PreviewBoundary``). So each record's verdict comes from the code a real write runs, stopped
before the write (``runner``); ``report`` turns the verdicts into fit.csv, fit.md and fit.html.
"""
