"""One repository variable, one role: the deploy workflow and the README's policies.

The deploy step's shell runs here with the environment GitHub would give it and a
stand-in `sam` that records its arguments, so the command line is checked, not read.
The README's trust and permissions policies are parsed and checked against the
template and against the handler permissions in cfn-lint's resource schemas.
"""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import REPO, load_template
from tests.deploy.test_deploy_workflows import WORKFLOWS, load, steps

pytestmark = pytest.mark.deploy

ROLE_ARN = "arn:aws:iam::123456789012:role/file-gateway-deploy"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_VARIABLE = re.compile(r"^vars\.([A-Z_]+)(?:\s*\|\|\s*'([^']*)')?$")
OPTIONAL_EMPTY = {"DEPLOY_PARAMETERS", "CLOUDFORMATION_ROLE_ARN"}


def evaluate(value: str, variables: dict[str, str]) -> str:
    """GitHub's `${{ vars.X }}` and `${{ vars.X || 'default' }}`, nothing more."""

    def one(match: re.Match[str]) -> str:
        parsed = _VARIABLE.match(match[1])
        if parsed is None:
            return match[0]
        return variables.get(parsed[1]) or parsed[2] or ""

    return _EXPRESSION.sub(one, value)


def deploy_job() -> dict[str, Any]:
    job: dict[str, Any] = load("deploy.yaml")["jobs"]["deploy"]
    return job


def sam_deploy_arguments(tmp_path: Path, variables: dict[str, str]) -> list[str]:
    """The arguments the Deploy step passes to `sam deploy`, given these variables."""
    job = deploy_job()
    (step,) = [s for s in job["steps"] if s.get("name") == "Deploy"]
    record = tmp_path / "arguments"
    sam = tmp_path / "sam"
    sam.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\n")
    sam.chmod(0o755)
    env = {name: evaluate(str(value), variables) for name, value in job["env"].items()}
    env["PATH"] = f"{tmp_path}:/usr/bin:/bin"
    subprocess.run(["bash", "-e", "-c", step["run"]], env=env, check=True, timeout=30)

    return record.read_text().splitlines()


def test_only_the_deploy_role_variable_lacks_a_default() -> None:
    required = set()
    for path in WORKFLOWS.glob("*.y*ml"):
        for expression in _EXPRESSION.findall(path.read_text()):
            for parsed in map(
                _VARIABLE.match, re.split(r"\s*(?:&&|!=)\s*", expression)
            ):
                if parsed and not parsed[2] and parsed[1] not in OPTIONAL_EMPTY:
                    required.add(parsed[1])

    assert required == {"AWS_DEPLOY_ROLE_ARN"}


def test_with_only_the_role_variable_sam_deploys_the_default_stack(
    tmp_path: Path,
) -> None:
    arguments = sam_deploy_arguments(tmp_path, {"AWS_DEPLOY_ROLE_ARN": ROLE_ARN})

    assert arguments == [
        "deploy",
        "--stack-name",
        "file-gateway",
        "--region",
        "us-east-1",
        "--resolve-s3",
        "--s3-prefix",
        "file-gateway",
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
    ]


def test_optional_variables_override_the_defaults(tmp_path: Path) -> None:
    variables = {
        "AWS_DEPLOY_ROLE_ARN": ROLE_ARN,
        "AWS_REGION": "eu-west-2",
        "STACK_NAME": "files",
        "DEPLOY_PARAMETERS": "AllowDelete=true ApiKeysRevision=2",
        "CLOUDFORMATION_ROLE_ARN": "arn:aws:iam::123456789012:role/cfn",
    }

    arguments = sam_deploy_arguments(tmp_path, variables)

    assert arguments[arguments.index("--stack-name") + 1] == "files"
    assert arguments[arguments.index("--region") + 1] == "eu-west-2"
    assert (
        arguments[arguments.index("--role-arn") + 1]
        == variables["CLOUDFORMATION_ROLE_ARN"]
    )
    overrides = arguments[arguments.index("--parameter-overrides") + 1 :]
    assert overrides == ["AllowDelete=true", "ApiKeysRevision=2"]


def test_credentials_use_the_role_variable_and_the_same_default_region() -> None:
    job = deploy_job()
    (credentials,) = [
        s
        for s in steps({"jobs": {"deploy": job}})
        if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]

    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert credentials["with"]["aws-region"] == job["env"]["AWS_REGION"]
    assert evaluate(job["env"]["AWS_REGION"], {}) == "us-east-1"


# --- the README's policies ------------------------------------------------------


def deployment_section() -> str:
    readme = (REPO / "README.md").read_text()
    return readme[readme.index("## Deployment") : readme.index("## Limitations")]


def readme_policies() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", deployment_section(), re.S)
    return [json.loads(block) for block in blocks]


def trust_policy() -> dict[str, Any]:
    (policy,) = [
        p for p in readme_policies() if "sts:AssumeRoleWithWebIdentity" in str(p)
    ]
    return policy


def permissions_policy() -> dict[str, Any]:
    (policy,) = [p for p in readme_policies() if "cloudformation:" in str(p)]
    return policy


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_readme_names_one_required_variable_and_the_defaults() -> None:
    section = deployment_section()

    assert "One repository variable" in section
    assert "`AWS_DEPLOY_ROLE_ARN`" in section
    for default in ("`AWS_REGION` (`us-east-1`)", "`STACK_NAME` (`file-gateway`)"):
        assert default in section
    assert "SAM_ARTIFACTS_BUCKET" not in section


def test_readme_trust_policy_admits_only_pushes_to_main_by_exact_match() -> None:
    (statement,) = trust_policy()["Statement"]

    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(
        ":oidc-provider/token.actions.githubusercontent.com"
    )
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": (
                "repo:OWNER/REPO:ref:refs/heads/main"
            ),
        }
    }


