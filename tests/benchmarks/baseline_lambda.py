"""The original design's Lambda function, kept as the benchmark's baseline.

A boto3 client at module scope, one `generate_presigned_url` per call, JSON in and
out. It signs on the same regional host with the same client options as the gateway,
so the two are compared on equal terms.
"""

import json
import os
import uuid
from typing import Any

import boto3
from botocore.config import Config

BUCKET = os.environ["BUCKET_NAME"]
REGION = os.environ["GATEWAY_BUCKET_REGION"]

s3 = boto3.client(
    "s3",
    region_name=REGION,
    endpoint_url=f"https://s3.{REGION}.amazonaws.com",
    config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
)


def upload_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    body = json.loads(event["body"])
    key = f"{uuid.uuid4().hex}/{body['fileName']}"
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": BUCKET, "Key": key, "ContentType": body["contentType"]},
        ExpiresIn=300,
    )

    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"uploadURL": url, "objectKey": key}),
    }


def download_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    key = event["pathParameters"]["objectKey"]
    s3.head_object(Bucket=BUCKET, Key=key)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=3600
    )

    return {"statusCode": 302, "headers": {"location": url}, "body": ""}
