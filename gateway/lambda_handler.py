"""AWS Lambda entry point: the same app, adapted to API Gateway events by Mangum."""

from gateway.logs import configure_logging
from gateway.main import create_app, lambda_adapter

configure_logging()
handler = lambda_adapter(create_app())
