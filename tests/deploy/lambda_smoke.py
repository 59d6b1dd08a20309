"""Serve one API Gateway event through the built Lambda artifact, against moto.

Run by test_deploy_lambda_artifact.py on the Lambda runtime's Python version, isolated
from any site-packages (python3.12 -I -S), as:

    lambda_smoke.py ARTIFACT_DIR MOTO_DIR EVENT_FILE

The function's environment is the template's. moto cannot create a secret under a
chosen ARN, so the secret the stack would create is made here from SMOKE_KEY_HASHES
and its ARN replaces the template's in GATEWAY_API_KEYS_SECRET_ARN.

The artifact directory comes first on the path, so the handler, FastAPI, boto3 and
pydantic_core are the artifact's own; moto's directory only adds moto. Prints one JSON
object: the interpreter version, where key modules came from, and the response.
"""

import json
import os
import sys
from pathlib import Path


class LambdaContext:
    function_name = "file-gateway-smoke"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def serve(event: dict[str, object]) -> dict[str, object]:
    import boto3
    from moto import mock_aws

    region = os.environ["GATEWAY_BUCKET_REGION"]
    with mock_aws():
        s3 = boto3.client("s3", region_name=region)
        s3.create_bucket(
            Bucket=os.environ["GATEWAY_BUCKET_NAME"],
            CreateBucketConfiguration={"LocationConstraint": region},
        )
        secrets = boto3.client("secretsmanager", region_name=region)
        name = os.environ["GATEWAY_API_KEYS_SECRET_ARN"].split(":")[6]
        os.environ["GATEWAY_API_KEYS_SECRET_ARN"] = secrets.create_secret(
            Name=name.rsplit("-", 1)[0], SecretString=os.environ["SMOKE_KEY_HASHES"]
        )["ARN"]
        from gateway.lambda_handler import handler

        return handler(event, LambdaContext())


def main() -> None:
    artifact, moto_dir, event_file = sys.argv[1:4]
    sys.path[:0] = [artifact, moto_dir]
    response = serve(json.loads(Path(event_file).read_text()))

    import pydantic_core

    import gateway

    print(
        json.dumps(
            {
                "python": list(sys.version_info[:2]),
                "gateway": gateway.__file__,
                "pydantic_core": pydantic_core.__file__,
                "response": response,
            }
        )
    )


if __name__ == "__main__":
    main()
