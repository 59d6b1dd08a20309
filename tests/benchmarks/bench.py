"""`make bench`: the gateway against the original design's function, in one run.

Every row compares two things measured in this run, interleaved round by round so
that drift in the machine hits both; each figure is the median of repeated rounds,
and warm-up calls are never counted. Prints one table with ratios and pass/fail.

    python tests/benchmarks/bench.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parents[1]
# botocore signs through awscrt whenever it can import it; Lambda's Python runtime
# has no awscrt and neither does this project, so the benchmark hides it from both.
WITHOUT_AWSCRT = BENCH_DIR / "without_awscrt"
IMPORT_PATH = [str(WITHOUT_AWSCRT), str(ROOT), str(BENCH_DIR)]
sys.path[:0] = IMPORT_PATH

from events import (  # noqa: E402  # the path is set up just above
    API_KEY,
    ENVIRONMENT,
    UPLOAD_BODY,
    LambdaContext,
    download_event,
    upload_event,
)

os.environ.update(ENVIRONMENT)


@dataclass(frozen=True)
class RunPlan:
    rounds: int
    calls: int
    warmup: int
    cold_runs: int
    load_seconds: int
    load_rounds: int


FULL = RunPlan(
    rounds=9, calls=1000, warmup=300, cold_runs=9, load_seconds=5, load_rounds=3
)
QUICK = RunPlan(
    rounds=3, calls=200, warmup=50, cold_runs=3, load_seconds=2, load_rounds=1
)


@dataclass(frozen=True)
class Row:
    metric: str
    baseline_label: str
    baseline: float
    gateway: float
    unit: str
    target: float
    at_least: bool = False

    @property
    def ratio(self) -> float:
        return self.gateway / self.baseline

    @property
    def met(self) -> bool:
        return self.ratio >= self.target if self.at_least else self.ratio <= self.target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    settings = QUICK if parser.parse_args().quick else FULL

    rows = [
        *warm_rows(settings),
        *cold_rows(settings),
        load_row(settings),
        presign_row(settings),
    ]
    print_table(rows, settings)
    print_floor(settings)

    return 0 if all(row.met for row in rows) else 1


# Warm invocations through the Lambda handler.


def warm_rows(settings: RunPlan) -> list[Row]:
    handler, storage_client = load_gateway()
    baseline = load_baseline()
    stub_existence_checks(storage_client)
    stub_existence_checks(baseline.s3)
    context = LambdaContext()

    post = upload_event()
    expect(handler(post, context), 201, "gateway POST /files")
    expect(baseline.upload_handler(post, context), 201, "baseline upload")
    key = json.loads(handler(post, context)["body"])["objectKey"]
    get, baseline_get = download_event(key), download_event(key, baseline=True)
    expect(handler(get, context), 302, "gateway GET /files/{key}")
    expect(baseline.download_handler(baseline_get, context), 302, "baseline GET")

    post_times, get_times = compare_warm(
        handler, baseline, post, (get, baseline_get), settings
    )

    return [
        Row("warm POST /files via handler", "original fn", *post_times, "µs", 1.0),
        Row("warm GET /files/{key} via handler", "original fn", *get_times, "µs", 1.0),
    ]


def compare_warm(
    handler: Callable[..., dict[str, Any]],
    baseline: Any,
    post: dict[str, Any],
    gets: tuple[dict[str, Any], dict[str, Any]],
    settings: RunPlan,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median µs of warm POST and GET calls: (baseline, gateway) for each."""
    context = LambdaContext()
    get, baseline_get = gets
    post_times = compare(
        lambda: handler(post, context),
        lambda: baseline.upload_handler(post, context),
        settings,
    )
    get_times = compare(
        lambda: handler(get, context),
        lambda: baseline.download_handler(baseline_get, context),
        settings,
    )

    return post_times, get_times


def print_floor(settings: RunPlan) -> None:
    """The same app with no middleware, hence no log line: what is left is Mangum,
    FastAPI and the routes. No target; it shows where the warm rows' time goes."""
    from gateway import lambda_handler
    from gateway.main import create_app, lambda_adapter

    app = create_app(lambda_handler.settings, lambda_handler.storage)
    app.user_middleware = []
    bare = lambda_adapter(app)
    baseline = load_baseline()
    context = LambdaContext()
    post = upload_event()
    key = json.loads(bare(post, context)["body"])["objectKey"]
    get, baseline_get = download_event(key), download_event(key, baseline=True)
    expect(bare(get, context), 302, "bare app GET /files/{key}")

    post_times, get_times = compare_warm(
        bare, baseline, post, (get, baseline_get), settings
    )
    print("\nDiagnostic, no target: the app without its middleware and log line")
    for name, (base, gateway) in (("POST", post_times), ("GET", get_times)):
        print(
            f"  warm {name}: baseline {base:,.1f} µs, app {gateway:,.1f} µs, "
            f"{gateway / base:.2f}x"
        )


