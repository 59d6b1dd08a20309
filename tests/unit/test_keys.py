import re

import pytest

from gateway.errors import InvalidObjectKey
from gateway.keys import make_object_key, parse_object_key, storage_key

UNIQUE = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("file_name", "folders", "base_name"),
    [
        ("a.png", "", "a.png"),
        ("résumé final+v2 (1)=x.pdf", "", "résumé final+v2 (1)=x.pdf"),
        ("uploads/ab/a.png", "uploads/ab/", "a.png"),
        ("100% done?#.txt", "", "100_ done__.txt"),
        ("back\\slash.txt", "", "back_slash.txt"),
        ("evil\u202etxt.exe", "", "evil_txt.exe"),
        (" padded name.txt ", "", "padded name.txt"),
        ("cafe\u0301.txt", "", "café.txt"),
    ],
)
def test_unique_mode_keeps_folders_and_a_clean_name_after_an_id(
    file_name: str, folders: str, base_name: str
) -> None:
    key = make_object_key(file_name, "unique")

    assert key.startswith(folders)
    unique, name = key[len(folders) :].split("/", 1)
    assert UNIQUE.fullmatch(unique)
    assert name == base_name


def test_two_uploads_of_one_name_never_collide() -> None:
    assert make_object_key("a.png", "unique") != make_object_key("a.png", "unique")


def test_original_mode_uses_the_name_as_the_key() -> None:
    assert make_object_key("reports/2024 q1+final=1.pdf", "original") == (
        "reports/2024 q1+final=1.pdf"
    )


@pytest.mark.parametrize(
    ("file_name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (".", "'.' or '..'"),
        ("..", "'.' or '..'"),
        ("../../x", "'.' or '..'"),
        ("a/./b", "'.' or '..'"),
        ("/etc/passwd", "start with '/'"),
        ("a//b", "'//'"),
        ("folder/", "not end with '/'"),
        ("a\x00b", "control"),
        ("line\r\nbreak", "control"),
        ("tab\there", "control"),
        ("x" * 1025, "1024-byte"),
        ("é" * 513, "1024-byte"),
    ],
)
@pytest.mark.parametrize("mode", ["unique", "original"])
def test_names_that_cannot_be_made_safe_are_refused(
    file_name: str, reason: str, mode: str
) -> None:
    with pytest.raises(InvalidObjectKey, match=re.escape(reason)):
        make_object_key(file_name, mode)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "file_name", ["50%.txt", "what?.txt", "a#b", "a\\b", "x\u200by"]
)
def test_original_mode_refuses_names_that_cannot_round_trip_and_says_why(
    file_name: str,
) -> None:
    with pytest.raises(InvalidObjectKey, match="cannot be served back unchanged"):
        make_object_key(file_name, "original")


def test_parse_object_key_returns_a_valid_key_unchanged() -> None:
    assert parse_object_key("uploads/ab/a b+c=d.png") == "uploads/ab/a b+c=d.png"


def test_storage_key_puts_the_tenant_prefix_first_and_checks_the_total_length() -> None:
    assert storage_key("tenants/", "acme", "a/b.png") == "tenants/acme/a/b.png"
    with pytest.raises(InvalidObjectKey):
        storage_key("tenants/", "acme", "x" * 1015)
