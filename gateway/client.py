"""A Python client: uploads a file of any size straight to S3, and downloads by key.

Files up to the multipart threshold go in one PUT; larger ones in parts sent in
parallel. Every part, and every single PUT, carries its SHA-256, which S3 checks. An
interrupted multipart upload leaves a small state file (upload id and object key, no
secrets); the next upload of the same, unchanged file resumes from the parts S3 holds.

Pre-signed URLs and the API key are credentials: nothing here logs or prints them, and
errors carry status codes and S3 error codes, never a URL.
"""

import base64
import hashlib
import json
import logging
import mimetypes
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from urllib.parse import quote

import httpx

MiB = 1024**2
MULTIPART_THRESHOLD = 64 * MiB
DEFAULT_WORKERS = 4
SIGN_BATCH_LIMIT = 100
COMPLETE_LIST_LIMIT = 100
CHUNK_BYTES = MiB

Progress = Callable[[int], None]

# httpx logs every request's full URL at INFO: for a pre-signed URL, its signature.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class TransferError(Exception):
    """Raised when the gateway or S3 refuses a request, or cannot be reached."""

    def __init__(self, message: str, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ProgressBar:
    """A one-line progress bar on stderr; safe to advance from several threads."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self._shown = -1
        self._lock = threading.Lock()

    def __call__(self, advanced: int) -> None:
        with self._lock:
            self.done += advanced
            percent = min(100, self.done * 100 // self.total)
            if percent != self._shown:
                self._shown = percent
                filled = percent * 30 // 100
                bar = "#" * filled + "-" * (30 - filled)
                shown = f"{self.done / MiB:.1f}/{self.total / MiB:.1f} MiB"
                self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {shown}")
                self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class GatewayClient:
    """Talks to one gateway with one API key; S3 requests carry no gateway header."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        workers: int = DEFAULT_WORKERS,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int | None = None,
        state_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.workers = max(1, workers)
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.state_dir = state_dir or default_state_dir()
        self._api = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            transport=transport,
            timeout=timeout,
        )
        self._s3 = httpx.Client(transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return f"GatewayClient(base_url={str(self._api.base_url)!r}, api_key=<hidden>)"

    def __enter__(self) -> "GatewayClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()
        self._s3.close()

    def upload(
        self,
        path: Path,
        *,
        file_name: str | None = None,
        content_type: str | None = None,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> str:
        """Upload `path`; answers the object key the gateway issued."""
        terms: dict[str, Any] = {
            "fileName": file_name or path.name,
            "contentType": content_type or guess_content_type(path),
        }
        if overwrite:
            terms["overwrite"] = True
        size = path.stat().st_size
        advance = progress or (lambda _: None)
        if size <= self.multipart_threshold:
            return self._upload_whole(path, size, terms, advance)

        return MultipartUpload(self, path, size, terms, advance).run()

    def download(
        self, object_key: str, destination: Path, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Download to `destination`, checking the size and, when known, the SHA-256."""
        metadata = self.describe(object_key)
        partial = destination.with_name(destination.name + ".part")
        digest = hashlib.sha256()
        received = 0
        answer = self._send(self._s3, "GET", metadata["downloadURL"], stream=True)
        try:
            with partial.open("wb") as output:
                for chunk in answer.iter_bytes(CHUNK_BYTES):
                    output.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress:
                        progress(len(chunk))
        except httpx.HTTPError as error:
            raise TransferError(f"download failed: {type(error).__name__}") from None
        finally:
            answer.close()
        _check_download(metadata, received, digest)
        partial.replace(destination)

        return metadata

    def describe(self, object_key: str) -> dict[str, Any]:
        """The file's metadata, with a pre-signed `downloadURL`."""
        return self._call(
            "GET",
            f"/files/{quote(object_key)}",
            headers={"Accept": "application/json"},
        )

    def abort(self, object_key: str, upload_id: str) -> None:
        """Abort a multipart upload; S3 drops the parts it holds."""
        self._call(
            "DELETE", f"/uploads/{quote(upload_id)}", params={"objectKey": object_key}
        )

    def _upload_whole(
        self, path: Path, size: int, terms: dict[str, Any], advance: Progress
    ) -> str:
        body: dict[str, Any] = {**terms}
        if size:
            body["size"] = size
            body["checksumSHA256"] = file_sha256(path, 0, size)
        issued = self._call("POST", "/files", json=body)
        with path.open("rb") as source:
            self._put(
                issued["uploadURL"],
                issued["headers"],
                read_range(source, 0, size, advance),
                "the file",
            )
        object_key: str = issued["objectKey"]

        return object_key

    def _put(
        self, url: str, headers: dict[str, str], content: Iterator[bytes], what: str
    ) -> httpx.Response:
        # httpx sends exactly the signed Content-Length instead of chunking.
        return self._send(
            self._s3, "PUT", url, headers=headers, content=content, what=what
        )

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response = self._send(self._api, method, path, **options)
        if response.status_code == 204:
            return {}
        body: dict[str, Any] = response.json()

        return body

    def _send(
        self,
        http: httpx.Client,
        method: str,
        url: str,
        *,
        stream: bool = False,
        what: str = "",
        **options: Any,
    ) -> httpx.Response:
        what = what or f"{method} {url.split('?', 1)[0] if http is self._api else 'S3'}"
        try:
            request = http.build_request(method, url, **options)
            response = http.send(request, stream=stream)
        except httpx.HTTPError as error:
            raise TransferError(f"{what} failed: {type(error).__name__}") from None
        if response.is_success:
            return response
        if stream:
            response.read()
        raise _refusal(response, what)


@dataclass(frozen=True)
class SentPart:
    """A part S3 holds: its ETag, length and (when known) SHA-256."""

    etag: str
    size: int
    checksum_sha256: str | None

    def entry(self, number: int) -> dict[str, Any]:
        entry: dict[str, Any] = {"partNumber": number, "etag": self.etag}
        if self.checksum_sha256:
            entry["checksumSHA256"] = self.checksum_sha256
        return entry


class MultipartUpload:
    """One file sent in parts; resumable while the file stays unchanged."""

    def __init__(
        self,
        client: GatewayClient,
        path: Path,
        size: int,
        terms: dict[str, Any],
        advance: Progress,
    ) -> None:
        self.client = client
        self.path = path
        self.size = size
        self.terms = terms
        self.advance = advance
        self.state_file = client.state_dir / state_name(client, path)

    def run(self) -> str:
        state, done = self._resume() or (self._start(), {})
        self.advance(sum(part.size for part in done.values()))
        missing = [n for n in range(1, state["partCount"] + 1) if n not in done]
        batch = min(SIGN_BATCH_LIMIT, self.client.workers * 2)
        with ThreadPoolExecutor(self.client.workers) as pool:
            for start in range(0, len(missing), batch):
                numbers = missing[start : start + batch]
                done.update(self._send_batch(pool, state, numbers))
        completed = self._complete(state, done)
        self.state_file.unlink(missing_ok=True)

        return completed

    def _resume(self) -> tuple[dict[str, Any], dict[int, "SentPart"]] | None:
        try:
            state: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        try:
            listed = self.client._call(
                "GET",
                f"/uploads/{quote(state['uploadId'])}/parts",
                params={"objectKey": state["objectKey"]},
            )
        except TransferError as error:
            if error.status == 404:
                self.state_file.unlink(missing_ok=True)
                return None
            raise
        # A part S3 holds at its exact length was checked against its signed SHA-256;
        # completion must repeat that checksum, which not every engine lists.
        done = {
            part["partNumber"]: SentPart(
                part["etag"],
                part["size"],
                part.get("checksumSHA256") or self._checksum(state, part["partNumber"]),
            )
            for part in listed["parts"]
            if part["size"] == self._length(state, part["partNumber"])
        }

        return state, done

    def _start(self) -> dict[str, Any]:
        body = {**self.terms, "size": self.size, "checksumAlgorithm": "SHA256"}
        if self.client.part_size:
            body["partSize"] = self.client.part_size
        started = self.client._call("POST", "/uploads", json=body)
        state = {**started, "size": self.size}
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(
            self.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
        )
        with os.fdopen(descriptor, "w") as output:
            json.dump(state, output)

        return state

    def _send_batch(
        self, pool: ThreadPoolExecutor, state: dict[str, Any], numbers: list[int]
    ) -> dict[int, "SentPart"]:
        checksums = list(pool.map(lambda n: self._checksum(state, n), numbers))
        signed = self.client._call(
            "POST",
            f"/uploads/{quote(state['uploadId'])}/parts",
            json={
                "objectKey": state["objectKey"],
                "size": self.size,
                "partSize": state["partSize"],
                "parts": [
                    {"partNumber": n, "checksumSHA256": checksum}
                    for n, checksum in zip(numbers, checksums, strict=True)
                ],
            },
        )
        sent = zip(signed["parts"], checksums, strict=True)
        results = pool.map(lambda sending: self._send_part(state, *sending), sent)

        return dict(results)

    def _send_part(
        self, state: dict[str, Any], part: dict[str, Any], checksum: str
    ) -> tuple[int, "SentPart"]:
        number = part["partNumber"]
        offset = (number - 1) * state["partSize"]
        length = self._length(state, number)
        with self.path.open("rb") as source:
            response = self.client._put(
                part["uploadURL"],
                part["headers"],
                read_range(source, offset, length, self.advance),
                f"part {number}",
            )

        return number, SentPart(response.headers.get("etag", ""), length, checksum)

    def _complete(self, state: dict[str, Any], done: dict[int, "SentPart"]) -> str:
        body: dict[str, Any] = {"objectKey": state["objectKey"]}
        if self.terms.get("overwrite"):
            body["overwrite"] = True
        # Long lists would outgrow the gateway's request limit; it then uses S3's.
        if len(done) <= COMPLETE_LIST_LIMIT:
            body["parts"] = [done[number].entry(number) for number in sorted(done)]
        completed = self.client._call(
            "POST", f"/uploads/{quote(state['uploadId'])}/complete", json=body
        )
        object_key: str = completed["objectKey"]

        return object_key

    def _checksum(self, state: dict[str, Any], number: int) -> str:
        offset = (number - 1) * state["partSize"]
        return file_sha256(self.path, offset, self._length(state, number))

    def _length(self, state: dict[str, Any], number: int) -> int:
        part_size: int = state["partSize"]
        return min(part_size, self.size - (number - 1) * part_size)


def read_range(
    source: BinaryIO, offset: int, length: int, advance: Progress
) -> Iterator[bytes]:
    source.seek(offset)
    remaining = length
    while remaining:
        chunk = source.read(min(CHUNK_BYTES, remaining))
        if not chunk:
            raise TransferError("The file became shorter while it was being sent.")
        remaining -= len(chunk)
        advance(len(chunk))
        yield chunk


def file_sha256(path: Path, offset: int, length: int) -> str:
    """Base64 SHA-256 of `length` bytes of `path` from `offset`."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in read_range(source, offset, length, lambda _: None):
            digest.update(chunk)

    return base64.b64encode(digest.digest()).decode()


def guess_content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "file-gateway" / "uploads"


def state_name(client: GatewayClient, path: Path) -> str:
    """One state file per gateway, file path, size and modification time."""
    status = path.stat()
    identity = "\n".join(
        [
            str(client._api.base_url),
            str(path.resolve()),
            str(status.st_size),
            str(status.st_mtime_ns),
        ]
    )

    return hashlib.sha256(identity.encode()).hexdigest()[:32] + ".json"


def _refusal(response: httpx.Response, what: str) -> TransferError:
    """A gateway problem document or an S3 error, described without the URL."""
    status = response.status_code
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        problem = response.json()
        return TransferError(
            f"{what}: {problem.get('detail', problem.get('title', ''))}",
            status,
            str(problem.get("code", "")),
        )
    text = response.text
    start = text.find("<Code>")
    code = text[start + 6 : text.find("</Code>")] if start >= 0 else ""

    return TransferError(f"{what}: S3 answered {status} {code}".rstrip(), status, code)


def _check_download(metadata: dict[str, Any], received: int, digest: Any) -> None:
    if received != metadata["size"]:
        raise TransferError(
            f"Received {received} bytes, but the object holds {metadata['size']}."
        )
    expected = metadata.get("checksumSHA256")
    # A multipart object's checksum is of its parts' checksums, not of the bytes. S3
    # marks it "...-3"; some engines do not, but every one marks the ETag so.
    multipart = "-" in (expected or "") or "-" in str(metadata.get("etag", ""))
    actual = base64.b64encode(digest.digest()).decode()
    if expected and not multipart and actual != expected:
        raise TransferError("The downloaded bytes do not match the stored SHA-256.")
