"""Which attribute names a resource serves under the live settings.

Several attribute names are unconfirmed (reference sections 2.4-2.9); ``BehaviourSettings`` can rename
any of them per resource so a client can be proven not to depend on the sandbox's spelling. Every
boundary (q, fields, orderBy, finders, payloads, rendering) goes through ``Names``; storage keeps the
canonical names.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Attr, Resource
from .settings import BehaviourSettings


@dataclass(frozen=True)
class Names:
    resource: Resource
    path: str  # "invoices" or "invoices.invoiceLines": the key of attribute_names
    served: dict[str, str]  # canonical -> served name
    by_served: dict[str, Attr]  # served name -> attribute

    def rest(self, canonical: str) -> str:
        return self.served[canonical]

    def lookup(self, served_name: str) -> Attr | None:
        return self.by_served.get(served_name)


def names_for(resource: Resource, path: str, behaviour: BehaviourSettings) -> Names:
    renames = dict(behaviour.attribute_names.get(path, {}))
    if path == "purchaseRequisitions" and "Requisition" not in renames:
        renames["Requisition"] = behaviour.requisition_number_attribute
    served = {name: renames.get(name, name) for name in resource.attribute_names}
    by_served = {served[attr.name]: attr for attr in resource.attrs()}
    return Names(resource, path, served, by_served)
