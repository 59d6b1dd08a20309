"""One cold start: import a handler, serve one `POST /files`, report peak memory.

Run by bench.py in a fresh process, as `python cold_start.py gateway|baseline`.
"""

import json
import sys
from pathlib import Path

from events import LambdaContext, upload_event


def main(which: str) -> None:
    if which == "gateway":
        from gateway.lambda_handler import handler
    else:
        from baseline_lambda import upload_handler as handler
    response = handler(upload_event(), LambdaContext())
    if response["statusCode"] != 201:
        raise SystemExit(f"{which} answered {response['statusCode']}")
    print(json.dumps({"peak_kib": peak_resident_kib()}))


def peak_resident_kib() -> int:
    """The process's own high-water mark: getrusage would include the parent's."""
    status = Path("/proc/self/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))

    return int(line.split()[1])


if __name__ == "__main__":
    main(sys.argv[1])
