"""AWS Lambda entry point: the same app, adapted to API Gateway events by Mangum."""

from gateway.logs import configure_logging
from gateway.main import create_app, lambda_adapter
from gateway.settings import load_settings
from gateway.storage import Storage

configure_logging()
settings = load_settings()
# Lambda hands a process one event at a time, so S3 is called without a thread hop.
storage = Storage(settings, one_request_at_a_time=True)
handler = lambda_adapter(create_app(settings, storage))
