"""Which HTTP API route, and so which authorizer, each request to the app reaches.

API Gateway picks the most specific route: a full literal path over a greedy
`{proxy+}`, a longer literal prefix over a shorter one, a method over ANY.
"""

from collections.abc import Callable
from typing import Any

import pytest

from gateway.main import create_app
from gateway.settings import Settings
from tests.deploy.support import Stack

pytestmark = pytest.mark.deploy

JWT = {"JwtIssuer": "https://issuer.example.com", "JwtAudience": "gateway"}
APP_REQUESTS = [
    ("GET", "/"),
    ("POST", "/files"),
    ("GET", "/files"),
    ("GET", "/files/report.pdf"),
    ("GET", "/files/2024/q1/report.pdf"),
    ("DELETE", "/files/2024/q1/report.pdf"),
    ("POST", "/uploads"),
    ("PUT", "/uploads/abc123/parts/2"),
    ("POST", "/uploads/abc123/parts"),
    ("GET", "/uploads/abc123/parts"),
    ("POST", "/files/form"),
    ("POST", "/uploads/abc123/complete"),
    ("DELETE", "/uploads/abc123"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/health"),
]
RESOURCE_REQUESTS = [
    (m, p) for m, p in APP_REQUESTS if p.startswith(("/files", "/uploads"))
]
PUBLIC_REQUESTS = [
    ("GET", "/"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/health"),
    ("OPTIONS", "/files"),
    ("OPTIONS", "/files/2024/q1/report.pdf"),
    ("OPTIONS", "/uploads/abc123/parts/2"),
]


def route_matches(route_path: str, path: str) -> tuple[bool, int] | None:
    """Whether a route path matches, and how many literal segments it has."""
    route = [s for s in route_path.split("/") if s]
    request = [s for s in path.split("/") if s]
    greedy = bool(route) and route[-1].endswith("+}")
    literal = route[:-1] if greedy else route
    if greedy and len(request) <= len(literal):
        return None
    if not greedy and len(request) != len(literal):
        return None
    if request[: len(literal)] != literal:
        return None
    return (not greedy, len(literal))


def select_route(stack: Stack, method: str, path: str) -> dict[str, Any]:
    candidates = []
    for logical_id, resource in stack.document["Resources"].items():
        if resource["Type"] != "AWS::ApiGatewayV2::Route":
            continue
        route = stack.properties(logical_id)
        route_method, route_path = route["RouteKey"].split(" ")
        match = route_matches(route_path, path)
        if match and route_method in {method, "ANY"}:
            candidates.append(((*match, route_method != "ANY"), route))
    assert candidates, f"no route for {method} {path}"

    return max(candidates, key=lambda candidate: candidate[0])[1]


@pytest.mark.parametrize(("method", "path"), APP_REQUESTS)
def test_every_app_request_reaches_the_function(
    stack: Callable[..., Stack], method: str, path: str
) -> None:
    deployed = stack(JWT)

    route = select_route(deployed, method, path)

    assert route["Target"] == "integrations/<GatewayIntegration>"
    assert deployed.properties("GatewayIntegration")["PayloadFormatVersion"] == "2.0"


def test_every_route_of_the_app_is_in_the_checked_requests() -> None:
    settings = Settings(
        bucket_name="bucket", bucket_region="eu-west-1", allow_anonymous=True
    )
    app = create_app(settings)

    operations = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
    }
    operations |= {
        ("GET", url) for url in (app.docs_url, app.redoc_url, app.openapi_url) if url
    }
    assert ("POST", "/files") in operations
    for method, template_path in operations:
        prefix = template_path.split("{")[0]
        templated = "{" in template_path
        assert any(
            m == method
            and (p.startswith(prefix) and p != prefix if templated else p == prefix)
            for m, p in APP_REQUESTS
        ), f"{method} {template_path} is not among the checked requests"


@pytest.mark.parametrize(("method", "path"), RESOURCE_REQUESTS)
def test_jwt_authorizer_guards_files_and_uploads(
    stack: Callable[..., Stack], method: str, path: str
) -> None:
    route = select_route(stack(JWT), method, path)

    assert route["AuthorizationType"] == "JWT"
    assert route["AuthorizerId"] == "<JwtAuthorizer>"


@pytest.mark.parametrize(("method", "path"), PUBLIC_REQUESTS)
def test_preflights_docs_and_health_skip_the_jwt_authorizer(
    stack: Callable[..., Stack], method: str, path: str
) -> None:
    route = select_route(stack(JWT), method, path)

    assert route.get("AuthorizationType", "NONE") == "NONE"
    assert "AuthorizerId" not in route


def test_jwt_authorizer_exists_only_with_an_issuer(stack: Callable[..., Stack]) -> None:
    with_jwt = stack(JWT)
    with_keys = stack({"ApiKeysParameterName": "/gw/keys"})

    authorizer = with_jwt.properties("JwtAuthorizer")
    assert with_jwt.exists("JwtAuthorizer")
    assert authorizer["JwtConfiguration"] == {
        "Issuer": "https://issuer.example.com",
        "Audience": ["gateway"],
    }
    assert not with_keys.exists("JwtAuthorizer")
    assert with_keys.properties("FileObjectRoute")["AuthorizationType"] == "NONE"
    env = with_jwt.properties("GatewayFunction")["Environment"]["Variables"]
    assert env["GATEWAY_AUTH_MODE"] == "jwt"


def test_api_may_invoke_only_the_published_alias(stack: Callable[..., Stack]) -> None:
    deployed = stack(JWT)
    permission = deployed.properties("ApiInvokePermission")

    assert permission["FunctionName"] == "<GatewayFunction.Alias>"
    assert (
        deployed.properties("GatewayIntegration")["IntegrationUri"]
        == "<GatewayFunction.Alias>"
    )
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert (
        permission["SourceArn"]
        == "arn:aws:execute-api:eu-west-1:123456789012:<HttpApi>/*"
    )
