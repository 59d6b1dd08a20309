"""The gateway under uvicorn in a thread on a free loopback port, for HTTP tests."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from gateway.auth import create_api_key

HOST = "127.0.0.1"
Gateway = Callable[..., str]

# Two tenants every integration gateway knows.
ACME_KEY, ACME_ENTRY = create_api_key("acme")
GLOBEX_KEY, GLOBEX_ENTRY = create_api_key("globex")
ACME = {"Authorization": f"Bearer {ACME_KEY}"}
GLOBEX = {"X-Api-Key": GLOBEX_KEY}


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host=HOST, port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
