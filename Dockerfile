# The ml-connector code location as an image, for Dagster's official Helm chart (deploy/helm/values.yaml)
# and the webhook receiver (deploy/k8s/webhook-receiver.yaml). `make dev` does not use it.
#
# The chart starts the user-code Deployment with `args:` (`dagster code-server start -h 0.0.0.0 -p 3030
# -m connector_assets.definitions`) and K8sRunLauncher starts each run's Job with `args:` too
# (`dagster api execute_run ...`), so the image sets no ENTRYPOINT: those args must be the whole command.
# CMD below is what `docker run IMAGE` serves on its own.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home

WORKDIR /opt/ml-connector

# The locked dependencies first, a layer of their own that a code change leaves alone: requirements/runtime.txt
# pins (with hashes) the project's dependencies with its `k8s` extra (dagster-k8s: every run pod loads the
# instance the chart writes, whose run_launcher is K8sRunLauncher), its `celery` extra (dagster-celery, for
# the ML_RUN_EXECUTOR=celery profile, whose workers run this same image) and its `s3` extra (s3fs, for
# ML_STAGING_URL=s3://...), not its dev tools. `make lock` writes it from pyproject.toml. The locked pip
# first (requirements/pip.txt): an older pip rejects the lock (Makefile, PIP_LOCK).
COPY requirements/pip.txt requirements/runtime.txt ./requirements/
RUN pip install --require-hashes -r requirements/pip.txt \
    && pip install --require-hashes -r requirements/runtime.txt

# Then the project itself, without dependencies (all of them are in the lock); `pip check` fails the build
# if one the project needs is missing from the lock (tests/project/test_lock.py catches it first). Not the
# API simulators (connector_sandbox, sandbox/): a development package, which .dockerignore keeps out of the
# build context and the wheel leaves out anyway; `ml-connector dev` and `sandbox` say so here.
COPY pyproject.toml README.md ./
COPY connector_assets ./connector_assets
COPY connector_resources ./connector_resources
COPY connector_cli ./connector_cli
RUN pip install --no-deps . && pip check

# The sandbox mapping tables, for reference only: production tables are mounted from a ConfigMap
# (deploy/k8s/config.yaml sets every ML_*_MAP to them).
COPY mappings ./mappings

# Non-root. DAGSTER_HOME holds the instance file the chart mounts, the local compute logs and the
# staging folder (a shared volume in the cluster), so the user owns it.
RUN useradd --create-home --uid 10001 --user-group dagster \
    && mkdir -p "$DAGSTER_HOME/staging" \
    && chown -R dagster:dagster "$DAGSTER_HOME"
USER 10001

EXPOSE 3030
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "3030", "-m", "connector_assets.definitions"]
