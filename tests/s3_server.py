"""A real S3-compatible server for tests: moto in server mode, as its own process on a port the OS picks.

Tests reach it as production reaches S3 or MinIO: through s3fs, with the endpoint and credentials in the
standard AWS variables (``AWS_ENDPOINT_URL_S3``, ...), which botocore reads itself. A process rather than
moto's in-process mock, so the staging code talks HTTP to a server exactly as it would to MinIO, and a
writer killed with SIGKILL leaves behind whatever a real store would keep (an unfinished upload).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from step_processes import stop_process

# Test credentials for the local server only (moto accepts any); set for the tests' processes and their
# children, never logged.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "staging-tests",
    "AWS_SECRET_ACCESS_KEY": "staging-tests-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def environ(self) -> dict[str, str]:
        """The variables that point s3fs (botocore) at this server."""
        return {**AWS_ENV, "AWS_ENDPOINT_URL_S3": self.endpoint}

    def new_bucket(self) -> str:
        """A fresh, empty bucket's name."""
        import fsspec

        name = f"staging-{uuid.uuid4().hex[:16]}"
        fsspec.filesystem("s3", use_listings_cache=False).mkdir(name)
        return name

    def unfinished_uploads(self, bucket: str) -> list[str]:
        """Keys with a multipart upload started and neither completed nor aborted."""
        import fsspec

        fs = fsspec.filesystem("s3", use_listings_cache=False)
        return [u["Key"] for u in fs.call_s3("list_multipart_uploads", Bucket=bucket).get("Uploads", [])]


@contextmanager
def moto_server(log_dir: Path) -> Iterator[S3Server]:
    """Start ``moto_server`` on 127.0.0.1 and a free port (``-p 0``: the OS chooses, the server prints it),
    point this process's AWS variables at it, and stop it afterwards."""
    log = log_dir / "moto_server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from moto.server import main; main()", "-H", "127.0.0.1", "-p", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
            if found:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        server = S3Server(found.group(1))
        saved = {key: os.environ.get(key) for key in server.environ()}
        os.environ.update(server.environ())
        _forget_s3_clients()
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            _forget_s3_clients()
    finally:
        stop_process(process)


def _forget_s3_clients() -> None:
    """fsspec keeps one S3 file system per set of options in a process, its client bound to the endpoint
    of its first call; a later test module's server (another port) needs a new one."""
    from s3fs import S3FileSystem

    S3FileSystem.clear_instance_cache()