def load_gateway() -> tuple[Callable[..., dict[str, Any]], Any]:
    from gateway import lambda_handler

    if not Path(lambda_handler.__file__).is_relative_to(ROOT):
        raise SystemExit(f"benchmarking the wrong checkout: {lambda_handler.__file__}")
    # The handler logs one line per request; keep the line, drop the terminal.
    sink = open(os.devnull, "w")  # noqa: SIM115  # lives as long as the process
    for log_handler in logging.getLogger().handlers:
        if isinstance(log_handler, logging.StreamHandler):
            log_handler.setStream(sink)
    handler = lambda_handler.handler
    storage = handler.app.state.files.storage

    return handler, storage.client


def load_baseline() -> Any:
    import baseline_lambda

    return baseline_lambda


def stub_existence_checks(client: Any) -> None:
    """Both sides ask S3 whether the object exists; neither reaches the network."""

    def head_object(**_: Any) -> dict[str, Any]:
        return {"ContentLength": 1}

    def list_objects_v2(**params: Any) -> dict[str, Any]:
        return {"Contents": [{"Key": params["Prefix"]}], "KeyCount": 1}

    client.head_object = head_object
    client.list_objects_v2 = list_objects_v2


def expect(response: dict[str, Any], status: int, what: str) -> None:
    if response["statusCode"] != status:
        raise SystemExit(f"{what} answered {response['statusCode']}: {response}")


def compare(
    gateway: Callable[[], object], baseline: Callable[[], object], settings: RunPlan
) -> tuple[float, float]:
    """Median µs per call of each, from rounds that alternate between the two."""
    for _ in range(settings.warmup):
        gateway()
        baseline()
    gateway_rounds, baseline_rounds = [], []
    for _ in range(settings.rounds):
        gateway_rounds.append(time_per_call(gateway, settings.calls))
        baseline_rounds.append(time_per_call(baseline, settings.calls))

    return statistics.median(baseline_rounds), statistics.median(gateway_rounds)


def time_per_call(call: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()

    return (time.perf_counter() - started) / calls * 1e6


# Cold start and peak memory: fresh processes, alternated.


def cold_rows(settings: RunPlan) -> list[Row]:
    seconds: dict[str, list[float]] = {"gateway": [], "baseline": []}
    peaks: dict[str, list[float]] = {"gateway": [], "baseline": []}
    for which in ("gateway", "baseline"):
        cold_start(which)  # fills the OS page cache; not counted
    for _ in range(settings.cold_runs):
        for which in ("gateway", "baseline"):
            elapsed, peak_kib = cold_start(which)
            seconds[which].append(elapsed * 1000)
            peaks[which].append(peak_kib / 1024)

    return [
        Row(
            "cold start: import + one POST /files",
            "original fn",
            statistics.median(seconds["baseline"]),
            statistics.median(seconds["gateway"]),
            "ms",
            1.3,
        ),
        Row(
            "peak memory of that process",
            "original fn",
            statistics.median(peaks["baseline"]),
            statistics.median(peaks["gateway"]),
            "MiB",
            1.2,
        ),
    ]


def cold_start(which: str) -> tuple[float, int]:
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "cold_start.py", which],
        cwd=BENCH_DIR,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"cold start of {which} failed:\n{finished.stderr[-2000:]}")

    return elapsed, json.loads(finished.stdout.splitlines()[-1])["peak_kib"]


def child_environment() -> dict[str, str]:
    environment = {**os.environ, **ENVIRONMENT}
    environment["PYTHONPATH"] = os.pathsep.join(IMPORT_PATH)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)

    return environment


# Load on one uvicorn worker: POST /files against the same server's health check.


def load_row(settings: RunPlan) -> Row:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    with uvicorn_server() as base_url, tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(wrk_post_script())
        health = [wrk, f"{base_url}/health"]
        post = [wrk, "-s", str(script), f"{base_url}/files"]
        for command in (health, post):
            run_wrk(command, seconds=2)  # warm-up, not counted
        health_rps, post_rps = [], []
        for _ in range(settings.load_rounds):
            health_rps.append(run_wrk(health, settings.load_seconds))
            post_rps.append(run_wrk(post, settings.load_seconds))

    return Row(
        "uvicorn, 1 worker, 16 clients: POST /files",
        "GET /health",
        statistics.median(health_rps),
        statistics.median(post_rps),
        "req/s",
        0.5,
        at_least=True,
    )


def wrk_post_script() -> str:
    body = json.dumps(UPLOAD_BODY)
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Api-Key"] = "{API_KEY}"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("errors %d %d\\n", summary.errors.status, '
        "summary.requests))\n"
        "end\n"
    )


