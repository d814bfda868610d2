"""``ml-connector where``: the addresses of the ``make dev`` running for this folder.

Why: ``--sandbox-ports free`` and ``--port`` move them on every start, so documentation and scripts ask
this command rather than hard-coding 3000 or 8712: ``curl "$(ml-connector where ui)/graphql"``.
"""

from __future__ import annotations

import click

from connector_cli.dev_instance import DevInstance, running, stale
from connector_resources.project_home import locate
from connector_resources.settings import SANDBOX_PORTS, SERVER_PORT_KEYS
from connector_resources.vault import KEY_ENV

# What ``where NAME`` prints alone: the UI, the webhook receiver, the desk, the instance folder, each sandbox.
NAMES = ("ui", "receiver", "desk", "home", *(key for key in SANDBOX_PORTS if key not in SERVER_PORT_KEYS))


@click.command()
@click.argument("name", required=False, type=click.Choice(NAMES))
def where(name: str | None) -> None:
    """Print where the running `make dev` listens: Dagster UI, webhook receiver, desk, each sandbox, its
    instance folder and vault key file. With NAME, only that address, for scripts:
    curl "$(ml-connector where ui)/graphql". Exits 1 when none runs for this folder ($DAGSTER_HOME, else
    the project's .dagster_home)."""
    home = locate().require_dagster_home()  # NoProject: said by the group, naming where it looked
    instance = running(home)
    if instance is None:
        left = stale(home)
        gone = f" (its last record, {left.named()}, is stale: that process is gone)" if left else ""
        raise click.ClickException(f"no ml-connector dev is running on {home}{gone}; start one with make dev")
    if name is None:
        for line in _lines(instance):
            click.echo(line)
        return
    address = _address(instance, name)
    if not address:
        raise click.ClickException(f"the ml-connector dev running on {home} runs no sandboxes (--no-sandbox)")
    click.echo(address)


def _address(instance: DevInstance, name: str) -> str:
    if name == "ui":
        return instance.ui
    if name == "receiver":
        return instance.receiver
    if name == "desk":
        return instance.desk
    if name == "home":
        return instance.dagster_home
    return instance.sandboxes.get(name, "")


def _lines(instance: DevInstance) -> list[str]:
    key = instance.vault_key_file or f"{KEY_ENV} from its environment (set it in this shell too)"
    lines = [
        f"ml-connector dev on {instance.dagster_home}: {instance.named()}",
        f"  ui         {instance.ui}",
        f"  receiver   {instance.receiver or '(starting)'}  (POST /webhooks/<source>)",
        f"  desk       {instance.desk or '(starting)'}  (the exceptions desk)",
    ]
    lines += [f"  {system:<10} {url}" for system, url in instance.sandboxes.items()]
    if instance.sandbox_port_base is not None and not instance.sandboxes:
        lines.append("  sandboxes  none (--no-sandbox)")
    lines += [f"  vault key  {key}", f"  ledger     {instance.ledger or '(starting)'}"]
    return lines
