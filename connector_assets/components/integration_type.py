"""What every integration's Dagster component type shares: its YAML attributes, its build, its scaffold.

An integration package's type is a class written out in ``connector_assets.components``
(``class JdeBill(IntegrationType, package="connector_assets.integrations.jde_bill")``), so an editor and the
type checker see it; its attributes are added from the package as the class is made (``SettingsFields``),
and ``integration_type`` makes one for a package named at run time (another project's own). An instance is
a ``defs.yaml`` in a defs folder (``type: connector_assets.components.JdeBill``), found by Dagster's own
loader. The flows, jobs and sensors are Python, made for the instance by the package's
``wiring.build(instance)``; what a customer decides of them (schedules, mapping tables, posting mode,
statuses ...) are the instance's attributes, checked against the package's ``settings.toml``
(``setting_fields``) and read from the object when asked (``setting``: the documented override
``ML_<INSTANCE>_<NAME>``, else the attribute, else the default). Two instances of one type are two objects
of one class, each building its own parts.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import pydantic

from connector_assets.components import setting_fields
from connector_assets.components.apartness import named_apart, refused_connections
from connector_assets.components.mapping_files import missing_mapping_file
from connector_assets.components.scaffolding import IntegrationScaffolder
from connector_assets.flows.instance import register
from connector_resources import configured_settings, settings
from connector_resources.setting_declarations import DECLARATIONS, declared_settings
from connector_resources.setting_kinds import Refused
from connector_resources.settings import Setting, SettingError

REGISTRY = "connector_assets.components"  # where the types are made and YAML names them


def class_name(integration: str) -> str:
    """The component type's name of the integration package ``integration`` (``jde_bill`` -> ``JdeBill``)."""
    return "".join(word.capitalize() for word in integration.split("_"))


def _declared(integration: str, folder: Path) -> dict[str, Setting]:
    """The settings the package's ``settings.toml`` declares, by short name (``ML_JDE_BILL_X`` -> ``x``)."""
    if not (folder / DECLARATIONS).exists():  # a package declaring no settings
        return {}
    made = declared_settings(integration, folder / DECLARATIONS)
    return {s.env.removeprefix(f"ML_{integration.upper()}_").lower(): s for s in made}


class SettingsFields(type(dg.Model)):
    """The metaclass of the integration types: a class stating ``package=`` is that package's type, its
    attributes (every instance's ``name`` and ``connections``, then one per setting of the package's
    ``settings.toml``, typed and checked by the setting's kind) added to the class body before pydantic builds
    it, and described by the package's docstring unless the class has one.

    Why added rather than written: the package already declares each setting once (``setting_fields``); the
    class is written out only so that its name is seen by editors and checkers."""

    def __new__(
        mcs,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        package: str = "",
        **kwargs: Any,
    ) -> SettingsFields:
        if not package:  # the common base, or a subclass of a type: nothing of a package's to add
            return super().__new__(mcs, name, bases, namespace, **kwargs)
        integration = package.rpartition(".")[2]
        if name != class_name(integration):
            raise TypeError(f"the component type of {package} is named {class_name(integration)}, not {name}")
        init = importlib.import_module(package)
        declared = _declared(integration, Path(next(iter(init.__path__))))
        fields, validators = setting_fields.fields(declared.items())
        own_fields, own_validators = setting_fields.instance_fields()
        fields, validators = {**own_fields, **fields}, {**own_validators, **validators}
        body = {
            "__doc__": " ".join((init.__doc__ or integration).split()),
            **namespace,
            "__annotations__": {
                **namespace.get("__annotations__", {}),
                **{field: kind for field, (kind, _) in fields.items()},
            },
            **{field: info for field, (_, info) in fields.items()},
            **validators,
        }
        made = super().__new__(mcs, name, bases, body, **kwargs)
        made.integration = integration
        made.package = package
        made.declared = declared
        made.attributes = setting_fields.attributes_model(f"{name}Attributes", fields, validators)
        return made


