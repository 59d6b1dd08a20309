"""API key hashes read at start-up from Secrets Manager or SSM, against moto."""

import io
import traceback
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings, SettingsError, load_settings

REGION = "us-east-1"
FILE = {"fileName": "report.pdf", "contentType": "application/pdf"}
RAW_KEY = "fgw_this-raw-key-was-pasted-by-mistake-0123456789"
SettingsFactory = Callable[..., Settings]


@pytest.fixture
def secretsmanager(s3: Any) -> Any:
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def ssm(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # A parameter is read in the region the gateway runs in; Lambda sets this.
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return boto3.client("ssm", region_name=REGION)


@pytest.fixture
def key_list(api_keys: dict[str, tuple[str, str]]) -> str:
    return ",".join(entry for _, entry in api_keys.values())


def store_secret(secretsmanager: Any, value: str) -> str:
    arn: str = secretsmanager.create_secret(
        Name="file-gateway/api-key-hashes", SecretString=value
    )["ARN"]
    return arn


def start_app(make_settings: SettingsFactory, **source: str) -> TestClient:
    settings = make_settings(api_keys=[], **source)
    return TestClient(create_app(settings), follow_redirects=False)


def post_file(client: TestClient, api_key: str) -> int:
    response = client.post(
        "/files", json=FILE, headers={"Authorization": f"Bearer {api_key}"}
    )
    return response.status_code


def test_keys_in_a_secret_admit_their_tenants(
    make_settings: SettingsFactory,
    secretsmanager: Any,
    key_list: str,
    api_keys: dict[str, tuple[str, str]],
) -> None:
    arn = store_secret(secretsmanager, key_list)

    client = start_app(make_settings, api_keys_secret_arn=arn)

    assert post_file(client, api_keys["acme"][0]) == 201
    assert post_file(client, api_keys["globex"][0]) == 201
    assert post_file(client, RAW_KEY) == 401


def test_keys_in_a_securestring_parameter_admit_their_tenants(
    make_settings: SettingsFactory,
    ssm: Any,
    api_keys: dict[str, tuple[str, str]],
) -> None:
    lines = "\n".join(entry for _, entry in api_keys.values())
    ssm.put_parameter(Name="/gw/keys", Value=lines, Type="SecureString")

    client = start_app(make_settings, api_keys_parameter_name="/gw/keys")

    assert post_file(client, api_keys["acme"][0]) == 201
    assert post_file(client, api_keys["globex"][0]) == 201


def test_keys_are_read_once_at_start_up_never_per_request(
    make_settings: SettingsFactory,
    secretsmanager: Any,
    api_keys: dict[str, tuple[str, str]],
) -> None:
    arn = store_secret(secretsmanager, api_keys["acme"][1])
    client = start_app(make_settings, api_keys_secret_arn=arn)

    secretsmanager.put_secret_value(SecretId=arn, SecretString=api_keys["globex"][1])

    assert post_file(client, api_keys["acme"][0]) == 201
    assert post_file(client, api_keys["globex"][0]) == 401
    restarted = start_app(make_settings, api_keys_secret_arn=arn)
    assert post_file(restarted, api_keys["acme"][0]) == 401
    assert post_file(restarted, api_keys["globex"][0]) == 201


@pytest.mark.parametrize("value", [" ", "\n", " , "])
def test_an_empty_secret_starts_a_gateway_that_refuses_every_key(
    make_settings: SettingsFactory,
    secretsmanager: Any,
    api_keys: dict[str, tuple[str, str]],
    logged: io.StringIO,
    value: str,
) -> None:
    arn = store_secret(secretsmanager, value)

    client = start_app(make_settings, api_keys_secret_arn=arn)

    assert post_file(client, api_keys["acme"][0]) == 401
    assert "GATEWAY_API_KEYS_SECRET_ARN holds no API keys yet" in logged.getvalue()


def test_no_aws_client_is_built_when_keys_come_from_the_environment(
    make_settings: SettingsFactory,
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
    auth: dict[str, str],
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no client may be built")

    monkeypatch.setattr(boto3, "client", refuse)

    client = TestClient(create_app(make_settings()), follow_redirects=False)

    assert client.post("/files", json=FILE, headers=auth).status_code == 201


def failure(make_settings: SettingsFactory, **source: str) -> SettingsError:
    with pytest.raises(SettingsError) as raised:
        create_app(make_settings(api_keys=[], **source))
    return raised.value


def test_a_missing_secret_stops_start_up_naming_the_variable(
    make_settings: SettingsFactory, secretsmanager: Any
) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nowhere-AbCdEf"

    message = str(failure(make_settings, api_keys_secret_arn=arn))

    assert message.startswith("GATEWAY_API_KEYS_SECRET_ARN: ")
    assert "does not exist" in message
    assert "ResourceNotFoundException" in message


def test_a_missing_parameter_stops_start_up_naming_the_variable(
    make_settings: SettingsFactory, ssm: Any
) -> None:
    message = str(failure(make_settings, api_keys_parameter_name="/gw/none"))

    assert message.startswith("GATEWAY_API_KEYS_PARAMETER_NAME: ")
    assert "ParameterNotFound" in message


def test_a_parameter_without_a_region_stops_start_up_saying_so(
    make_settings: SettingsFactory, s3: Any
) -> None:
    message = str(failure(make_settings, api_keys_parameter_name="/gw/keys"))

    assert message.startswith("GATEWAY_API_KEYS_PARAMETER_NAME: ")
    assert "NoRegionError" in message
    assert "region" in message


def test_a_binary_secret_stops_start_up(
    make_settings: SettingsFactory, secretsmanager: Any
) -> None:
    arn = secretsmanager.create_secret(Name="binary", SecretBinary=b"\x00\x01")["ARN"]

    message = str(failure(make_settings, api_keys_secret_arn=arn))

    assert message.startswith("GATEWAY_API_KEYS_SECRET_ARN: ")
    assert "binary" in message


@pytest.mark.parametrize(
    "content",
    [
        RAW_KEY,
        f"acme:{RAW_KEY}",
        '{"acme": "' + RAW_KEY + '"}',
        "acme:" + "A" * 64,
    ],
)
def test_malformed_content_stops_start_up_without_showing_it_anywhere(
    make_settings: SettingsFactory,
    secretsmanager: Any,
    ssm: Any,
    key_list: str,
    logged: io.StringIO,
    content: str,
) -> None:
    value = f"{key_list},{content}"
    arn = store_secret(secretsmanager, value)
    ssm.put_parameter(Name="/gw/keys", Value=value, Type="SecureString")

    errors = [
        failure(make_settings, api_keys_secret_arn=arn),
        failure(make_settings, api_keys_parameter_name="/gw/keys"),
    ]

    for error, variable in zip(
        errors,
        ["GATEWAY_API_KEYS_SECRET_ARN", "GATEWAY_API_KEYS_PARAMETER_NAME"],
        strict=True,
    ):
        message = str(error)
        assert message.startswith(f"{variable}: entry 3 of the stored value is not")
        shown = "".join(traceback.format_exception(error)) + repr(error)
        assert content not in shown
        assert RAW_KEY not in shown
        assert key_list.split(",")[0] not in shown
    assert RAW_KEY not in logged.getvalue()
    assert key_list.split(",")[0].split(":")[1] not in logged.getvalue()


def test_secret_values_never_reach_the_logs_on_success(
    make_settings: SettingsFactory,
    secretsmanager: Any,
    key_list: str,
    api_keys: dict[str, tuple[str, str]],
    logged: io.StringIO,
) -> None:
    client = start_app(
        make_settings, api_keys_secret_arn=store_secret(secretsmanager, key_list)
    )
    post_file(client, api_keys["acme"][0])

    output = logged.getvalue()
    assert "read 2 API key hashes from GATEWAY_API_KEYS_SECRET_ARN" in output
    for _, entry in api_keys.values():
        assert entry.split(":")[1] not in output


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("GATEWAY_BUCKET_NAME", "my-bucket")
    monkeypatch.setenv("GATEWAY_BUCKET_REGION", "eu-west-2")
    return monkeypatch


def test_a_key_source_alone_satisfies_the_settings(
    environment: pytest.MonkeyPatch,
) -> None:
    arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:keys-AbCdEf"
    environment.setenv("GATEWAY_API_KEYS_SECRET_ARN", arn)

    settings = load_settings()

    assert settings.api_keys_secret_arn == arn
    assert settings.api_keys == []
    assert settings.api_keys_source == "GATEWAY_API_KEYS_SECRET_ARN"


def test_without_any_key_source_start_up_is_still_refused(
    environment: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SettingsError, match="no API keys configured"):
        load_settings()


@pytest.mark.parametrize(
    "variables",
    [
        {
            "GATEWAY_API_KEYS": "acme:" + "a" * 64,
            "GATEWAY_API_KEYS_PARAMETER_NAME": "/k",
        },
        {
            "GATEWAY_API_KEYS_SECRET_ARN": (
                "arn:aws:secretsmanager:eu-west-2:123456789012:secret:keys-AbCdEf"
            ),
            "GATEWAY_API_KEYS_PARAMETER_NAME": "/k",
        },
    ],
)
def test_two_key_sources_are_refused(
    environment: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)

    with pytest.raises(SettingsError, match="set only one of GATEWAY_API_KEYS"):
        load_settings()


@pytest.mark.parametrize(
    "arn",
    [
        "keys",
        "arn:aws:ssm:eu-west-2:123456789012:parameter/keys",
        "arn:aws:secretsmanager:eu-west-2:1234:secret:keys",
    ],
)
def test_a_secret_arn_that_is_not_one_is_refused_by_name(
    environment: pytest.MonkeyPatch, arn: str
) -> None:
    environment.setenv("GATEWAY_API_KEYS_SECRET_ARN", arn)

    with pytest.raises(SettingsError, match="GATEWAY_API_KEYS_SECRET_ARN"):
        load_settings()
