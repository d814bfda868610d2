"""What JD Edwards -> Coupa is, whichever instance runs it: the two systems its flows join, and what an
instance may reach through a connection of its own (``components.apartness``): another Coupa tenant, which
its flows, mapping checks and reconciliation only call through the run's resource. JD Edwards is read from
the tables the JDE side stages for every instance."""

from connector_assets.flows.instance import Instance
from connector_assets.flows.targets import FlowRoute

OWN_CONNECTIONS = ("coupa",)


def route(it: Instance) -> FlowRoute:
    """The route of ``it``'s flows: named after the instance, JDE to Coupa."""
    return FlowRoute(it.instance, source_system="JDE", target_system="coupa")