@dg.scaffold_with(IntegrationScaffolder)
class IntegrationType(dg.Component, dg.Resolvable, dg.Model, metaclass=SettingsFields):
    """One integration of ml-connector, configured in YAML (a subclass per integration package, stating it:
    ``class JdeBill(IntegrationType, package="connector_assets.integrations.jde_bill")``)."""

    # Python's regular expressions: some settings' patterns look ahead, which pydantic's own engine refuses.
    model_config = pydantic.ConfigDict(regex_engine="python-re")

    integration: ClassVar[str] = ""
    package: ClassVar[str] = ""
    declared: ClassVar[dict[str, Setting]] = {}
    attributes: ClassVar[type[pydantic.BaseModel] | None] = None

    # Every instance's own attributes (``setting_fields.instance_fields`` describes and checks them).
    name: str | None = None
    connections: dict[str, dict[str, str]] | None = None

    @classmethod
    def model(cls) -> type[pydantic.BaseModel]:
        """What a ``defs.yaml``'s attributes are checked against: the settings' own types and bounds."""
        return cls.attributes or super().model()

    _defined_in: str = pydantic.PrivateAttr(default="")

    @classmethod
    def load(cls, attributes: Any, context: dg.ComponentLoadContext) -> IntegrationType:
        """Dagster's load, remembering the instance's ``defs.yaml`` (named when two instances disagree)."""
        component = super().load(attributes, context)
        written = context.path / "defs.yaml"
        component._defined_in = str(written if written.is_file() else context.path)
        return component

    @property
    def defined_in(self) -> str:
        return self._defined_in or f"a {type(self).__name__} made in Python"

    @property
    def instance(self) -> str:
        """The instance's name: ``name`` when given (a further instance), else the integration's."""
        return self.name or self.integration

    def instance_settings(self) -> dict[str, Setting]:
        """The package's settings under this instance's name (short name -> ``ML_<INSTANCE>_<NAME>``)."""
        return self.own_settings

    @cached_property
    def own_settings(self) -> dict[str, Setting]:
        """``instance_settings``, made once per instance object."""
        if self.instance == self.integration:
            return self.declared
        return _declared(self.instance, Path(next(iter(importlib.import_module(self.package).__path__))))

    def _declared_setting(self, short: str) -> Setting:
        found = self.instance_settings().get(short)
        if found is None:
            known = ", ".join(sorted(self.instance_settings()))
            raise KeyError(f"{self.integration} declares no setting {short!r}; known: {known}")
        return found

    def variable(self, short: str) -> str:
        """The override variable of setting ``short`` (``ML_<INSTANCE>_<SHORT>``)."""
        return self._declared_setting(short).env

    def given(self, short: str) -> str:
        """What is set for setting ``short`` as text: its override, else this instance's YAML attribute;
        "" when neither is (the default decides)."""
        override = self._declared_setting(short).given()  # the variable, as every setting's is read
        attribute = getattr(self, short, None)
        return override or ("" if attribute is None else setting_fields.as_text(attribute))

    def setting(self, short: str) -> Any:
        """The instance's setting ``short`` as its kind types it, read when asked: the documented override
        ``ML_<INSTANCE>_<SHORT>`` when set (an operator's, for one process; what the tests set), else this
        instance's YAML attribute, else the default. A refused value names the variable or the file."""
        declared = self._declared_setting(short)
        raw = self.given(short) or declared.default_value()
        try:
            return declared.kind.parse(raw)
        except Refused as refused:  # named where the value came from: the YAML attribute, else the variable
            from_yaml = not declared.given() and getattr(self, short, None) is not None
            where = f"{self.defined_in}: {short}" if from_yaml else declared.env
            raise SettingError(f"{where}={raw!r}: expected {refused}; default {declared.default!r}") from None

    def variables(self) -> dict[str, str]:
        """The settings this instance's attributes set (variable -> text)."""
        return setting_fields.variables(self, self.instance_settings())

    @cached_property
    def parts(self) -> Any:
        """The package's ``IntegrationParts`` for this instance, made by the package's ``wiring.build``
        with this object: its name keys them, its settings are read from it (``setting``; the kit reads them
        through ``flows.instance``), its own connections stand for the systems' settings while it builds
        (a pool's size is read then). A further instance's settings are declared under its name first."""
        wrong = refused_connections(self)
        if wrong:
            raise ValueError(wrong)
        if self.instance != self.integration:
            settings.declare_instance(self.instance, self.instance_settings().values())
        configured_settings.connect(self.instance, setting_fields.connection_variables(self.connections))
        register(self)
        build = getattr(importlib.import_module(f"{self.package}.wiring"), "build", None)
        if build is None:
            raise TypeError(f"{self.package}.wiring has no build(instance): it cannot make an instance")
        with configured_settings.scope(self.instance):
            parts = dataclasses.replace(build(self), package=self.package)
        strays = sorted({spec.flow for spec in parts.specs if spec.integration != self.instance})
        if strays:  # a package naming its flows otherwise than by the instance: they would be another's
            raise ValueError(
                f"{self.defined_in}: {self.integration} cannot run as a further instance "
                f"{self.instance!r}: its flows {', '.join(strays)} keep the integration's name (its flows "
                "must be named after the instance its build is given)"
            )
        return parts

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The instance's own assets, jobs, schedules, sensors and preview job; nothing when the
        ``ML_INTEGRATIONS`` override leaves it out. Refused here, so ``dg check defs`` says what ``dg list
        defs`` and ``dg dev`` would (with or without a ``Connector`` beside it, whichever builds first): a
        sibling instance of the same name or not apart from it (``apartness.named_apart``, as the deployment
        checks), a mapping-table file its attributes name that does not exist (``mapping_files``)."""
        from connector_assets.deployment import integration_definitions, overridden_out

        named_apart(context.component_tree.get_all_components(of_type=IntegrationType))
        if overridden_out(self.instance):
            return dg.Definitions()
        missing = missing_mapping_file(self, self.parts.mapping_tables)
        if missing:
            raise ValueError(missing)
        return integration_definitions(self.parts)


def integration_type(package: str, module: str = REGISTRY) -> type[IntegrationType]:
    """The component type of the integration package ``package``, made as a class stating it would be
    (``SettingsFields``), in ``module`` (where YAML names it): for another project's package of its own,
    which its project's component module names (``Toy = integration_type("toy_project.integrations.toy",
    __name__)``). This project's types are written out in ``connector_assets.components``."""
    name = class_name(package.rpartition(".")[2])
    made = types.new_class(
        name, (IntegrationType,), {"package": package}, lambda body: body.update(__module__=module)
    )
    assert issubclass(made, IntegrationType)
    return made
