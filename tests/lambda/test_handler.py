"""Every route through Mangum, fed realistic API Gateway events (tests/events)."""

import copy
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest

from gateway import storage
from gateway.main import create_app, lambda_adapter

EVENTS = Path(__file__).parent.parent / "events"
CONTEXT = SimpleNamespace(aws_request_id="5b7c1d2e-9f80-4a1b-8c3d-2e4f6a7b8c9d")
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def http_api_event(
    method: str,
    path: str,
    *,
    stage: str = "$default",
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    event = copy.deepcopy(load_event("http_api_v2.json"))
    full_path = path if stage == "$default" else f"/{stage}{path}"
    event["rawPath"] = full_path
    event["rawQueryString"] = query
    event["requestContext"]["http"].update(method=method, path=full_path)
    event["requestContext"]["stage"] = stage
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    event["headers"].update(headers or {})
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
        event["headers"]["content-length"] = str(len(event["body"]))
    return event


def rest_api_event(
    method: str,
    path: str,
    *,
    base_path: str = "",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = copy.deepcopy(load_event("rest_api_v1.json"))
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    if base_path:
        # Through a custom domain: the mapping's base path is part of the path.
        event["path"] = f"/{base_path}{path}"
        event["requestContext"]["path"] = f"/{base_path}{path}"
        event["requestContext"]["domainName"] = "files.example.com"
        event["headers"]["Host"] = "files.example.com"
    else:
        event["path"] = path
        event["requestContext"]["path"] = f"/prod{path}"
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    for name, value in (headers or {}).items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["Content-Type"] = "application/json"
        event["multiValueHeaders"]["Content-Type"] = ["application/json"]
    return event


PAYLOADS = {"http-api-v2": http_api_event, "rest-api-v1": rest_api_event}
UPLOAD = {"fileName": "résumé final+v2 (1)=x.pdf", "contentType": "application/pdf"}


@pytest.fixture
def make_handler(s3: Any, make_settings: Callable[..., Any]) -> Callable[..., Handler]:
    def factory(**overrides: Any) -> Handler:
        return lambda_adapter(create_app(make_settings(**overrides)))

    return factory


@pytest.fixture
def handler(make_handler: Callable[..., Handler]) -> Handler:
    return make_handler()


def headers_of(response: dict[str, Any]) -> dict[str, Any]:
    return {name.lower(): value for name, value in response["headers"].items()}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_post_files_through_the_handler(
    handler: Handler, auth: dict[str, str], payload: str
) -> None:
    event = PAYLOADS[payload]("POST", "/files", body=UPLOAD, headers=auth)

    response = handler(event, CONTEXT)

    assert response["statusCode"] == 201
    body = json.loads(response["body"])
    assert body["objectKey"].endswith("/résumé final+v2 (1)=x.pdf")
    assert headers_of(response)["x-request-id"] == CONTEXT.aws_request_id


@pytest.mark.parametrize("stage", ["$default", "prod"])
def test_http_api_stages_reach_the_routes(
    handler: Handler, auth: dict[str, str], stage: str
) -> None:
    event = http_api_event("POST", "/files", stage=stage, body=UPLOAD, headers=auth)

    assert handler(event, CONTEXT)["statusCode"] == 201


@pytest.mark.parametrize("configured", ["files-api", "/files-api"])
def test_rest_api_custom_domain_base_path_works_either_way_it_is_written(
    make_handler: Callable[..., Handler], auth: dict[str, str], configured: str
) -> None:
    handler = make_handler(base_path=configured)
    event = rest_api_event(
        "POST", "/files", base_path="files-api", body=UPLOAD, headers=auth
    )

    assert handler(event, CONTEXT)["statusCode"] == 201


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    "path",
    ["/files/uploads/ab/a.png", "/files/uploads%2Fab%2Fa.png"],
    ids=["raw", "encoded"],
)
def test_raw_and_encoded_keys_reach_the_same_object(
    handler: Handler, auth: dict[str, str], s3: Any, payload: str, path: str
) -> None:
    s3.put_object(Bucket="test-bucket", Key="tenants/acme/uploads/ab/a.png", Body=b"x")

    response = handler(PAYLOADS[payload]("GET", path, headers=auth), CONTEXT)

    assert response["statusCode"] == 302
    location = headers_of(response)["location"]
    assert unquote(urlsplit(location).path) == "/tenants/acme/uploads/ab/a.png"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_issued_key_round_trips_through_get(
    handler: Handler, auth: dict[str, str], s3: Any, payload: str
) -> None:
    make = PAYLOADS[payload]
    created = handler(make("POST", "/files", body=UPLOAD, headers=auth), CONTEXT)
    key = json.loads(created["body"])["objectKey"]
    s3.put_object(Bucket="test-bucket", Key=f"tenants/acme/{key}", Body=b"x")

    from urllib.parse import quote

    for path in (f"/files/{quote(key)}", f"/files/{quote(key, safe='')}"):
        response = handler(make("GET", path, headers=auth), CONTEXT)
        assert response["statusCode"] == 302, path


@pytest.mark.parametrize("payload", PAYLOADS)
def test_redirect_is_302_with_exactly_one_location(
    handler: Handler, auth: dict[str, str], s3: Any, payload: str
) -> None:
    s3.put_object(Bucket="test-bucket", Key="tenants/acme/a.txt", Body=b"x")

    response = handler(PAYLOADS[payload]("GET", "/files/a.txt", headers=auth), CONTEXT)

    assert response["statusCode"] == 302
    locations = [name for name in response["headers"] if name.lower() == "location"]
    multi = [
        name
        for name in response.get("multiValueHeaders") or {}
        if name.lower() == "location"
    ]
    assert len(locations) == 1
    assert multi == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_missing_key_is_404_json(
    handler: Handler, auth: dict[str, str], payload: str
) -> None:
    response = handler(
        PAYLOADS[payload]("GET", "/files/none.txt", headers=auth), CONTEXT
    )

    assert response["statusCode"] == 404
    assert json.loads(response["body"])["code"] == "object_not_found"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_health_and_openapi_through_the_handler(handler: Handler, payload: str) -> None:
    assert handler(PAYLOADS[payload]("GET", "/health"), CONTEXT)["statusCode"] == 200
    openapi = handler(PAYLOADS[payload]("GET", "/openapi.json"), CONTEXT)
    assert "/files" in json.loads(openapi["body"])["paths"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_options_preflight_is_answered(
    make_handler: Callable[..., Handler], payload: str
) -> None:
    handler = make_handler(cors_allow_origins=["https://app.example"])
    preflight = {
        "origin": "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }

    response = handler(
        PAYLOADS[payload]("OPTIONS", "/files", headers=preflight), CONTEXT
    )

    assert response["statusCode"] == 200
    assert headers_of(response)["access-control-allow-origin"] == "https://app.example"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_unauthenticated_event_gets_401(handler: Handler, payload: str) -> None:
    response = handler(PAYLOADS[payload]("POST", "/files", body=UPLOAD), CONTEXT)

    assert response["statusCode"] == 401


def test_jwt_claims_from_the_http_api_authorizer_pick_the_tenant(
    monkeypatch: pytest.MonkeyPatch, make_handler: Callable[..., Handler], s3: Any
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "gateway")
    handler = make_handler(auth_mode="jwt", api_keys=[])
    event = http_api_event("POST", "/files", body=UPLOAD)
    event["requestContext"]["authorizer"] = {
        "jwt": {
            "claims": {"sub": "user-42", "iss": "https://issuer.example"},
            "scopes": None,
        }
    }

    response = handler(event, CONTEXT)

    assert response["statusCode"] == 201
    assert "/tenants/user-42/" in unquote(json.loads(response["body"])["uploadURL"])


def test_warm_module_handler_builds_one_s3_client_and_only_when_needed(
    monkeypatch: pytest.MonkeyPatch, s3: Any, api_keys: dict[str, tuple[str, str]]
) -> None:
    monkeypatch.setenv("BUCKET_NAME", "test-bucket")
    monkeypatch.setenv("GATEWAY_BUCKET_REGION", "us-east-1")
    monkeypatch.setenv("GATEWAY_API_KEYS", api_keys["acme"][1])
    built = []
    real_make_client = storage.make_client
    monkeypatch.setattr(
        storage,
        "make_client",
        lambda *args: built.append(args) or real_make_client(*args),
    )
    monkeypatch.delitem(sys.modules, "gateway.lambda_handler", raising=False)
    module = importlib.import_module("gateway.lambda_handler")
    auth = {"authorization": f"Bearer {api_keys['acme'][0]}"}

    uploads = [
        module.handler(
            http_api_event("POST", "/files", body=UPLOAD, headers=auth), CONTEXT
        )
        for _ in range(2)
    ]
    clients_for_uploads = len(built)
    key = json.loads(uploads[0]["body"])["objectKey"]
    downloads = [
        module.handler(http_api_event("GET", f"/files/{key}", headers=auth), CONTEXT)
        for _ in range(2)
    ]

    assert [response["statusCode"] for response in uploads] == [201, 201]
    # Nothing was uploaded, so S3 answers that the object does not exist.
    assert [response["statusCode"] for response in downloads] == [404, 404]
    assert clients_for_uploads == 0
    assert len(built) == 1


# --- the file lifecycle through the handler -------------------------------------

MULTIPART = {"fileName": "big.bin", "contentType": "video/mp4", "size": 6 * 1024**2}


def call(handler: Handler, event: dict[str, Any]) -> tuple[int, Any]:
    response = handler(event, CONTEXT)
    body = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], body


def with_query(event: dict[str, Any], payload: str, **params: str) -> dict[str, Any]:
    """Add a query string the way each API Gateway payload carries it."""
    if payload == "http-api-v2":
        event["rawQueryString"] = urlencode(params)
        event["queryStringParameters"] = params
    else:
        event["queryStringParameters"] = params
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()}
    return event


@pytest.mark.parametrize("payload", PAYLOADS)
def test_multipart_upload_routes_through_the_handler(
    handler: Handler, auth: dict[str, str], s3: Any, payload: str
) -> None:
    make = PAYLOADS[payload]
    status, started = call(
        handler, make("POST", "/uploads", body=MULTIPART, headers=auth)
    )
    assert status == 201
    where = f"/uploads/{started['uploadId']}"
    key = started["objectKey"]
    sign = {
        "objectKey": key,
        "size": MULTIPART["size"],
        "partSize": started["partSize"],
        "parts": [{"partNumber": 1}],
    }
    s3.upload_part(
        Bucket="test-bucket",
        Key=f"tenants/acme/{key}",
        UploadId=started["uploadId"],
        PartNumber=1,
        Body=b"part",
    )

    signed = call(handler, make("POST", f"{where}/parts", body=sign, headers=auth))
    listed = call(
        handler,
        with_query(make("GET", f"{where}/parts", headers=auth), payload, objectKey=key),
    )
    completed = call(
        handler,
        make("POST", f"{where}/complete", body={"objectKey": key}, headers=auth),
    )

    assert signed[0] == 200
    assert signed[1]["parts"][0]["headers"] == {"Content-Length": str(6 * 1024**2)}
    assert (listed[0], [p["size"] for p in listed[1]["parts"]]) == (200, [4])
    assert completed == (
        201,
        {"objectKey": key, "size": 4, "etag": completed[1]["etag"]},
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_abort_through_the_handler(
    handler: Handler, auth: dict[str, str], s3: Any, payload: str
) -> None:
    make = PAYLOADS[payload]
    _, started = call(handler, make("POST", "/uploads", body=MULTIPART, headers=auth))
    event = make("DELETE", f"/uploads/{started['uploadId']}", headers=auth)

    status, _ = call(
        handler, with_query(event, payload, objectKey=started["objectKey"])
    )

    assert status == 204
    assert s3.list_multipart_uploads(Bucket="test-bucket").get("Uploads", []) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_form_upload_through_the_handler(
    handler: Handler, auth: dict[str, str], payload: str
) -> None:
    body = {"fileName": "a.png", "contentType": "image/png", "maxSize": 100}

    status, form = call(
        handler, PAYLOADS[payload]("POST", "/files/form", body=body, headers=auth)
    )

    assert status == 201
    assert form["fields"]["key"] == f"tenants/acme/{form['objectKey']}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_metadata_list_and_delete_through_the_handler(
    handler: Handler, auth: dict[str, str], s3: Any, payload: str
) -> None:
    make = PAYLOADS[payload]
    for key in ("a/x y+z.txt", "a/b.txt"):
        s3.put_object(Bucket="test-bucket", Key=f"tenants/acme/{key}", Body=b"hi")
    json_auth = {**auth, "accept": "application/json"}

    described = call(handler, make("GET", "/files/a/x%20y%2Bz.txt", headers=json_auth))
    listed = call(
        handler, with_query(make("GET", "/files", headers=auth), payload, prefix="a/")
    )
    deleted = call(handler, make("DELETE", "/files/a/x%20y%2Bz.txt", headers=auth))
    again = call(handler, make("DELETE", "/files/a/x%20y%2Bz.txt", headers=auth))

    assert (described[0], described[1]["objectKey"], described[1]["size"]) == (
        200,
        "a/x y+z.txt",
        2,
    )
    assert [f["objectKey"] for f in listed[1]["files"]] == ["a/b.txt", "a/x y+z.txt"]
    assert deleted[0] == 204
    assert (again[0], again[1]["code"]) == (404, "object_not_found")


@pytest.mark.parametrize("declared_length", [None, "0"])
def test_body_over_the_limit_is_refused_whatever_content_length_says(
    handler: Handler, auth: dict[str, str], declared_length: str | None
) -> None:
    # A Lambda event carries its whole body, with or without a Content-Length.
    event = http_api_event(
        "POST", "/files", body={**UPLOAD, "pad": "x" * 50_000}, headers=auth
    )
    del event["headers"]["content-length"]
    if declared_length is not None:
        event["headers"]["content-length"] = declared_length

    response = handler(event, CONTEXT)

    assert response["statusCode"] == 413
    assert json.loads(response["body"])["code"] == "request_too_large"
