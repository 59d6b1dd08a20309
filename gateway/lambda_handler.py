"""AWS Lambda entry point: the same app, adapted to API Gateway events by Mangum."""

from mangum import Mangum

from gateway.logs import configure_logging
from gateway.main import create_app

configure_logging()
handler = Mangum(create_app(), lifespan="off")
