"""The Kubernetes deployment files (Dockerfile, deploy/helm, deploy/k8s) checked as far as this machine can.

No cluster, no ``helm`` and no Docker daemon here, so: every manifest parses; every variable they feed is
a declared setting or one a ``defs.yaml`` of the project's own deployment reads (``{{ env.X }}``), no
integration's setting is fed (what an instance does is its ``defs.yaml``), and every secret or
production-required setting is fed, itself or through the variable its attribute reads; the values file
uses only the chart keys recorded in deploy/helm/chart_keys.yaml and agrees with
deploy/postgres/dagster.yaml; the names that tie the files together (Secret, ConfigMap, volume, module,
mount paths) match; and the commands the image and the manifests run are run here for real: the code
location loads from the Dockerfile's module, the receiver answers its probe route, the pool-limits Job
sets the limits on an instance.
Building the image is opt-in (``ML_DOCKER_BUILD_TEST=1``) where a Docker daemon exists.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster_server import instance_at
from roots import ROOT

from connector_resources import settings
from connector_resources.settings import Setting, all_settings

HELM_VALUES = ROOT / "deploy" / "helm" / "values.yaml"
CHART_KEYS = ROOT / "deploy" / "helm" / "chart_keys.yaml"
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "Dockerfile"
# Dagster's own storage variables (deploy/postgres/dagster.yaml, the chart's instance): not ours to declare.
DAGSTER_OWN_ENV = re.compile(r"DAGSTER_PG_\w+")
DEFS = ROOT / "connector_assets" / "defs"
# How a defs.yaml attribute reads a variable with Dagster's templating: {{ env.X }} or {{ env('X', ...) }}.
TEMPLATE_READS = re.compile(r"""env(?:\.(\w+)|\(\s*['"](\w+)['"])""")


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _k8s_object(kind: str, name: str) -> dict[str, Any]:
    found = [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        for doc in _docs(path)
        if doc.get("kind") == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"expected one {kind} {name} under deploy/k8s, found {len(found)}"
    return found[0]


def _all_settings() -> list[Setting]:
    return all_settings()


def _values() -> dict[str, Any]:
    return yaml.safe_load(HELM_VALUES.read_text())


def _template_reads() -> dict[str, str]:
    """The variables the project's own instances read (``{{ env.X }}`` in a ``defs.yaml``), each with the
    setting its attribute sets (``JDE_BILL_ACCOUNT_MAP`` -> ``ML_JDE_BILL_ACCOUNT_MAP``)."""
    from connector_assets.components import integration_types

    types = {f"connector_assets.components.{name}": made for name, made in integration_types().items()}
    reads: dict[str, str] = {}
    for path in sorted(DEFS.glob("*/defs.yaml")):
        written = yaml.safe_load(path.read_text())
        made = types.get(written["type"])
        attributes = written.get("attributes") or {}
        for short, value in attributes.items():
            for match in TEMPLATE_READS.finditer(str(value)):
                assert made is not None and not attributes.get("name"), (
                    f"{path}: {short} of {written['type']}"
                )
                reads[match.group(1) or match.group(2)] = made.declared[short].env
    return reads


def _user_deployment() -> dict[str, Any]:
    [deployment] = _values()["dagster-user-deployments"]["deployments"]
    return deployment


def _secret() -> dict[str, Any]:
    [ref] = _user_deployment()["envSecrets"]
    return _k8s_object("Secret", ref["name"])


def _config_map() -> dict[str, Any]:
    [ref] = _user_deployment()["envConfigMaps"]
    return _k8s_object("ConfigMap", ref["name"])


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Any]:
    """A ledger in a SQLite file of the test's own, for an app a probe reaches; disposed afterwards."""
    from connector_resources.ledger import Ledger

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    yield ledger
    ledger.dispose()


def _container(kind: str, name: str) -> dict[str, Any]:
    [container] = _k8s_object(kind, name)["spec"]["template"]["spec"]["containers"]
    return container


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _dockerfile_cmd() -> list[str]:
    [cmd] = [args for op, args in _dockerfile_instructions() if op == "CMD"]
    return json.loads(cmd)  # exec form: the chart and the run launcher replace it with their own args


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """A subprocess environment with no ML_* setting (the sandbox defaults) and a throwaway instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ML_", "DAGSTER_"))}
    env.update(PYTHONPATH=str(ROOT), DAGSTER_HOME=str(tmp_path))
    return env


def _run_clean(args: list[str], tmp_path: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``tmp_path`` with ``_clean_env``, as the image would; it must succeed."""
    done = subprocess.run(
        args, cwd=tmp_path, env=_clean_env(tmp_path), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _flatten(node: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every leaf; list items of mappings appear as ``key[].child``."""
    if isinstance(node, dict) and node:
        for key, child in node.items():
            yield from _flatten(child, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
        for item in node:
            yield from _flatten(item, f"{prefix}[]")
    else:
        yield prefix


# ------------------------------------------------------------------------------------------ parsing


def test_every_deploy_file_parses_and_each_manifest_names_its_kind():
    paths = [HELM_VALUES, CHART_KEYS, *sorted(K8S.glob("*.yaml"))]
    assert len(paths) >= 6
    for path in paths:
        docs = _docs(path)
        assert docs, f"{path} holds no YAML document"
        if path.parent == K8S:
            for doc in docs:
                assert doc.get("apiVersion") and doc.get("kind"), (
                    f"{path}: a document without apiVersion/kind"
                )
                assert doc["metadata"]["name"], f"{path}: a {doc['kind']} without a name"


# ------------------------------------------------------------------------------------------ settings


def test_every_variable_the_manifests_feed_is_a_declared_setting_or_one_a_defs_yaml_reads():
    fed: dict[str, str] = {}
    for name in _secret()["stringData"]:
        fed[name] = "Secret"
    for name in _config_map()["data"]:
        fed[name] = "ConfigMap"
    for kind, name in (
        ("Deployment", "ml-connector-webhooks"),
        ("Deployment", "ml-connector-desk"),
        ("Job", "ml-connector-pool-limits"),
    ):
        for var in _container(kind, name).get("env", []):
            fed[var["name"]] = f"{kind} {name}"
    assert fed
    read_by_defs = _template_reads()
    assert read_by_defs
    for name, where in fed.items():
        if DAGSTER_OWN_ENV.fullmatch(name) or name in read_by_defs:
            continue
        try:
            settings.registered(name)
        except KeyError:
            pytest.fail(
                f"{where} feeds {name}, which connector_resources/settings.py does not declare and no "
                "connector_assets/defs/*/defs.yaml reads"
            )


def test_every_secret_setting_is_in_the_secret_and_none_in_the_config_map():
    secret_keys = set(_secret()["stringData"])
    config_keys = set(_config_map()["data"])
    secret_settings = {s.env for s in _all_settings() if s.secret}
    assert "ML_CONNECTOR_VAULT_KEY" in secret_settings
    assert secret_settings <= secret_keys, f"missing from the Secret: {sorted(secret_settings - secret_keys)}"
    # A PostgreSQL ledger URL carries its password (docs/deployment.md "The ledger").
    assert "ML_CONNECTOR_DB_URL" in secret_keys
    assert not secret_settings & config_keys, (
        f"secrets in the ConfigMap: {sorted(secret_settings & config_keys)}"
    )
    assert not secret_keys & config_keys, f"given twice: {sorted(secret_keys & config_keys)}"


def test_no_integration_setting_is_in_the_config_map():
    """What an instance does is its ``defs.yaml``: a variable ``ML_<INSTANCE>_<NAME>`` in the ConfigMap
    would override its attribute in every process, a second channel the YAML does not show."""
    config_keys = set(_config_map()["data"])
    integration = {s.env for declared in settings.integration_settings().values() for s in declared}
    assert "ML_JDE_BILL_ACCOUNT_MAP" in integration
    assert not integration & config_keys, (
        f"integration settings in the ConfigMap: {sorted(integration & config_keys)}"
    )


def test_the_config_map_sets_what_production_must_set():
    """What the code refuses or gets wrong once a system is real: every address (else the sandbox's),
    every mapping table with a sandbox fallback (mapping_tables.table_path refuses it), and every setting
    whose help says it must be set or is refused unset: in the ConfigMap itself, or (an instance's) through
    the variable its attribute in the project's ``defs.yaml`` reads."""
    config_keys = set(_config_map()["data"])
    set_through_defs = {setting for variable, setting in _template_reads().items() if variable in config_keys}
    required = {s.env for s in _all_settings() if s.is_url}
    required |= {s.env for s in _all_settings() if s.env.endswith("_MAP") and s.default}
    required |= {s.env for s in _all_settings() if "must be set" in s.help or "refused unset" in s.help}
    assert {"ML_JDE_AIS_URL", "ML_JDE_COUPA_ACCOUNT_MAP", "ML_JDE_PROCURIFY_AP_ACCOUNT"} <= required
    unset = required - config_keys - set_through_defs
    assert not unset, f"not set in the ConfigMap: {sorted(unset)}"


def test_mapping_tables_are_read_from_the_mounted_config_map():
    deployment = _user_deployment()
    [mapping_volume] = [v for v in deployment["volumes"] if "configMap" in v]
    [mount] = [m for m in deployment["volumeMounts"] if m["name"] == mapping_volume["name"]]
    tables = {variable for variable, setting in _template_reads().items() if setting.endswith("_MAP")}
    maps = {k: v for k, v in _config_map()["data"].items() if k in tables}
    assert maps
    for name, path in maps.items():
        assert str(Path(path).parent) == mount["mountPath"], (
            f"{name}={path} is not under {mount['mountPath']}"
        )


def test_the_config_map_names_every_mapping_table_an_integration_declares():
    """Every mapping table of every integration (``Deployment.tables``) is read by its instance's
    ``defs.yaml`` from a variable the ConfigMap sets, the optional ones (no sandbox file) as a commented
    line, so a table added to a package shows up here for the person filling the ConfigMap in; a set one
    names its table's file as the sandbox does."""
    from connector_assets.deployment import Deployment, integration_components

    text = (K8S / "config.yaml").read_text()
    commented = set(re.findall(r"^\s*# (\w+_MAP):", text, re.M))
    data = _config_map()["data"]
    read_for = {setting: variable for variable, setting in _template_reads().items()}
    tables = Deployment(integration_components()).tables.values()
    assert tables
    for table in tables:
        variable = read_for.get(table.variable)
        assert variable, (
            f"connector_assets/defs: no defs.yaml reads the file of {table.name} ({table.variable}) from the "
            "environment: write its attribute as a {{ env.X }} template"
        )
        if variable in data:
            assert table.sandbox_file is None or Path(data[variable]).name == Path(table.sandbox_file).name, (
                f"deploy/k8s/config.yaml: {variable} names another file than {table.sandbox_file}"
            )
            continue
        assert table.sandbox_file is None and variable in commented, (
            f"deploy/k8s/config.yaml names no {variable} ({table.name}): add it under 'Mapping tables' "
            "(commented, under 'Optional', when the table has no sandbox file)"
        )


# ------------------------------------------------------------------------------------------ the chart


def test_values_use_only_the_recorded_chart_keys():
    facts = yaml.safe_load(CHART_KEYS.read_text())
    assert facts["chart"] == "dagster/dagster"
    keys: dict[str, str] = facts["keys"]
    assert set(keys.values()) <= {"value", "kubernetes", "instance"}
    passthrough = [k for k, kind in keys.items() if kind in ("kubernetes", "instance")]
    used = set(_flatten(_values()))
    for path in used:
        if path in keys or any(
            path == k or path.startswith(k + ".") or path.startswith(k + "[]") for k in passthrough
        ):
            continue
        pytest.fail(f"deploy/helm/values.yaml sets {path}, not a chart key recorded in {CHART_KEYS.name}")
    # No stale fact either: every recorded key is used.
    stale = [
        k for k in keys if not any(p == k or p.startswith(k + ".") or p.startswith(k + "[]") for p in used)
    ]
    assert not stale, f"recorded but unused: {stale}"


def test_chart_version_matches_the_installed_dagster_release():
    from dagster.version import __version__ as dagster_version

    facts = yaml.safe_load(CHART_KEYS.read_text())
    assert str(facts["chart_version"]).split(".")[:2] == dagster_version.split(".")[:2]
    assert f"--version {facts['chart_version']}" in HELM_VALUES.read_text()


def test_values_agree_with_the_postgres_instance_file():
    """The chart writes the instance's dagster.yaml; it must say what deploy/postgres/dagster.yaml says."""
    instance = yaml.safe_load((ROOT / "deploy" / "postgres" / "dagster.yaml").read_text())
    values = _values()
    pg = values["postgresql"]
    assert pg["postgresqlScheme"] == instance["storage"]["postgres"]["postgres_db"]["scheme"]
    assert pg["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    assert (
        values["global"]["postgresqlSecretName"]
        == _k8s_object("Secret", "dagster-postgresql-secret")["metadata"]["name"]
    )
    assert "postgresql-password" in _k8s_object("Secret", "dagster-postgresql-secret")["stringData"]
    conc = values["concurrency"]
    assert conc["enabled"] is True
    assert conc["pools"]["granularity"] == instance["concurrency"]["pools"]["granularity"]
    assert conc["pools"]["defaultLimit"] == instance["concurrency"]["pools"]["default_limit"]
    assert conc["runs"]["maxConcurrentRuns"] == instance["concurrency"]["runs"]["max_concurrent_runs"]
    # With `concurrency`, a max_concurrent_runs on the run coordinator too would be a second, clashing limit.
    assert "config" not in values["dagsterDaemon"]["runCoordinator"]
    # run_retries goes in whole (the chart's keys would drop retry_on_asset_or_op_failure), not twice.
    assert values["dagsterDaemon"]["runRetries"]["enabled"] is False
    assert values["additionalInstanceConfig"]["run_retries"] == instance["run_retries"]
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is instance["run_monitoring"]["enabled"] is True
    assert monitoring["maxResumeRunAttempts"] == instance["run_monitoring"]["max_resume_run_attempts"]


def test_runs_are_launched_by_k8s_run_launcher_with_no_broker():
    values = _values()
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert all(values[name]["enabled"] is False for name in ("rabbitmq", "redis", "flower"))
    assert _user_deployment()["includeConfigInLaunchedRuns"]["enabled"] is True


def test_code_location_module_is_the_workspace_module_and_the_images_cmd():
    [location] = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    module = location["python_module"]["module_name"]
    args = _user_deployment()["codeServerArgs"]
    assert args[args.index("-m") + 1] == module
    cmd = _dockerfile_cmd()
    assert cmd[:3] == ["dagster", "code-server", "start"]
    assert cmd[cmd.index("-m") + 1] == module
    assert cmd[cmd.index("-p") + 1] == str(_user_deployment()["port"])


def test_staging_lives_on_the_shared_volume_under_dagster_home(monkeypatch):
    from connector_assets.runtime.staging import StagingResource

    values = _values()
    home = values["global"]["dagsterHome"]
    dockerfile_env = " ".join(args for op, args in _dockerfile_instructions() if op == "ENV")
    assert f"DAGSTER_HOME={home}" in dockerfile_env
    deployment = _user_deployment()
    [pvc_volume] = [v for v in deployment["volumes"] if "persistentVolumeClaim" in v]
    claim = _k8s_object("PersistentVolumeClaim", pvc_volume["persistentVolumeClaim"]["claimName"])
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    [mount] = [m for m in deployment["volumeMounts"] if m["name"] == pvc_volume["name"]]
    monkeypatch.setenv("DAGSTER_HOME", home)
    assert mount["mountPath"] == str(StagingResource().root())


# ------------------------------------------------------------------------------------------ the image


def test_dockerfile_builds_a_non_root_311_image_without_entrypoint():
    instructions = _dockerfile_instructions()
    [base] = [args for op, args in instructions if op == "FROM"]
    assert base == "python:3.11-slim"
    # The chart (codeServerArgs) and K8sRunLauncher pass `args:` only: an ENTRYPOINT would prefix them.
    assert not [op for op, _ in instructions if op == "ENTRYPOINT"]
    [user] = [args for op, args in instructions if op == "USER"]
    assert user.isdigit() and user != "0"
    run_as = {
        _user_deployment()["podSecurityContext"]["runAsUser"],
        _k8s_object("Deployment", "ml-connector-webhooks")["spec"]["template"]["spec"]["securityContext"][
            "runAsUser"
        ],
        _k8s_object("Job", "ml-connector-pool-limits")["spec"]["template"]["spec"]["securityContext"][
            "runAsUser"
        ],
    }
    assert run_as == {int(user)}
    installs = [args for op, args in instructions if op == "RUN" and "pip install" in args]
    assert installs and all("[dev]" not in args for args in installs)


def test_the_image_installs_the_k8s_extra_pinned_to_the_dagster_postgres_line():
    """dagster-k8s and dagster-postgres are released together (0.29.x with dagster 1.13.x); the image
    installs the runtime lock (the project's dependencies with its k8s extra, and celery, for the Celery
    profile's workers, and s3, for staging in a bucket: tests/project/test_lock.py checks the lock's extras),
    then the project itself without dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [postgres] = [d for d in project["dependencies"] if d.startswith("dagster-postgres")]
    [k8s] = project["optional-dependencies"]["k8s"]
    assert k8s.removeprefix("dagster-k8s") == postgres.removeprefix("dagster-postgres")
    installs = [
        shlex.split(command)
        for op, args in _dockerfile_instructions()
        if op == "RUN"
        for command in args.split("&&")
        if "pip install" in command
    ]
    assert installs == [
        ["pip", "install", "--require-hashes", "-r", "requirements/pip.txt"],
        ["pip", "install", "--require-hashes", "-r", "requirements/runtime.txt"],
        ["pip", "install", "--no-deps", "."],
    ]


def test_dockerignore_keeps_what_the_image_copies_and_drops_local_state():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip()[:1] not in ("", "#")
    }
    copied = [src for op, args in _dockerfile_instructions() if op == "COPY" for src in args.split()[:-1]]
    assert "pyproject.toml" in copied and "mappings" in copied
    for source in copied:
        assert source.rstrip("/") not in ignored, f"the Dockerfile copies {source}, which .dockerignore drops"
    assert {".venv", ".dagster_home", "*.sqlite", ".git"} <= ignored


def test_the_images_command_flags_are_ones_code_server_takes(tmp_path):
    """`--help` after the CMD's options: click rejects an unknown option before printing help."""
    cmd = _dockerfile_cmd()
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), *cmd[1:], "--help"],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_the_code_location_loads_from_the_images_module(tmp_path):
    """What the code server does first: import the module and load its Definitions (in a fresh process,
    from another directory, with no ML_* setting)."""
    cmd = _dockerfile_cmd()
    module = cmd[cmd.index("-m") + 1]
    dagster = Path(sys.executable).with_name("dagster")
    done = _run_clean([str(dagster), "definitions", "validate", "-m", module], tmp_path, 240)
    assert "Validation successful" in done.stdout + done.stderr


@pytest.mark.skipif(
    os.environ.get("ML_DOCKER_BUILD_TEST") != "1",
    reason="building the image is opt-in: ML_DOCKER_BUILD_TEST=1 (needs a Docker daemon and PyPI)",
)
def test_the_image_builds_and_its_module_imports():
    assert shutil.which("docker"), "ML_DOCKER_BUILD_TEST=1 but no docker client"
    tag = "ml-connector:deploy-test"
    build = subprocess.run(
        ["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    module = _dockerfile_cmd()[_dockerfile_cmd().index("-m") + 1]
    check = (
        f"import importlib, dagster_k8s, dagster_postgres; importlib.import_module({module!r}); "
        "import os; assert os.getuid() != 0; "
        "import importlib.util; assert importlib.util.find_spec('connector_sandbox') is None"  # dev only
    )
    run = subprocess.run(
        ["docker", "run", "--rm", tag, "python", "-c", check], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


# ------------------------------------------------------------------------------------------ the receiver


def _runs_the_cli_command(name: str, command: Any) -> dict[str, Any]:
    """Deployment ``name``'s container, checked to run the click ``command`` (``ml-connector <command>``) on
    all addresses, to expose the port the command listens on and to read the chart's secret and config map,
    its service selecting its pods: what every long-running ``ml-connector`` deployment must be."""
    deployment = _k8s_object("Deployment", name)
    container = _container("Deployment", name)
    args = container["command"]
    assert args[:2] == ["ml-connector", command.name]
    params = command.make_context(command.name, list(args[2:])).params
    assert params["host"] == "0.0.0.0"
    assert [p["containerPort"] for p in container["ports"]] == [params["port"]]
    refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert refs == {_secret()["metadata"]["name"], _config_map()["metadata"]["name"]}
    service = _k8s_object("Service", name)
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    return container


def _probes_answer(container: dict[str, Any], app: Any) -> None:
    """Both probes of ``container`` get a 200 from ``app``, served in-process with its lifespan run (what a
    probe of a started pod meets) and without binding a port."""
    from starlette.testclient import TestClient

    paths = {container[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe")}
    with TestClient(app) as client:
        for path in paths:
            assert client.get(path).status_code == 200, path


def test_webhook_receiver_deployment_runs_two_replicas_of_the_cli_command(tmp_path):
    from connector_cli.dev import webhooks_command

    assert _k8s_object("Deployment", "ml-connector-webhooks")["spec"]["replicas"] == 2
    _runs_the_cli_command("ml-connector-webhooks", webhooks_command)


# Starlette's TestClient warns that it will move from httpx to httpx2; it still runs the app's lifespan
# (the inbox writer) in-process, which is what a probe meets, without binding a port.
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_webhook_receiver_probes_hit_a_route_that_answers(sqlite_ledger):
    from connector_resources.webhooks import create_receiver

    _probes_answer(_container("Deployment", "ml-connector-webhooks"), create_receiver({}, sqlite_ledger))


# ------------------------------------------------------------------------------------------ the desk


def test_the_desk_deployment_runs_the_cli_command_on_all_addresses_with_a_probe_that_answers(sqlite_ledger):
    from connector_cli.desk.app import build_app
    from connector_cli.desk.command import desk
    from connector_cli.desk.identity import Access

    container = _runs_the_cli_command("ml-connector-desk", desk)
    assert "ML_DESK_LOCAL_OPERATOR" not in {v["name"] for v in container["env"]}  # never off make dev
    _probes_answer(container, build_app(sqlite_ledger, Access()))


# ------------------------------------------------------------------------------------------ pool limits


def test_pool_limits_job_sets_the_write_pools_on_an_instance(tmp_path):
    container = _container("Job", "ml-connector-pool-limits")
    assert container["command"][:2] == ["python", "-c"]
    done = _run_clean([sys.executable, "-c", container["command"][2]], tmp_path, 240)
    printed = dict(
        item.split("=") for item in done.stdout.strip().removeprefix("pools limited: ").split(", ") if item
    )
    assert "write_jde" in printed and "write_coupa" in printed
    with instance_at(tmp_path) as instance:
        for pool, limit in printed.items():
            assert instance.event_log_storage.get_concurrency_info(pool).slot_count == int(limit), pool
    # It mounts the chart's instance file where DAGSTER_HOME says.
    env = {e["name"]: e.get("value") for e in container["env"]}
    [mount] = container["volumeMounts"]
    assert mount["mountPath"] == f"{env['DAGSTER_HOME']}/dagster.yaml" and mount["subPath"] == "dagster.yaml"


def test_filled_in_secrets_are_kept_out_of_git():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(K8S / "secrets.yaml")], cwd=ROOT, capture_output=True
    )
    assert ignored.returncode == 0, "deploy/k8s/secrets.yaml (the filled-in copy) is not git-ignored"


def test_the_shipped_instances_open_the_ui_without_the_community_dialog(tmp_path):
    """The "Join the Dagster community" dialog stays off for an operator's first visit: Dagster's
    own instance reads the embedded file that way, and the production file says the same."""
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with instance_at(tmp_path) as instance:
        assert instance.nux_enabled is False
    production = yaml.safe_load((ROOT / "deploy" / "postgres" / "dagster.yaml").read_text())
    assert production["nux"] == {"enabled": False}
