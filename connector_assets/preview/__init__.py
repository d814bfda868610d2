"""See if we fit: a preview of any flow over any days that writes nothing (``ml-connector fit``).

A preview runs a flow's own job, the same assets a real run materializes, with three things swapped so
that nothing changes anywhere:

* the Dagster instance is an ephemeral one, so no partition of the deployment is materialized (a later
  real run must not skip a day because a preview touched it);
* the ledger is a scratch copy of the integration's rows (``scratch``): claims, target ids, audit events
  and queue items the run records land there and become the records' verdicts;
* every write request of the process is held at the HTTP core (``connector_resources.http.write_hold``);
  the preview gives its runs its own ``target_boundary`` resource (``target.PreviewBoundary``, the face
  the kit knows: ``flows.target_boundary``), so a held create or update becomes the verdict, with the body
  it would have sent and, for an update, the target's current values beside ours.

So the verdict of each record comes from the code a real write runs, stopped before the write: the
cross-reference, the natural-key search, the hold and refusal rules (``runner``). ``report`` turns the
verdicts into fit.csv, fit.md and fit.html.
"""
