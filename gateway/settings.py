"""Settings read once from the environment and validated at start-up.

Every setting is `GATEWAY_<NAME>`; the four names of the original two-function design
(`BUCKET_NAME`, `UPLOAD_URL_EXPIRES_SECONDS`, `DOWNLOAD_URL_EXPIRES_SECONDS`,
`REDIRECT_STATUS_CODE`) and `S3_ENDPOINT_URL` are accepted as well.
"""

import os
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MAX_SIGV4_EXPIRY_SECONDS = 604_800
SINGLE_PUT_LIMIT_BYTES = 5 * 1024**3
MULTIPART_LIMIT_BYTES = 5 * 1024**4
LIST_PAGE_LIMIT = 1000
TENANT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
API_KEY_HASH_PATTERN = re.compile(r"[0-9a-f]{64}")
SECRET_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$"  # noqa: S105  # an ARN pattern, not a password

Seconds = Annotated[int, Field(ge=1, le=MAX_SIGV4_EXPIRY_SECONDS)]
CommaList = Annotated[list[str], NoDecode]


class SettingsError(Exception):
    """Raised at start-up when the environment holds an invalid setting."""


def _env(name: str, *legacy: str) -> AliasChoices:
    return AliasChoices(f"GATEWAY_{name}", *legacy)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", validate_by_name=True, hide_input_in_errors=True
    )

    bucket_name: str = Field(
        min_length=3, max_length=63, validation_alias=_env("BUCKET_NAME", "BUCKET_NAME")
    )
    bucket_region: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        validation_alias=_env("BUCKET_REGION"),
    )
    s3_endpoint_url: str | None = Field(
        default=None, validation_alias=_env("S3_ENDPOINT_URL", "S3_ENDPOINT_URL")
    )
    upload_url_expires_seconds: Seconds = Field(
        default=300,
        validation_alias=_env(
            "UPLOAD_URL_EXPIRES_SECONDS", "UPLOAD_URL_EXPIRES_SECONDS"
        ),
    )
    download_url_expires_seconds: Seconds = Field(
        default=3600,
        validation_alias=_env(
            "DOWNLOAD_URL_EXPIRES_SECONDS", "DOWNLOAD_URL_EXPIRES_SECONDS"
        ),
    )
    redirect_status_code: Literal[302, 303, 307] = Field(
        default=302,
        validation_alias=_env("REDIRECT_STATUS_CODE", "REDIRECT_STATUS_CODE"),
    )
    base_path: str = Field(default="", validation_alias=_env("BASE_PATH"))
    object_key_mode: Literal["unique", "original"] = Field(
        default="unique", validation_alias=_env("OBJECT_KEY_MODE")
    )
    tenant_prefix: str = Field(
        default="tenants/",
        pattern=r"^([A-Za-z0-9._-]+/)*$",
        validation_alias=_env("TENANT_PREFIX"),
    )
    cors_allow_origins: CommaList = Field(
        default_factory=list, validation_alias=_env("CORS_ALLOW_ORIGINS")
    )
    auth_mode: Literal["api_key", "jwt"] = Field(
        default="api_key", validation_alias=_env("AUTH_MODE")
    )
    api_keys: CommaList = Field(default_factory=list, validation_alias=_env("API_KEYS"))
    allow_anonymous: bool = Field(
        default=False, validation_alias=_env("ALLOW_ANONYMOUS")
    )
    jwt_tenant_claim: str = Field(
        default="sub", min_length=1, validation_alias=_env("JWT_TENANT_CLAIM")
    )
    allow_overwrite: bool = Field(
        default=False, validation_alias=_env("ALLOW_OVERWRITE")
    )
    max_upload_bytes: int = Field(
        default=SINGLE_PUT_LIMIT_BYTES,
        ge=1,
        le=SINGLE_PUT_LIMIT_BYTES,
        validation_alias=_env("MAX_UPLOAD_BYTES"),
    )
    require_size: bool = Field(default=False, validation_alias=_env("REQUIRE_SIZE"))
    allowed_content_types: CommaList = Field(
        default_factory=lambda: ["*/*"], validation_alias=_env("ALLOWED_CONTENT_TYPES")
    )
    max_request_bytes: int = Field(
        default=16_384,
        ge=1024,
        le=1_048_576,
        validation_alias=_env("MAX_REQUEST_BYTES"),
    )
    # Where the API key hashes live when they are not in GATEWAY_API_KEYS: read once
    # at start-up by gateway.secrets, so a stack needs no secret in its template.
    api_keys_secret_arn: str | None = Field(
        default=None,
        pattern=SECRET_ARN_PATTERN,
        validation_alias=_env("API_KEYS_SECRET_ARN"),
    )
    api_keys_parameter_name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_./-]{1,2048}$|^arn:aws[a-z-]*:ssm:\S+$",
        validation_alias=_env("API_KEYS_PARAMETER_NAME"),
    )

    max_multipart_upload_bytes: int = Field(
        default=MULTIPART_LIMIT_BYTES,
        ge=1,
        le=MULTIPART_LIMIT_BYTES,
        validation_alias=_env("MAX_MULTIPART_UPLOAD_BYTES"),
    )
    allow_delete: bool = Field(default=True, validation_alias=_env("ALLOW_DELETE"))
    max_list_page_size: int = Field(
        default=LIST_PAGE_LIMIT,
        ge=1,
        le=LIST_PAGE_LIMIT,
        validation_alias=_env("MAX_LIST_PAGE_SIZE"),
    )

    @field_validator(
        "cors_allow_origins", "api_keys", "allowed_content_types", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("redirect_status_code", mode="before")
    @classmethod
    def _parse_status(cls, value: Any) -> Any:
        return (
            int(value) if isinstance(value, str) and value.strip().isdigit() else value
        )

    @field_validator("base_path")
    @classmethod
    def _normalise_base_path(cls, value: str) -> str:
        stripped = value.strip().strip("/")
        if not stripped:
            return ""
        if not re.fullmatch(r"[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*", stripped):
            raise ValueError(
                "must be path segments of letters, digits, '.', '_', '~' or '-'"
            )
        return f"/{stripped}"

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"https?://[^/?#\s]+/?", value):
            raise ValueError(
                "must be an http:// or https:// URL with no path, e.g. http://127.0.0.1:8333"
            )
        return value.rstrip("/")

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            tenant, _, digest = entry.partition(":")
            if not TENANT_ID_PATTERN.fullmatch(
                tenant
            ) or not API_KEY_HASH_PATTERN.fullmatch(digest):
                raise ValueError(
                    "each entry must be tenant:sha256-hex as printed by "
                    "'file-gateway create-api-key' (raw keys are never configured)"
                )
        return entries

    @field_validator("allowed_content_types")
    @classmethod
    def _check_content_type_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not re.fullmatch(
                r"(\*/\*|[a-z0-9.+-]+/\*|[a-z0-9.+-]+/[a-z0-9.+-]+)", pattern
            ):
                raise ValueError(
                    f"{pattern!r} is not a media type or a pattern like image/*"
                )
        return patterns

    @model_validator(mode="after")
    def _check_combinations(self) -> "Settings":
        if self.bucket_region is None and self.s3_endpoint_url is None:
            raise ValueError(
                "GATEWAY_BUCKET_REGION is required on AWS: name the bucket's region "
                "(for example eu-west-2); it is never taken from where the code runs"
            )
        sources = [
            self.api_keys,
            self.api_keys_secret_arn,
            self.api_keys_parameter_name,
        ]
        if sum(1 for source in sources if source) > 1:
            raise ValueError(
                "set only one of GATEWAY_API_KEYS, GATEWAY_API_KEYS_SECRET_ARN and "
                "GATEWAY_API_KEYS_PARAMETER_NAME"
            )
        if self.auth_mode == "jwt" and self.api_keys_source is not None:
            raise ValueError(
                f"GATEWAY_AUTH_MODE=jwt reads no API keys: unset {self.api_keys_source}"
            )
        if (
            self.auth_mode == "api_key"
            and not self.api_keys
            and self.api_keys_source is None
            and not self.allow_anonymous
        ):
            raise ValueError(
                "no API keys configured: set GATEWAY_API_KEYS (create one with "
                "'file-gateway create-api-key'), or GATEWAY_ALLOW_ANONYMOUS=true to "
                "serve anyone"
            )
        if self.auth_mode == "jwt" and not running_on_lambda():
            raise ValueError(
                "GATEWAY_AUTH_MODE=jwt trusts claims verified by API Gateway and only "
                "works on AWS Lambda"
            )
        return self

    @property
    def signing_region(self) -> str:
        return self.bucket_region or "us-east-1"

    @property
    def api_keys_source(self) -> str | None:
        """The variable naming where the key hashes are read from at start-up."""
        if self.api_keys_secret_arn:
            return "GATEWAY_API_KEYS_SECRET_ARN"
        if self.api_keys_parameter_name:
            return "GATEWAY_API_KEYS_PARAMETER_NAME"
        return None


def running_on_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def load_settings() -> Settings:
    """Read the environment, or raise SettingsError with one line per problem."""
    try:
        return Settings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None


def describe_errors(error: ValidationError) -> str:
    lines = ["invalid gateway settings:"]
    for problem in error.errors():
        names = _variable_names(problem["loc"])
        shown = _shown_value(problem["loc"])
        lines.append(f"  {names}{shown}: {problem['msg']}")
    return "\n".join(lines)


def _variable_names(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "settings"
    choices = _ALIASES.get(str(loc[0]), (str(loc[0]),))

    return " or ".join(choices)


def _shown_value(loc: tuple[int | str, ...]) -> str:
    choices = _ALIASES.get(str(loc[0]), ()) if loc else ()
    if "GATEWAY_API_KEYS" in choices:
        return ""
    for name in choices:
        if name in os.environ:
            return f"={os.environ[name]!r}"
    return ""


def _alias_table() -> dict[str, tuple[str, ...]]:
    """Every name a setting answers to, keyed by each of those names and its field."""
    table: dict[str, tuple[str, ...]] = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names = tuple(str(choice) for choice in alias.choices)
            table.update(dict.fromkeys((field_name, *names), names))
    return table


_ALIASES = _alias_table()