def test_readme_permissions_are_named_actions_on_named_resources() -> None:
    # Resources no stack name can narrow; the README says why for each.
    unnamed = {"AccessLogDelivery", "HttpApi"}
    policy = permissions_policy()

    assert "arn:aws:iam::aws:policy" not in json.dumps(policy)
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not [a for a in listed(statement["Action"]) if "*" in a]
        if statement["Sid"] in unnamed:
            continue
        for resource in listed(statement["Resource"]):
            assert re.search(
                r"file-gateway|aws-sam-cli-managed-default|transform/Serverless",
                resource,
            ), resource


def test_readme_policy_drives_only_this_stack_and_sams_artifacts_stack() -> None:
    statements = permissions_policy()["Statement"]

    stacks = {
        resource
        for s in statements
        for resource in listed(s["Resource"])
        if ":cloudformation:" in resource
    }
    assert stacks == {
        "arn:aws:cloudformation:REGION:ACCOUNT:stack/file-gateway/*",
        "arn:aws:cloudformation:REGION:ACCOUNT:stack/aws-sam-cli-managed-default/*",
        "arn:aws:cloudformation:REGION:aws:transform/Serverless-2016-10-31",
    }
    granted = {a for s in statements for a in listed(s["Action"])}
    assert "cloudformation:DeleteStack" not in granted


def test_readme_policy_passes_only_the_function_role_and_only_to_lambda() -> None:
    passing = [
        s for s in permissions_policy()["Statement"] if "iam:PassRole" in s["Action"]
    ]

    (statement,) = passing
    assert listed(statement["Action"]) == ["iam:PassRole"]
    assert statement["Resource"] == (
        "arn:aws:iam::ACCOUNT:role/file-gateway-GatewayFunctionRole-*"
    )
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
    }


def test_readme_policy_manages_exactly_the_secret_the_template_names() -> None:
    secret = load_template()["Resources"]["ApiKeyHashes"]["Properties"]
    name_pattern = secret["Name"]["Fn::Sub"][0]
    prefix = name_pattern.split("${StackUuid}")[0].replace(
        "${AWS::StackName}", "file-gateway"
    )

    (statement,) = [
        s
        for s in permissions_policy()["Statement"]
        if any(a.startswith("secretsmanager:") for a in listed(s["Action"]))
    ]
    assert statement["Resource"] == (
        f"arn:aws:secretsmanager:REGION:ACCOUNT:secret:{prefix}*"
    )


# Features of each resource type the template does not use, whose write actions the
# deploy role therefore lacks. Reads stay granted: CloudFormation's handlers call them.
UNUSED = re.compile(
    r"Analytics|Inventory|Metrics|Replication|Website|Accelerate|ObjectLock|"
    r"Notification|Logging|IntelligentTiering|BucketMetadata|Abac|Acl|s3:DeleteObject|"
    r"KmsKey|DataProtection|IndexPolicy|ResourcePolicy|BearerToken|DeletionProtection|"
    r"LogDelivery|PermissionsBoundary|AttachRolePolicy|GetRandomPassword|Regions|"
    r"CodeSigning|Layer|CapacityProvider|Concurrency|ScalingConfig|RuntimeAlias|"
    r"Provisioned"
)
UNUSED_SERVICES = {"ec2", "elasticfilesystem", "s3files", "kms", "codedeploy",
                   "firehose", "s3tables"}  # fmt: skip
# SAM turns the function into these; the API's integration and authorizer take no role.
GENERATED = {
    "AWS::Serverless::Function": [
        "AWS::Lambda::Function",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
    ]
}
PASS_ROLE_ONLY_FOR = {"AWS::Lambda::Function"}


def handler_schemas() -> Path:
    found = sorted((REPO / ".tools").glob("lib/python*/site-packages/cfnlint/data"))
    if not found:
        pytest.fail("cfn-lint is not installed in .tools: run make test")
    return found[0] / "schemas"


def handler_actions(resource_type: str) -> set[str]:
    schemas = handler_schemas()
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads(
        (schemas / "resources" / f"{index[resource_type]}.json").read_text()
    )
    return {
        action
        for handler in ("create", "read", "update", "delete")
        for action in schema["handlers"].get(handler, {}).get("permissions", [])
    }


def needed(resource_type: str, action: str) -> bool:
    service, _, name = action.partition(":")
    if service in UNUSED_SERVICES or "." in name:
        return False
    if action == "iam:PassRole":
        return resource_type in PASS_ROLE_ONLY_FOR
    if service == "s3" and not resource_type.startswith("AWS::S3::"):
        return False
    # These reads look at other resources (layers, signing configs) or generate.
    elsewhere = name in {"GetCodeSigningConfig", "GetLayerVersion", "GetRandomPassword"}
    reading = name.startswith(("Get", "List", "Describe")) and not elsewhere

    return reading or not UNUSED.search(action)


@pytest.mark.parametrize(
    "resource_type",
    sorted(
        {
            generated
            for resource in load_template()["Resources"].values()
            for generated in GENERATED.get(resource["Type"], [resource["Type"]])
        }
    ),
)
def test_readme_policy_grants_what_cloudformation_needs_for_each_resource_type(
    resource_type: str,
) -> None:
    granted = {
        action.lower()
        for s in permissions_policy()["Statement"]
        for action in listed(s["Action"])
    }

    missing = {
        action
        for action in handler_actions(resource_type)
        if needed(resource_type, action) and action.lower() not in granted
    }

    assert not missing, f"{resource_type} needs {sorted(missing)}"
