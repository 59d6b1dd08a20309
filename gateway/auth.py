"""Who is calling: API keys mapped to tenants, or claims API Gateway has verified.

Only SHA-256 digests of API keys are configured. Keys are 256-bit random tokens, so
a plain digest is as strong as a slow password hash here, at microseconds a request.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from gateway.errors import Unauthorized
from gateway.settings import TENANT_ID_PATTERN, Settings

ANONYMOUS_TENANT = "anonymous"
API_KEY_PREFIX = "fgw_"
API_KEY_REQUIRED = (
    "A valid API key is required: send it as 'Authorization: Bearer <key>' or "
    "'X-Api-Key: <key>'."
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="file-gateway"'}


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_api_key(tenant: str) -> tuple[str, str]:
    """A new random key and the `GATEWAY_API_KEYS` entry that accepts it."""
    if not TENANT_ID_PATTERN.fullmatch(tenant):
        raise ValueError("a tenant is letters, digits and . _ @ + - (at most 128)")
    api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)

    return api_key, f"{tenant}:{hash_api_key(api_key)}"


class Authenticator:
    """Decides the tenant of a request, or raises Unauthorized."""

    def __init__(self, settings: Settings) -> None:
        self._mode = settings.auth_mode
        self._claim = settings.jwt_tenant_claim
        self._anonymous = settings.allow_anonymous
        self._digests = [_parse_entry(entry) for entry in settings.api_keys]

    def __repr__(self) -> str:
        return f"Authenticator(mode={self._mode!r}, keys={len(self._digests)})"

    def tenant_for(
        self, headers: Mapping[str, str], event: Mapping[str, Any] | None
    ) -> str:
        if self._mode == "jwt":
            return _tenant_from_claims(event, self._claim)
        presented = _presented_key(headers)
        if presented is None and self._anonymous:
            return ANONYMOUS_TENANT

        return self._tenant_for_key(presented)

    def _tenant_for_key(self, presented: str | None) -> str:
        digest = hashlib.sha256((presented or "").encode()).digest()
        tenant = None
        # Every entry is compared, so timing says nothing about which one matched.
        for known_digest, known_tenant in self._digests:
            if hmac.compare_digest(digest, known_digest) and presented:
                tenant = known_tenant
        if tenant is None:
            raise Unauthorized(API_KEY_REQUIRED, headers=_CHALLENGE)

        return tenant


def _parse_entry(entry: str) -> tuple[bytes, str]:
    tenant, _, digest = entry.partition(":")

    return bytes.fromhex(digest), tenant


def _presented_key(headers: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        return credentials.strip() if scheme.lower() == "bearer" else ""

    return headers.get("x-api-key")


def _tenant_from_claims(event: Mapping[str, Any] | None, claim: str) -> str:
    authorizer = ((event or {}).get("requestContext") or {}).get("authorizer") or {}
    # HTTP API JWT authorizers nest claims under "jwt"; REST Cognito authorizers do not.
    claims = (
        (authorizer.get("jwt") or {}).get("claims") or authorizer.get("claims") or {}
    )
    tenant = claims.get(claim)
    if not isinstance(tenant, str) or not TENANT_ID_PATTERN.fullmatch(tenant):
        raise Unauthorized(
            "The request carries no verified identity.", headers=_CHALLENGE
        )

    return tenant
