"""`make run`: the gateway on loopback with an embedded S3, and how to use it.

With `GATEWAY_S3_ENDPOINT_URL` (or `S3_ENDPOINT_URL`) set, that endpoint is used
instead of the embedded one; its bucket is created if missing.
"""

import logging
import os
import shlex
import socket
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway.auth import hash_api_key
from gateway.logs import configure_logging

DEV_BUCKET = "gateway-dev"
DEV_TENANT = "dev"
LOOPBACK = "127.0.0.1"


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    endpoint = os.environ.get("GATEWAY_S3_ENDPOINT_URL") or os.environ.get(
        "S3_ENDPOINT_URL"
    )
    if not endpoint:
        endpoint = start_embedded_s3()
    api_key = os.environ.get("GATEWAY_DEV_API_KEY") or new_dev_key()
    configure_environment(endpoint, api_key)
    prepare_bucket(endpoint, port)
    print(walkthrough(port, api_key), flush=True)
    serve(port)


def start_embedded_s3() -> str:
    from moto.server import ThreadedMotoServer

    # Dummy credentials: the embedded S3 accepts any, and nothing may reach real AWS.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "dev")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "dev-secret")
    port = free_port()
    # Its request log would print every pre-signed URL, signature included.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False).start()

    return f"http://{LOOPBACK}:{port}"


def new_dev_key() -> str:
    from gateway.auth import create_api_key

    return create_api_key(DEV_TENANT)[0]


def configure_environment(endpoint: str, api_key: str) -> None:
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["GATEWAY_S3_ENDPOINT_URL"] = endpoint
    os.environ.setdefault(
        "GATEWAY_BUCKET_NAME", os.environ.get("BUCKET_NAME", DEV_BUCKET)
    )
    os.environ.setdefault("GATEWAY_BUCKET_REGION", "us-east-1")
    entry = f"{DEV_TENANT}:{hash_api_key(api_key)}"
    extra = os.environ.get("GATEWAY_API_KEYS")
    os.environ["GATEWAY_API_KEYS"] = f"{extra},{entry}" if extra else entry


def prepare_bucket(endpoint: str, port: int) -> None:
    """Create the bucket if missing and let pages on the gateway's origin use it."""
    bucket = os.environ["GATEWAY_BUCKET_NAME"]
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ["GATEWAY_BUCKET_REGION"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    try:
        client.create_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    origins = [f"http://{LOOPBACK}:{port}", f"http://localhost:{port}"]
    client.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins,
                    "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )


def walkthrough(port: int, api_key: str) -> str:
    base = f"http://{LOOPBACK}:{port}"
    endpoint = os.environ["GATEWAY_S3_ENDPOINT_URL"]
    bucket = os.environ["GATEWAY_BUCKET_NAME"]
    auth = shlex.quote(f"Authorization: Bearer {api_key}")
    upload_url = (
        'python3 -c \'import json; print(json.load(open("upload.json"))["uploadURL"])\''
    )
    # Keys may hold spaces and non-ASCII letters: the GET sends the key percent-encoded.
    object_key = (
        "python3 -c 'import json, urllib.parse as u; "
        'print(u.quote(json.load(open("upload.json"))["objectKey"]))\''
    )
    return f"""
File gateway (development) on {base}   (PORT changes the port)
  Upload:    {base}/   (a page for browsers: paste the API key, drop files)
  API docs:  {base}/docs
  API key:   {api_key}   (tenant "{DEV_TENANT}"; set GATEWAY_DEV_API_KEY to fix it)
  S3:        {endpoint}  bucket {bucket}

Try it (copy and paste). The embedded S3 (moto) does not check signatures, content
types, sizes or expiry; point S3_ENDPOINT_URL at SeaweedFS or AWS to see S3 refuse them.
  echo 'hello, gateway' > hello.txt
  curl -s -X POST {base}/files -H {auth} \\
       -H 'Content-Type: application/json' \\
       -d '{{"fileName": "hello.txt", "contentType": "text/plain"}}' > upload.json
  curl -s -X PUT -H 'Content-Type: text/plain' -H 'If-None-Match: *' \\
       --data-binary @hello.txt -w '%{{http_code}}\\n' "$({upload_url})"
  curl -sL -H {auth} "{base}/files/$({object_key})"
"""


def serve(port: int) -> None:
    import uvicorn

    configure_logging()
    uvicorn.run(
        "gateway.main:create_app",
        factory=True,
        host=LOOPBACK,
        port=port,
        access_log=False,
        log_config=None,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
