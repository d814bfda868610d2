"""``ml-connector`` where the API simulators are not installed, as in the production image: the definitions
load, every command's help and the commands that only read answer, and ``dev`` / ``sandbox`` stop at once
saying how to install the simulators (not with an import error halfway through a start).

A fresh interpreter with ``sys.modules["connector_sandbox"] = None``: any import of the package then fails
as if it were absent, and ``importlib.util.find_spec`` answers None, as it does in the image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from roots import ROOT

from connector_cli.dev import SIMULATORS_MISSING

_PROBE = """
import json, sys

sys.modules["connector_sandbox"] = None  # not installed

import click
from click.testing import CliRunner

import connector_assets.definitions  # noqa: F401  (what the code server and every run load)
from connector_cli.main import cli


def commands(group, path):
    for name, command in sorted(group.commands.items()):
        yield [*path, name]
        if isinstance(command, click.Group):
            yield from commands(command, [*path, name])


results = {}
for args in [["--help"], *([*path, "--help"] for path in commands(cli, [])), ["credentials", "list"],
             ["xref", "list"], ["sandbox"], ["dev", "--no-sandbox"]]:
    done = CliRunner().invoke(cli, args)
    results[" ".join(args)] = [done.exit_code, done.output, repr(done.exception) if done.exception else ""]
print(json.dumps(results))
"""


def test_the_command_line_runs_without_the_simulators(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ML_", "DAGSTER_"))}
    env.update(PYTHONPATH=str(ROOT), DAGSTER_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(done.stdout.splitlines()[-1])
    for args in ("sandbox", "dev --no-sandbox"):
        code, output, _ = results.pop(args)
        assert code == 1 and " ".join(SIMULATORS_MISSING.split()) in " ".join(output.split()), output
    failed = {args: result for args, result in results.items() if result[0] != 0}
    assert not failed
    assert len([args for args in results if args.endswith("--help")]) > 10
