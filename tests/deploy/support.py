"""Helpers for the offline deploy checks.

The template is read by `load_template`, which turns CloudFormation's short tags into
their long form, and evaluated by `Stack`: a small interpreter of the intrinsic
functions the template uses, so that tests can ask what a deployment with given
parameters would configure (environment, policies, routes) without AWS.
"""

import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
NO_VALUE = object()
STACK_ID = (
    "arn:aws:cloudformation:eu-west-1:123456789012:stack/file-gateway/"
    "5f2a1c3e-0b7d-11ef-9a4e-0a1b2c3d4e5f"
)
# What CloudFormation would return for the secret the stack creates (name + suffix).
CREATED_SECRET_ARN = (
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
    "file-gateway/api-key-hashes-5f2a1c3e-QwErTy"
)
_DYNAMIC_SECRET = re.compile(r"\{\{resolve:secretsmanager:(.+?):SecretString\}\}")
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")

# Dummy credentials and no metadata endpoint: nothing here may reach AWS.
OFFLINE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "SAM_CLI_TELEMETRY": "0",
}


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (`!Ref`, `!Sub`, `!GetAtt`...)."""


def _long_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _long_form)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_TemplateLoader)  # noqa: S506  # a safe loader with extra tags
    return document


class Stack:
    """The template as deployed with `parameters`, in `region`, named `bucket`."""

    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        *,
        region: str = "eu-west-1",
        bucket: str = "file-gateway-test-bucket",
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.document = document
        self.region = region
        self.secrets = dict(secrets or {})
        self.parameters = self._parameter_values(parameters or {})
        self.names = {
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::AccountId": "123456789012",
            "AWS::StackName": "file-gateway",
            "AWS::StackId": STACK_ID,
            "AWS::URLSuffix": "amazonaws.com",
            "FilesBucket": bucket,
            "FilesBucket.Arn": f"arn:aws:s3:::{bucket}",
            "ApiKeyHashes": CREATED_SECRET_ARN,
        }

    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.document["Parameters"].items():
            value = str(overrides.get(name, spec.get("Default", "")))
            if spec["Type"] == "CommaDelimitedList":
                values[name] = value.split(",")
            else:
                values[name] = value
        unknown = set(overrides) - set(values)
        assert not unknown, f"not template parameters: {unknown}"

        return values

    def resource(self, logical_id: str) -> dict[str, Any]:
        return self.document["Resources"][logical_id]

    def properties(self, logical_id: str) -> Any:
        return self.resolve(self.resource(logical_id)["Properties"])

    def exists(self, logical_id: str) -> bool:
        condition = self.resource(logical_id).get("Condition")
        return condition is None or self.condition(condition)

    def outputs(self) -> dict[str, Any]:
        return {
            name: self.resolve(output["Value"])
            for name, output in self.document["Outputs"].items()
            if "Condition" not in output or self.condition(output["Condition"])
        }

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document["Conditions"][name]))

    def resolve(self, node: Any) -> Any:
        if isinstance(node, Mapping) and len(node) == 1:
            ((key, argument),) = node.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        if isinstance(node, Mapping):
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(node, bool | int | float):
            return str(node).lower() if isinstance(node, bool) else str(node)
        return node

    def lookup(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.names.get(name, f"<{name}>")

    def substitute(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}
        text = _SUB_NAME.sub(
            lambda match: str(values.get(match[1], self.lookup(match[1]))), text
        )
        return _DYNAMIC_SECRET.sub(
            lambda match: self.secrets.get(match[1], "<secret>"), text
        )


def _join(stack: Stack, argument: list[Any]) -> str:
    separator, items = argument
    resolved = stack.resolve(items)
    return separator.join(resolved if isinstance(resolved, list) else [resolved])


_FUNCTIONS: dict[str, Callable[[Stack, Any], Any]] = {
    "Ref": lambda stack, name: stack.lookup(name),
    "Fn::GetAtt": lambda stack, pair: stack.lookup(".".join(pair)),
    "Fn::Sub": lambda stack, text: stack.substitute(text),
    "Fn::Join": _join,
    "Fn::Split": lambda stack, arg: stack.resolve(arg[1]).split(arg[0]),
    "Fn::Select": lambda stack, arg: stack.resolve(arg[1])[int(arg[0])],
    "Fn::If": lambda stack, arg: stack.resolve(
        arg[1] if stack.condition(arg[0]) else arg[2]
    ),
    "Fn::Equals": lambda stack, arg: stack.resolve(arg[0]) == stack.resolve(arg[1]),
    "Fn::Not": lambda stack, arg: not stack.resolve(arg[0]),
    "Fn::And": lambda stack, arg: all(stack.resolve(item) for item in arg),
    "Fn::Or": lambda stack, arg: any(stack.resolve(item) for item in arg),
    "Condition": lambda stack, name: stack.condition(name),
    # The short tag !Condition, as the loader spells it.
    "Fn::Condition": lambda stack, name: stack.condition(name),
}


def find_tool(name: str, package: str) -> str:
    """The path of a command-line tool, or a failure that says how to install it."""
    found = shutil.which(name)
    # Beside this interpreter, or in the Makefile's tools venv (sam and cfn-lint).
    for folder in (Path(sys.executable).parent, REPO / ".tools" / "bin"):
        if found is None and (folder / name).exists():
            found = str(folder / name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install {package} (CI installs it)")

    return found


def offline_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **OFFLINE_AWS_ENV, **extra}
    # The tools live beside the interpreter when the venv is not activated.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    return env
