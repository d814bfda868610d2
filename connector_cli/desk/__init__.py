"""The exceptions desk: the retry queue, each record's story, matches by hand, the mapping tables and an
operator's decisions, in a browser.

A Starlette app (``app.build_app``) served by ``ml-connector desk`` beside the Dagster UI, never by the
public webhook receiver. Pages are rendered on the server (Jinja); actions are plain HTML forms. Who is
asking comes from a trusted reverse proxy's header or the desk's own accounts (``identity``); every action
needs the operator role, a same-site request and the form's CSRF token (``guard``), and is written through
the ledger's ``OperatorStore`` with who and why.
"""
