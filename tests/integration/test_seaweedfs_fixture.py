"""The fixture itself: a SeaweedFS on loopback that refuses unsigned requests."""

import os
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.integration.seaweedfs import SeaweedFS

TCP_LISTEN = "0A"


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets a process holds open."""
    links = (path.readlink().as_posix() for path in Path(f"/proc/{pid}/fd").iterdir())

    return {link[len("socket:[") : -1] for link in links if link.startswith("socket:[")}


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """IPv4 and IPv6 (host hex, port) pairs a process listens on over TCP."""
    inodes = socket_inodes(pid)
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            host, port = fields[1].split(":")
            if fields[3] == TCP_LISTEN and fields[9] in inodes:
                addresses.add((host, int(port, 16)))

    return addresses


def test_signed_client_can_write_and_read_back(
    seaweedfs: SeaweedFS, bucket: str
) -> None:
    client = seaweedfs.client()
    client.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello")

    body = client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read()

    assert body == b"hello"


def test_unsigned_request_is_refused(seaweedfs: SeaweedFS, bucket: str) -> None:
    response = httpx.get(f"{seaweedfs.endpoint_url}/{bucket}", trust_env=False)

    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text


def test_weed_listens_only_on_loopback_ports_we_chose(seaweedfs: SeaweedFS) -> None:
    loopback = "0100007F"

    addresses = listening_addresses(seaweedfs.pid)

    assert addresses == {(loopback, port) for port in seaweedfs.ports}


def test_credentials_from_the_environment_are_not_accepted(
    seaweedfs: SeaweedFS,
) -> None:
    stray = SeaweedFS(
        endpoint_url=seaweedfs.endpoint_url,
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    ).client()

    with pytest.raises(ClientError) as raised:
        stray.list_buckets()

    assert raised.value.response["Error"]["Code"] == "InvalidAccessKeyId"
