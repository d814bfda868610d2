"""kill -9 of a run in the middle of its writes, then a rerun: exactly one copy of each supplier in Coupa.

The write step runs in a child process against the simulators (threads of this test process, reached over
loopback); Coupa answers slowly so the kill lands mid-write. The killed run's claims keep their 30-minute
leases (nothing here shortens ``ML_LEDGER_LEASE_MINUTES``); the rerun takes them over at once, since the
ledger knows the process holding them has ended, so it waits on none (``leased`` 0: a claim still the
killed run's would have cost ``lease_wait()``, then been held). It finds some suppliers with a target ID
(skip), some claimed but not recorded (search by number and adopt: the crash window), and some not started
(create).
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta

import requests
from dagster import AssetKey, materialize
from instances import instance_for_test
from jde_coupa_parts import PAYMENT_TERMS, jde_coupa_assets
from sandbox_logins import on_simulator
from waiting import load

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.jde.assets import jde_assets
from connector_assets.runtime.staging import StagingResource
from connector_resources.coupa import CoupaResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.coupa import create_app as coupa_app
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.serve import serve_in_thread

DAY = (date.today() - timedelta(days=21)).isoformat()

CHILD = textwrap.dedent(
    """
    import os, sys
    from dagster import instance_for_test, materialize
    from connector_assets.components import JdeCoupa
    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.coupa import CoupaResource
    from connector_resources.jde import JdeAisResource
    from connector_resources.ledger import LedgerResource

    env = os.environ
    resources = {
        "jde": JdeAisResource(base_url=env["T_JDE"], username="INTEGR8", password="integr8-sandbox",
                              environment="JPS920", role="*ALL"),
        "coupa": CoupaResource(base_url=env["T_COUPA"], client_id="ml-connector-sandbox",
                               client_secret="sandbox-coupa-secret", token_warmup_seconds=0),
        "staging": StagingResource(base_dir=env["T_STAGING"]),
        "ledger": LedgerResource(db_url=env["T_DB"]),
        "target_boundary": UNWRAPPED,
    }
    suppliers = JdeCoupa().parts.flow("suppliers").assets
    written = [a for a in suppliers if a.key.to_user_string() == "jde_coupa/suppliers_written"]
    print("started", flush=True)
    with instance_for_test() as instance:
        materialize(written, resources=resources, instance=instance, partition_key=env["T_DAY"])
    """
)


def _coupa_count(coupa_url: str) -> int:
    state = requests.get(f"{coupa_url}/sandbox/state", timeout=10).json()
    counts = state.get("rows") or state.get("counts") or state.get("row_counts") or {}
    return int(counts.get("suppliers", 0))


def test_kill_9_mid_write_then_rerun_leaves_one_copy_of_each(tmp_path):
    jde_url, stop_jde = run_in_thread(JdeSandboxSettings(scale=0.2))
    coupa_url, stop_coupa = serve_in_thread(coupa_app(CoupaSandboxSettings(scale=0.02)))
    try:
        requests.post(f"{coupa_url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
        db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        resources = {
            "jde": on_simulator(JdeAisResource, jde_url),
            "coupa": on_simulator(CoupaResource, coupa_url, token_warmup_seconds=0),
            "staging": StagingResource(base_dir=str(tmp_path / "staging")),
            "ledger": LedgerResource(db_url=db),
            "target_boundary": UNWRAPPED,
        }
        upstream = [
            a
            for a in [*jde_assets, *jde_coupa_assets]
            if a.key.to_user_string() in ("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")
        ]
        # The suppliers flow maps with the staged payment-terms snapshot: stage today's table, as a job does.
        PAYMENT_TERMS.stage(resources["staging"])
        with instance_for_test() as instance:
            assert materialize(upstream, resources=resources, instance=instance, partition_key=DAY).success
        staged = {str(r["AN8"]) for r in resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), DAY)}
        assert len(staged) >= 10, len(staged)
        before = _coupa_count(coupa_url)

        requests.post(f"{coupa_url}/sandbox/faults", json={"latency_ms": 100}, timeout=10)
        env = {
            **os.environ,
            "T_JDE": jde_url,
            "T_COUPA": coupa_url,
            "T_STAGING": str(tmp_path / "staging"),
            "T_DB": db,
            "T_DAY": DAY,
            # The killed run's lease on the supplier it was writing has 30 minutes left; the rerun takes it
            # over at once (its process has ended) and searches Coupa before creating it.
        }
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 300
        while _coupa_count(coupa_url) < before + 2:  # some suppliers are written, the rest are not yet
            assert child.poll() is None, "the run finished before it could be killed; slow Coupa down more"
            assert time.monotonic() < deadline, f"the child's first 2 suppliers: not within 300 s ({load()})"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        written_before_kill = _coupa_count(coupa_url) - before
        assert 0 < written_before_kill < len(staged)

        requests.post(f"{coupa_url}/sandbox/faults", json={"latency_ms": 0}, timeout=10)
        written = [a for a in jde_coupa_assets if a.key.to_user_string() == "jde_coupa/suppliers_written"]
        with instance_for_test() as instance:
            rerun = materialize(written, resources=resources, instance=instance, partition_key=DAY)
        assert rerun.success
        counts = rerun.get_asset_materialization_events()[0].materialization.metadata
        assert counts["leased"].value == 0, counts  # nothing left held behind the killed run's lease
        ledger = Ledger(db)
        # Suppliers whose name another JDE supplier already holds in Coupa (Coupa names are unique) are
        # refused and queued with the reason; every other one is in Coupa exactly once.
        refused = {item.source_key: item.reason for item in ledger.open_items(integration="jde_coupa")}
        assert all("counterpart" in reason or "name" in reason for reason in refused.values()), refused
        with resources["coupa"].session() as session:
            for number in sorted(staged - set(refused)):
                xref = ledger.get_xref("jde_coupa", "supplier", "JDE", number, "coupa")
                assert xref is not None and xref.target_id
                assert len(session.search("suppliers", {"number": number}, limit=10)) == 1
    finally:
        stop_coupa()
        stop_jde()
