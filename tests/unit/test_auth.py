from typing import Any

import pytest

from gateway.auth import (
    ANONYMOUS_TENANT,
    API_KEY_REQUIRED,
    Authenticator,
    create_api_key,
    hash_api_key,
)
from gateway.errors import Unauthorized
from gateway.settings import Settings

KEY, ENTRY = create_api_key("acme")


def authenticator(**overrides: Any) -> Authenticator:
    values: dict[str, Any] = {
        "bucket_name": "bucket",
        "bucket_region": "us-east-1",
        "api_keys": [ENTRY],
    }
    values.update(overrides)
    return Authenticator(Settings(**values))


def test_created_key_is_random_and_its_entry_holds_only_the_digest() -> None:
    other_key, _ = create_api_key("acme")

    assert other_key != KEY
    assert KEY not in ENTRY
    assert f"acme:{hash_api_key(KEY)}" == ENTRY


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": f"Bearer {KEY}"},
        {"authorization": f"bearer {KEY}"},
        {"x-api-key": KEY},
    ],
)
def test_bearer_and_x_api_key_headers_are_accepted(headers: dict[str, str]) -> None:
    assert authenticator().tenant_for(headers, None) == "acme"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer "},
        {"authorization": "Bearer wrong"},
        {"authorization": f"Basic {KEY}"},
        {"x-api-key": KEY[:-1]},
        {"x-api-key": ""},
    ],
)
def test_missing_or_wrong_keys_get_one_and_the_same_answer(
    headers: dict[str, str],
) -> None:
    with pytest.raises(Unauthorized) as raised:
        authenticator().tenant_for(headers, None)

    assert raised.value.detail == API_KEY_REQUIRED
    assert raised.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_access_serves_callers_without_a_key_yet_refuses_wrong_keys() -> None:
    anonymous = authenticator(allow_anonymous=True)

    assert anonymous.tenant_for({}, None) == ANONYMOUS_TENANT
    assert anonymous.tenant_for({"x-api-key": KEY}, None) == "acme"
    with pytest.raises(Unauthorized):
        anonymous.tenant_for({"x-api-key": "wrong"}, None)


@pytest.mark.parametrize(
    "authorizer",
    [
        {"jwt": {"claims": {"sub": "user-1"}, "scopes": None}},
        {"claims": {"sub": "user-1"}},
    ],
    ids=["http-api-v2", "rest-v1-cognito"],
)
def test_jwt_mode_takes_the_tenant_from_verified_claims(
    monkeypatch: pytest.MonkeyPatch, authorizer: dict[str, Any]
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "gateway")
    event = {"requestContext": {"authorizer": authorizer}}

    tenant = authenticator(auth_mode="jwt", api_keys=[]).tenant_for({}, event)

    assert tenant == "user-1"


@pytest.mark.parametrize(
    "event",
    [
        None,
        {"requestContext": {}},
        {"requestContext": {"authorizer": {"claims": {"sub": "../x"}}}},
    ],
)
def test_jwt_mode_refuses_requests_without_a_usable_claim(
    monkeypatch: pytest.MonkeyPatch, event: dict[str, Any] | None
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "gateway")

    with pytest.raises(Unauthorized):
        authenticator(auth_mode="jwt", api_keys=[]).tenant_for({}, event)


def test_repr_reveals_no_digest() -> None:
    assert ENTRY.split(":")[1] not in repr(authenticator())
