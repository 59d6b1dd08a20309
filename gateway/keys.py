"""Object key rules: which keys the gateway issues, and which paths name a key.

A key must come back through `GET /files/{key}` unchanged on every runtime, sent raw
or percent-encoded. That rules out `%` (Lambda adapters decode paths), `?` and `#`
(they end a raw path), `\\` (some clients turn it into `/`), control and invisible
format characters (log injection, right-to-left spoofing), and empty or dot segments
(clients and proxies collapse them).
"""

import re
import unicodedata
import uuid
from typing import Literal

from gateway.errors import InvalidObjectKey

S3_KEY_LIMIT_BYTES = 1024
_UNSERVABLE = frozenset("%?#\\")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Cn"})
# Printable ASCII except % # ? \ : the common case, for which normalization and the
# per-character Unicode checks can find nothing, so they are skipped.
_PLAIN_ASCII = re.compile(r"[\x20-\x22\x24\x26-\x3e\x40-\x5b\x5d-\x7e]*")

KeyMode = Literal["unique", "original"]


def make_object_key(file_name: str, mode: KeyMode) -> str:
    """The client-visible key for an upload of `file_name`."""
    if mode == "original":
        return parse_object_key(file_name)

    cleaned = clean_file_name(file_name)
    _check_segments(cleaned)
    folders, _, base_name = cleaned.rpartition("/")
    unique = f"{uuid.uuid4().hex}/{base_name}"
    key = f"{folders}/{unique}" if folders else unique

    return parse_object_key(key)


def clean_file_name(file_name: str) -> str:
    """Replace what cannot round-trip with `_`; refuse what cannot be made safe."""
    name = file_name
    if not _PLAIN_ASCII.fullmatch(name):
        name = unicodedata.normalize("NFC", file_name)
        _refuse_control_characters(name)
        name = "".join("_" if _is_unservable(char) else char for char in name)
    segments = [segment.strip() for segment in name.split("/")]

    return "/".join(segments)


def parse_object_key(key: str) -> str:
    """Return a key taken from a request unchanged, or raise InvalidObjectKey."""
    if not _PLAIN_ASCII.fullmatch(key):
        _refuse_unicode_hazards(key)
    _check_segments(key)
    if len(key.encode()) > S3_KEY_LIMIT_BYTES:
        raise InvalidObjectKey(
            f"The key is longer than S3's {S3_KEY_LIMIT_BYTES}-byte limit."
        )

    return key


def _refuse_unicode_hazards(key: str) -> None:
    _refuse_control_characters(key)
    if key != unicodedata.normalize("NFC", key):
        raise InvalidObjectKey("The key must be in Unicode normal form C.")
    unservable = sorted({char for char in key if _is_unservable(char)})
    if unservable:
        shown = " ".join(repr(char) for char in unservable)
        raise InvalidObjectKey(
            f"The key contains {shown}, which cannot be served back unchanged; "
            "rename the file or use the unique-key mode, which replaces them."
        )


def storage_key(tenant_prefix: str, tenant: str, key: str) -> str:
    """The bucket key behind a tenant's client-visible key."""
    full = f"{tenant_prefix}{tenant}/{key}"
    if len(full.encode()) > S3_KEY_LIMIT_BYTES:
        raise InvalidObjectKey(
            f"The key is longer than S3's {S3_KEY_LIMIT_BYTES}-byte limit."
        )

    return full


def _check_segments(key: str) -> None:
    if not key or not key.strip():
        raise InvalidObjectKey("The file name is empty.")
    if key.startswith("/"):
        raise InvalidObjectKey("The key must not start with '/'.")
    if key.endswith("/"):
        raise InvalidObjectKey("The key must name a file, not end with '/'.")
    for segment in key.split("/"):
        if not segment:
            raise InvalidObjectKey("The key must not contain '//'.")
        if segment in {".", ".."}:
            raise InvalidObjectKey("The key must not contain '.' or '..' segments.")
        if segment != segment.strip():
            raise InvalidObjectKey(
                "A key segment must not start or end with white space."
            )


def _refuse_control_characters(text: str) -> None:
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidObjectKey("The name contains control characters.")


def _is_unservable(char: str) -> bool:
    return char in _UNSERVABLE or unicodedata.category(char) in _INVISIBLE_CATEGORIES
