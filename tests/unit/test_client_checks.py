"""The client's check of downloaded bytes against what the gateway says is stored."""

import base64
import hashlib

import pytest

from gateway.client import TransferError, _check_download

DATA = b"the stored bytes"
SHA256 = base64.b64encode(hashlib.sha256(DATA).digest()).decode()


def digest_of(data: bytes) -> "hashlib._Hash":
    return hashlib.sha256(data)


def test_matching_single_put_bytes_pass() -> None:
    _check_download(
        {"size": len(DATA), "checksumSHA256": SHA256, "etag": '"abc"'},
        len(DATA),
        digest_of(DATA),
    )


def test_other_bytes_of_a_single_put_are_refused() -> None:
    other = b"other stored byte"
    with pytest.raises(TransferError, match="do not match"):
        _check_download(
            {"size": len(other), "checksumSHA256": SHA256, "etag": '"abc"'},
            len(other),
            digest_of(other),
        )


@pytest.mark.parametrize(
    "metadata",
    [
        {"checksumSHA256": "AAAA-3", "etag": '"abc-3"'},
        # moto leaves the "-N" off the checksum; the ETag still shows the parts.
        {"checksumSHA256": "AAAA", "etag": '"abc-9"'},
    ],
)
def test_a_multipart_checksum_is_not_compared_with_the_whole_file(
    metadata: dict[str, str],
) -> None:
    _check_download({"size": len(DATA), **metadata}, len(DATA), digest_of(DATA))


def test_a_short_download_is_refused() -> None:
    with pytest.raises(TransferError, match="Received 3 bytes"):
        _check_download({"size": len(DATA)}, 3, digest_of(DATA))
