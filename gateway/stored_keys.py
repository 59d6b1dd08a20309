"""API key hashes read once at start-up from Secrets Manager or SSM Parameter Store.

`GATEWAY_API_KEYS_SECRET_ARN` names a secret whose string value, and
`GATEWAY_API_KEYS_PARAMETER_NAME` an SSM (SecureString) parameter whose value, is the
same `tenant:sha256hex` list as `GATEWAY_API_KEYS`, separated by commas or line
breaks. An empty value means no keys yet: the gateway starts and refuses every key.

A client is built only when one of those settings is set, and the value is fetched
once per process (on Lambda, once per cold start), never per request. Errors name the
variable and what is wrong, never the value: a mistaken entry may be a raw key.
"""

import logging
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gateway.settings import (
    API_KEY_HASH_PATTERN,
    TENANT_ID_PATTERN,
    Settings,
    SettingsError,
)

logger = logging.getLogger(__name__)

ENTRY_RULE = "tenant:sha256-hex as printed by 'file-gateway create-api-key'"
_REASONS = {
    "ResourceNotFoundException": "does not exist or has no current value",
    "ParameterNotFound": "does not exist",
    "AccessDeniedException": "may not be read by this role (grant "
    "secretsmanager:GetSecretValue or ssm:GetParameter on it)",
    "DecryptionFailure": "cannot be decrypted with its KMS key by this role",
    "InvalidKeyId": "cannot be decrypted with its KMS key by this role",
}


def with_stored_api_keys(settings: Settings, client: Any = None) -> Settings:
    """Settings with `api_keys` filled from the configured secret or parameter."""
    variable = settings.api_keys_source
    if variable is None:
        return settings
    text = _fetch(settings, variable, client)
    entries = parse_api_key_entries(text, variable)
    if entries:
        logger.info("read %d API key hashes from %s", len(entries), variable)
    else:
        logger.warning(
            "%s holds no API keys yet: every request is refused until one is added",
            variable,
        )

    return settings.model_copy(update={"api_keys": entries})


def parse_api_key_entries(text: str, variable: str) -> list[str]:
    entries = [entry for entry in re.split(r"[,\s]+", text) if entry]
    for number, entry in enumerate(entries, start=1):
        tenant, _, digest = entry.partition(":")
        if not (
            TENANT_ID_PATTERN.fullmatch(tenant)
            and API_KEY_HASH_PATTERN.fullmatch(digest)
        ):
            raise SettingsError(
                f"{variable}: entry {number} of the stored value is not {ENTRY_RULE} "
                "(raw keys are never stored; the entry is not shown)"
            )

    return entries


def _fetch(settings: Settings, variable: str, client: Any) -> str:
    try:
        if settings.api_keys_secret_arn:
            return _read_secret(settings.api_keys_secret_arn, client)
        return _read_parameter(str(settings.api_keys_parameter_name), client)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        reason = _REASONS.get(code, "could not be read")
        raise SettingsError(f"{variable}: the value {reason} ({code})") from error
    except BotoCoreError as error:
        raise SettingsError(
            f"{variable}: could not be read ({type(error).__name__}); check the "
            "AWS region, credentials and network access to the service"
        ) from error


def _read_secret(arn: str, client: Any) -> str:
    # The ARN names the secret's region; where the gateway runs does not matter.
    region = arn.split(":")[3]
    client = client or _aws_client("secretsmanager", region_name=region)
    response = client.get_secret_value(SecretId=arn)
    if "SecretString" not in response:
        raise SettingsError(
            "GATEWAY_API_KEYS_SECRET_ARN: the secret holds binary data; store the "
            "list as text"
        )

    return str(response["SecretString"])


def _read_parameter(name: str, client: Any) -> str:
    client = client or _aws_client("ssm")
    response = client.get_parameter(Name=name, WithDecryption=True)

    return str(response["Parameter"]["Value"])


def _aws_client(service: str, **options: Any) -> Any:
    # Imported here, not at the top: boto3 adds about a tenth of a second to every
    # cold start, and keys configured in the environment never need it.
    import boto3
    from botocore.config import Config

    # Start-up must fail fast rather than hang a cold start on an unreachable endpoint.
    config = Config(
        connect_timeout=3,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 3},
    )

    # boto3's stubs type clients per literal service name; callers use the result
    # through the few methods they call.
    make_client: Any = boto3.client

    return make_client(service, config=config, **options)
