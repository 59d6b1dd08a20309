import pytest

from gateway.settings import Settings, SettingsError, load_settings

HASH = "a" * 64


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("BUCKET_NAME", "my-bucket")
    monkeypatch.setenv("GATEWAY_BUCKET_REGION", "eu-west-2")
    monkeypatch.setenv("GATEWAY_API_KEYS", f"acme:{HASH}")
    return monkeypatch


def test_original_variable_names_keep_working(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("UPLOAD_URL_EXPIRES_SECONDS", "120")
    environment.setenv("DOWNLOAD_URL_EXPIRES_SECONDS", "600")
    environment.setenv("REDIRECT_STATUS_CODE", "307")

    settings = load_settings()

    assert settings.bucket_name == "my-bucket"
    assert settings.upload_url_expires_seconds == 120
    assert settings.download_url_expires_seconds == 600
    assert settings.redirect_status_code == 307


def test_defaults_match_the_contract(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()

    assert settings.upload_url_expires_seconds == 300
    assert settings.download_url_expires_seconds == 3600
    assert settings.redirect_status_code == 302
    assert settings.object_key_mode == "unique"


@pytest.mark.parametrize("value", ["864000", "0", "-5", "abc", "604801"])
def test_bad_upload_expiry_refuses_start_up_naming_variable_and_value(
    environment: pytest.MonkeyPatch, value: str
) -> None:
    environment.setenv("UPLOAD_URL_EXPIRES_SECONDS", value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert "UPLOAD_URL_EXPIRES_SECONDS" in message
    assert repr(value) in message


@pytest.mark.parametrize("value", ["301", "200", "308", "x"])
def test_only_302_303_and_307_are_accepted_as_redirect_status(
    environment: pytest.MonkeyPatch, value: str
) -> None:
    environment.setenv("REDIRECT_STATUS_CODE", value)

    with pytest.raises(SettingsError, match="REDIRECT_STATUS_CODE"):
        load_settings()


def test_missing_bucket_name_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BUCKET_REGION", "eu-west-2")
    monkeypatch.setenv("GATEWAY_ALLOW_ANONYMOUS", "true")

    with pytest.raises(SettingsError, match="GATEWAY_BUCKET_NAME or BUCKET_NAME"):
        load_settings()


def test_region_is_required_on_aws(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("GATEWAY_BUCKET_REGION")

    with pytest.raises(SettingsError, match="GATEWAY_BUCKET_REGION is required"):
        load_settings()


def test_custom_endpoint_needs_no_region(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("GATEWAY_BUCKET_REGION")
    environment.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:8333/")

    settings = load_settings()

    assert settings.s3_endpoint_url == "http://127.0.0.1:8333"
    assert settings.signing_region == "us-east-1"


def test_server_refuses_to_start_without_keys_or_explicit_anonymous_access(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("GATEWAY_API_KEYS")

    with pytest.raises(SettingsError, match="GATEWAY_ALLOW_ANONYMOUS"):
        load_settings()

    environment.setenv("GATEWAY_ALLOW_ANONYMOUS", "true")
    assert load_settings().allow_anonymous


def test_raw_api_keys_are_refused_and_not_echoed(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("GATEWAY_API_KEYS", "acme:fgw_raw-secret-key")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "fgw_raw-secret-key" not in str(raised.value)
    assert "GATEWAY_API_KEYS" in str(raised.value)


@pytest.mark.parametrize(
    ("configured", "normalised"),
    [
        ("files-api", "/files-api"),
        ("/files-api", "/files-api"),
        ("/v1/", "/v1"),
        ("", ""),
    ],
)
def test_base_path_is_normalised(
    environment: pytest.MonkeyPatch, configured: str, normalised: str
) -> None:
    environment.setenv("GATEWAY_BASE_PATH", configured)

    assert load_settings().base_path == normalised


def test_comma_separated_lists(environment: pytest.MonkeyPatch) -> None:
    environment.setenv(
        "GATEWAY_CORS_ALLOW_ORIGINS", "https://a.example, https://b.example"
    )
    environment.setenv("GATEWAY_ALLOWED_CONTENT_TYPES", "image/*,application/pdf")

    settings = load_settings()

    assert settings.cors_allow_origins == ["https://a.example", "https://b.example"]
    assert settings.allowed_content_types == ["image/*", "application/pdf"]


def test_jwt_mode_is_refused_outside_lambda(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("GATEWAY_AUTH_MODE", "jwt")

    with pytest.raises(SettingsError, match="only works on AWS Lambda"):
        load_settings()

    environment.setenv("AWS_LAMBDA_FUNCTION_NAME", "gateway")
    assert load_settings().auth_mode == "jwt"


def test_settings_can_be_built_in_code() -> None:
    settings = Settings(
        bucket_name="b-1", bucket_region="us-east-1", allow_anonymous=True
    )

    assert settings.bucket_name == "b-1"
