"""What the SAM template deploys, evaluated from the template with chosen parameters."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from gateway.stored_keys import parse_api_key_entries
from tests.deploy.support import CREATED_SECRET_ARN, TEMPLATE, Stack

pytestmark = pytest.mark.deploy

TEMPLATE_TEXT = TEMPLATE.read_text()
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-keys-AbCdEf"
KEYS_FROM_SECRET = {"ApiKeysSecretArn": SECRET_ARN}
JWT = {"JwtIssuer": "https://issuer.example.com", "JwtAudience": "gateway"}
OBJECT_ACTIONS = {
    "s3:PutObject",
    "s3:GetObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
}


def role_statements(stack: Stack) -> list[dict[str, Any]]:
    role = stack.properties("GatewayFunctionRole")
    return [
        s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]
    ]


def actions_of(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def s3_grants(stack: Stack) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for statement in role_statements(stack):
        assert statement["Effect"] == "Allow"
        for action in actions_of(statement):
            if action.startswith("s3:"):
                grants.setdefault(action, set()).add(statement["Resource"])
    return grants


def test_bucket_blocks_every_form_of_public_access(stack: Callable[..., Stack]) -> None:
    block = stack(KEYS_FROM_SECRET).properties("FilesBucket")[
        "PublicAccessBlockConfiguration"
    ]

    assert block == {
        "BlockPublicAcls": "true",
        "BlockPublicPolicy": "true",
        "IgnorePublicAcls": "true",
        "RestrictPublicBuckets": "true",
    }


def test_bucket_disables_acls_and_encrypts_by_default(
    stack: Callable[..., Stack],
) -> None:
    bucket = stack(KEYS_FROM_SECRET).properties("FilesBucket")

    assert bucket["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {
        "AES256",
        "aws:kms",
    }


def test_bucket_keeps_every_version_and_outlives_the_stack(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["FilesBucket"]

    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert not any("NoncurrentVersionExpiration" in rule for rule in rules)


def test_bucket_aborts_incomplete_multipart_uploads(
    stack: Callable[..., Stack],
) -> None:
    rules = stack(KEYS_FROM_SECRET).properties("FilesBucket")["LifecycleConfiguration"][
        "Rules"
    ]

    aborting = [rule for rule in rules if "AbortIncompleteMultipartUpload" in rule]
    assert aborting
    assert aborting[0]["Status"] == "Enabled"
    assert "Prefix" not in aborting[0]
    assert "Filter" not in aborting[0]
    assert aborting[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": "1"}


def test_bucket_cors_lets_configured_origins_put_and_post_and_read_etag(
    stack: Callable[..., Stack],
) -> None:
    origins = "https://app.example.com,https://admin.example.com"
    bucket = stack({**KEYS_FROM_SECRET, "AllowedOrigins": origins}).properties(
        "FilesBucket"
    )

    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == origins.split(",")
    assert {"PUT", "POST"} <= set(rule["AllowedMethods"])
    assert "ETag" in rule["ExposedHeaders"]
    assert "*" not in rule["AllowedOrigins"]


def test_bucket_has_no_cors_rule_without_origins(stack: Callable[..., Stack]) -> None:
    bucket = stack(KEYS_FROM_SECRET).properties("FilesBucket")

    assert "CorsConfiguration" not in bucket


def test_bucket_policy_denies_every_request_without_tls(
    stack: Callable[..., Stack],
) -> None:
    policy = stack(KEYS_FROM_SECRET).properties("FilesBucketPolicy")["PolicyDocument"]

    denials = [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Deny"
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1
    assert denials[0]["Principal"] == "*"
    assert denials[0]["Action"] == "s3:*"
    bucket_arn = "arn:aws:s3:::file-gateway-test-bucket"
    assert set(denials[0]["Resource"]) == {bucket_arn, f"{bucket_arn}/*"}
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow"]


def test_role_grants_only_the_object_actions_the_app_uses_under_the_tenant_prefix(
    stack: Callable[..., Stack],
) -> None:
    grants = s3_grants(stack(KEYS_FROM_SECRET))

    object_grants = {
        action: arns for action, arns in grants.items() if action != "s3:ListBucket"
    }
    assert set(object_grants) == OBJECT_ACTIONS
    for arns in object_grants.values():
        assert arns == {"arn:aws:s3:::file-gateway-test-bucket/tenants/*"}


def test_role_lists_the_bucket_only_under_the_tenant_prefix(
    stack: Callable[..., Stack],
) -> None:
    statements = [
        s
        for s in role_statements(stack(KEYS_FROM_SECRET))
        if "s3:ListBucket" in actions_of(s)
    ]

    assert len(statements) == 1
    assert actions_of(statements[0]) == {"s3:ListBucket"}
    assert statements[0]["Resource"] == "arn:aws:s3:::file-gateway-test-bucket"
    assert statements[0]["Condition"] == {"StringLike": {"s3:prefix": "tenants/*"}}


@pytest.mark.parametrize(
    ("allow_delete", "granted"), [("false", False), ("true", True)]
)
def test_role_may_delete_objects_only_when_deletes_are_allowed(
    stack: Callable[..., Stack], allow_delete: str, granted: bool
) -> None:
    grants = s3_grants(stack({**KEYS_FROM_SECRET, "AllowDelete": allow_delete}))

    assert ("s3:DeleteObject" in grants) is granted
    assert "s3:DeleteObjectVersion" not in grants
    if granted:
        assert grants["s3:DeleteObject"] == {
            "arn:aws:s3:::file-gateway-test-bucket/tenants/*"
        }


@pytest.mark.parametrize(
    "parameters", [{}, KEYS_FROM_SECRET, JWT, {"ApiKeysParameterName": "/gw/keys"}]
)
def test_role_has_no_wildcard_action_or_resource(
    stack: Callable[..., Stack], parameters: dict[str, str]
) -> None:
    for statement in role_statements(stack(parameters)):
        assert not any(action.endswith("*") for action in actions_of(statement))
        resources = statement["Resource"]
        for resource in [resources] if isinstance(resources, str) else resources:
            assert resource != "*"
            assert not resource.endswith(":*")


def test_role_reads_only_the_named_key_parameter(stack: Callable[..., Stack]) -> None:
    statements = role_statements(stack({"ApiKeysParameterName": "/gw/keys"}))

    ssm = [s for s in statements if any(a.startswith("ssm:") for a in actions_of(s))]
    assert len(ssm) == 1
    assert actions_of(ssm[0]) == {"ssm:GetParameter"}
    assert ssm[0]["Resource"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/gw/keys"


def key_readers(stack: Stack) -> list[dict[str, Any]]:
    services = {"secretsmanager", "ssm", "kms"}
    return [
        s
        for s in role_statements(stack)
        if any(action.split(":")[0] in services for action in actions_of(s))
    ]


def function_env(stack: Stack) -> dict[str, str]:
    variables: dict[str, str] = stack.properties("GatewayFunction")["Environment"][
        "Variables"
    ]
    return variables


def test_a_stack_with_no_parameters_creates_an_empty_secret_for_the_key_hashes(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack()

    secret = deployed.properties("ApiKeyHashes")
    assert deployed.resource("ApiKeyHashes")["Type"] == "AWS::SecretsManager::Secret"
    assert deployed.exists("ApiKeyHashes")
    assert secret["Name"] == "file-gateway/api-key-hashes-5f2a1c3e"
    assert "GenerateSecretString" not in secret
    assert secret["SecretString"].strip() == ""
    assert parse_api_key_entries(secret["SecretString"], "test") == []


def test_the_function_reads_exactly_the_created_secret_and_nothing_else(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack()

    (reader,) = key_readers(deployed)
    assert actions_of(reader) == {"secretsmanager:GetSecretValue"}
    assert reader["Resource"] == CREATED_SECRET_ARN
    assert function_env(deployed)["GATEWAY_API_KEYS_SECRET_ARN"] == CREATED_SECRET_ARN
    assert "GATEWAY_API_KEYS" not in function_env(deployed)
    assert deployed.outputs()["ApiKeysSecretArn"] == CREATED_SECRET_ARN


def test_an_existing_secret_is_read_instead_of_creating_one(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack(KEYS_FROM_SECRET)

    assert not deployed.exists("ApiKeyHashes")
    (reader,) = key_readers(deployed)
    assert actions_of(reader) == {"secretsmanager:GetSecretValue"}
    assert reader["Resource"] == SECRET_ARN
    assert function_env(deployed)["GATEWAY_API_KEYS_SECRET_ARN"] == SECRET_ARN
    assert "ApiKeysSecretArn" not in deployed.outputs()


def test_a_jwt_stack_creates_and_reads_no_key_store(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack(JWT)

    assert not deployed.exists("ApiKeyHashes")
    assert key_readers(deployed) == []
    assert not [name for name in function_env(deployed) if "API_KEYS" in name]


def test_a_recreated_stack_names_its_secret_afresh(template: dict[str, Any]) -> None:
    first = Stack(template).properties("ApiKeyHashes")["Name"]
    again = Stack(template)
    again.names["AWS::StackId"] = again.names["AWS::StackId"].replace(
        "5f2a1c3e", "77aa00bb"
    )

    assert again.properties("ApiKeyHashes")["Name"] != first
    assert again.properties("ApiKeyHashes")["Name"].startswith("file-gateway/")


def test_function_runs_the_mangum_handler_on_python_312_or_313_arm64(
    template: dict[str, Any],
) -> None:
    function = template["Resources"]["GatewayFunction"]
    properties = function["Properties"]

    assert function["Type"] == "AWS::Serverless::Function"
    assert properties["Handler"] == "gateway.lambda_handler.handler"
    assert properties["Runtime"] in {"python3.12", "python3.13"}
    assert properties["Architectures"] == [{"Ref": "Architecture"}]
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    assert function["Metadata"]["BuildMethod"] == "makefile"


def test_function_environment_uses_the_gateway_setting_names(
    stack: Callable[..., Stack],
) -> None:
    env = function_env(stack())

    assert env == {
        "GATEWAY_BUCKET_NAME": "file-gateway-test-bucket",
        "GATEWAY_BUCKET_REGION": "eu-west-1",
        "GATEWAY_UPLOAD_URL_EXPIRES_SECONDS": "300",
        "GATEWAY_DOWNLOAD_URL_EXPIRES_SECONDS": "3600",
        "GATEWAY_REDIRECT_STATUS_CODE": "302",
        "GATEWAY_AUTH_MODE": "api_key",
        "GATEWAY_JWT_TENANT_CLAIM": "sub",
        "GATEWAY_API_KEYS_SECRET_ARN": CREATED_SECRET_ARN,
        "GATEWAY_KEYS_REVISION": "1",
        "GATEWAY_TENANT_PREFIX": "tenants/",
        "GATEWAY_ALLOW_OVERWRITE": "false",
        "GATEWAY_ALLOW_DELETE": "false",
    }


@pytest.mark.parametrize(
    "parameters", [{}, KEYS_FROM_SECRET, JWT, {"ApiKeysParameterName": "/gw/keys"}]
)
def test_api_key_hashes_never_travel_in_the_template_or_the_environment(
    template: dict[str, Any], stack: Callable[..., Stack], parameters: dict[str, str]
) -> None:
    env = function_env(stack(parameters))

    assert "GATEWAY_API_KEYS" not in env
    assert "{{resolve:" not in TEMPLATE_TEXT
    assert template["Parameters"]["ApiKeysSecretArn"]["AllowedPattern"].startswith(
        "^$|^arn:"
    )
    assert (
        template["Parameters"]["ApiKeysParameterName"]["AllowedPattern"]
        == "^$|^/[A-Za-z0-9/_.-]+$"
    )
    names = " ".join(template["Parameters"])
    assert not re.search(r"ApiKeys?(Hashes)?\b", names)


@pytest.mark.parametrize(
    ("parameters", "accepted"),
    [
        ({}, True),
        (KEYS_FROM_SECRET, True),
        ({"ApiKeysParameterName": "/gw/keys"}, True),
        ({**KEYS_FROM_SECRET, "ApiKeysParameterName": "/gw/keys"}, False),
        (JWT, True),
        ({"JwtIssuer": "https://issuer.example.com"}, False),
        ({**JWT, **KEYS_FROM_SECRET}, False),
        ({**JWT, "ApiKeysParameterName": "/gw/keys"}, False),
    ],
)
def test_rules_refuse_a_stack_with_two_ways_to_authenticate(
    template: dict[str, Any], parameters: dict[str, str], accepted: bool
) -> None:
    deployed = Stack(template, parameters)
    outcomes = []
    for rule in template["Rules"].values():
        if "RuleCondition" not in rule or deployed.resolve(rule["RuleCondition"]):
            outcomes += [deployed.resolve(a["Assert"]) for a in rule["Assertions"]]

    assert all(outcomes) is accepted


def test_expiries_default_to_the_contract_and_stay_within_sigv4_limits(
    template: dict[str, Any],
) -> None:
    upload = template["Parameters"]["UploadUrlExpiresSeconds"]
    download = template["Parameters"]["DownloadUrlExpiresSeconds"]

    assert (upload["Default"], download["Default"]) == (300, 3600)
    assert upload["MinValue"] >= 1
    assert download["MinValue"] >= 1
    assert max(upload["MaxValue"], download["MaxValue"]) <= 604_800


def test_redirect_status_is_one_of_302_303_307_defaulting_to_302(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["RedirectStatusCode"]

    assert parameter["AllowedValues"] == [302, 303, 307]
    assert parameter["Default"] == 302


@pytest.mark.parametrize(
    ("enabled", "apply_on"), [("false", "None"), ("true", "PublishedVersions")]
)
def test_snapstart_is_optional_and_off_by_default(
    stack: Callable[..., Stack], enabled: str, apply_on: str
) -> None:
    function = stack({**KEYS_FROM_SECRET, "EnableSnapStart": enabled}).properties(
        "GatewayFunction"
    )

    assert function["SnapStart"] == {"ApplyOn": apply_on}
    assert function["AutoPublishAlias"] == "live"


def test_stage_throttles_requests(stack: Callable[..., Stack]) -> None:
    stage = stack(KEYS_FROM_SECRET).properties("DefaultStage")

    assert stage["StageName"] == "$default"
    assert int(stage["DefaultRouteSettings"]["ThrottlingRateLimit"]) > 0
    assert int(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"]) > 0


def test_access_log_is_one_json_object_without_query_strings(
    stack: Callable[..., Stack],
) -> None:
    log_format = stack(KEYS_FROM_SECRET).properties("DefaultStage")[
        "AccessLogSettings"
    ]["Format"]

    fields = json.loads(log_format)
    variables = re.findall(r"\$context\.[A-Za-z.]+", log_format)
    assert {"requestId", "method", "path", "status"} <= set(fields)
    assert variables
    assert not [
        v for v in variables if re.search(r"query|uri|requestOverride", v, re.I)
    ]


def test_outputs_keep_the_original_names_and_add_the_docs_url(
    stack: Callable[..., Stack],
) -> None:
    outputs = stack(KEYS_FROM_SECRET).outputs()
    base = "https://<HttpApi>.execute-api.eu-west-1.amazonaws.com"

    assert outputs == {
        "ApiBaseUrl": base,
        "FilesPostEndpoint": f"{base}/files",
        "FilesGetEndpoint": f"{base}/files/{{objectKey}}",
        "DocsUrl": f"{base}/docs",
        "BucketName": "file-gateway-test-bucket",
    }