def run_wrk(command: list[str], seconds: int) -> float:
    """Requests per second that completed with a 2xx or 3xx status."""
    finished = subprocess.run(
        [*command[:1], "-t1", "-c16", f"-d{seconds}s", *command[1:]],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    output = finished.stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"the server answered errors under load:\n{output}")
    line = next(line for line in output.splitlines() if line.startswith("Requests/sec"))

    return float(line.split()[1])


@contextlib.contextmanager
def uvicorn_server() -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "gateway.main:create_app",
        "--factory",
        "--host=127.0.0.1",
        f"--port={port}",
        "--no-access-log",
        "--log-level=warning",
    ]
    environment = child_environment()
    environment.pop("AWS_LAMBDA_FUNCTION_NAME")
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, server)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until_healthy(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the uvicorn server exited during start-up")
        health = urllib.request.Request(f"{base_url}/health")  # noqa: S310  # http only
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(health, timeout=1) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise SystemExit("the uvicorn server did not become healthy in 30 s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Presigning alone: the gateway's signer against a bare SigV4 HMAC chain.


def presign_row(settings: RunPlan) -> Row:
    from botocore.credentials import Credentials

    from gateway.signing import S3Presigner

    signer = S3Presigner(ENVIRONMENT["GATEWAY_BUCKET_REGION"])
    credentials = Credentials(
        ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        ENVIRONMENT["AWS_SESSION_TOKEN"],
    )
    key = "tenants/bench/0123456789abcdef0123456789abcdef/holiday photos/beach.png"

    def presign() -> str:
        return signer.presign_put_object(
            credentials.get_frozen_credentials(),
            ENVIRONMENT["BUCKET_NAME"],
            key,
            300,
            content_type="image/png",
            if_none_match="*",
        )

    bare_times = compare(presign, bare_sigv4_chain, settings)

    return Row(
        "presign one URL (signer alone)", "bare HMAC chain", *bare_times, "µs", 5.0
    )


CANONICAL_REQUEST = (
    "PUT\n/tenants/bench/0123456789abcdef0123456789abcdef/holiday%20photos/beach.png\n"
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIABENCHMARKEXAMPLE%2F20240506"
    "%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20240506T070809Z&X-Amz-Expires=300"
    "&X-Amz-SignedHeaders=content-type%3Bhost%3Bif-none-match\n"
    "content-type:image/png\nhost:bench-bucket.s3.eu-west-1.amazonaws.com\n"
    "if-none-match:*\n\ncontent-type;host;if-none-match\nUNSIGNED-PAYLOAD"
)


def bare_sigv4_chain() -> str:
    """The cryptography of one SigV4 signature and nothing else: no URL, no cache."""
    key = b"AWS4" + ENVIRONMENT["AWS_SECRET_ACCESS_KEY"].encode()
    for part in (b"20240506", b"eu-west-1", b"s3", b"aws4_request"):
        key = hmac.digest(key, part, "sha256")
    digest = hashlib.sha256(CANONICAL_REQUEST.encode()).hexdigest()
    scope = "20240506/eu-west-1/s3/aws4_request"
    string_to_sign = f"AWS4-HMAC-SHA256\n20240506T070809Z\n{scope}\n{digest}"

    return hmac.new(key, string_to_sign.encode(), "sha256").hexdigest()


# The table.


def print_table(rows: list[Row], settings: RunPlan) -> None:
    header = ("metric", "compared with", "baseline", "gateway", "ratio", "target", "")
    lines = [header]
    for row in rows:
        sign = "≥" if row.at_least else "≤"
        lines.append(
            (
                row.metric,
                row.baseline_label,
                f"{row.baseline:,.1f} {row.unit}",
                f"{row.gateway:,.1f} {row.unit}",
                f"{row.ratio:.2f}x",
                f"{sign} {row.target:.1f}x",
                "pass" if row.met else "FAIL",
            )
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    print(f"\nfile gateway benchmark ({describe_run(settings)})\n")
    for index, line in enumerate(lines):
        print(
            "| "
            + " | ".join(
                cell.ljust(width) for cell, width in zip(line, widths, strict=True)
            )
            + " |"
        )
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


def describe_run(settings: RunPlan) -> str:
    import platform

    import botocore.compat

    crt = (
        "botocore with awscrt" if botocore.compat.HAS_CRT else "botocore without awscrt"
    )
    return (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {crt}; "
        f"medians of {settings.rounds} rounds x {settings.calls} calls, "
        f"{settings.cold_runs} cold starts, {settings.load_rounds} x "
        f"{settings.load_seconds} s of wrk each"
    )


if __name__ == "__main__":
    sys.exit(main())
