"""HTTP API (payload 2.0) events and the environment both functions share."""

import hashlib
import json
from typing import Any

API_KEY = "fgw_benchmark-key-not-a-secret"
BUCKET = "bench-bucket"
REGION = "eu-west-1"
UPLOAD_BODY = {"fileName": "holiday photos/beach.png", "contentType": "image/png"}

ENVIRONMENT = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "ASIABENCHMARKEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "benchmark/secret+key/example",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEBenchmarkToken//////////wEaCWV1LXdlc3QtMSJH",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_NAME": "file-gateway-benchmark",
    "BUCKET_NAME": BUCKET,
    "GATEWAY_BUCKET_REGION": REGION,
    "GATEWAY_API_KEYS": f"bench:{hashlib.sha256(API_KEY.encode()).hexdigest()}",
}


class LambdaContext:
    aws_request_id = "6f2b1a0e-5c1d-4b8e-9a53-0d1c2b3a4f50"
    function_name = "file-gateway-benchmark"
    memory_limit_in_mb = 512


def http_api_event(
    method: str, path: str, *, body: str | None = None, route: str = "$default"
) -> dict[str, Any]:
    """A realistic HTTP API v2 event, as API Gateway sends it to the function."""
    headers = {
        "accept": "*/*",
        "accept-encoding": "gzip, deflate, br",
        "host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-amzn-trace-id": "Root=1-66388a59-0b1c2d3e4f5a6b7c8d9e0f1a",
        "x-api-key": API_KEY,
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body is not None:
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(body.encode()))
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "XyZ1aBcDeFgHiJ=",
            "routeKey": route,
            "stage": "$default",
            "time": "06/May/2024:07:08:09 +0000",
            "timeEpoch": 1714979289000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def upload_event() -> dict[str, Any]:
    return http_api_event("POST", "/files", body=json.dumps(UPLOAD_BODY))


def download_event(object_key: str, *, baseline: bool = False) -> dict[str, Any]:
    if not baseline:
        return http_api_event("GET", f"/files/{object_key}")
    event = http_api_event(
        "GET", f"/files/{object_key}", route="GET /files/{objectKey+}"
    )
    event["pathParameters"] = {"objectKey": object_key}
    return event
