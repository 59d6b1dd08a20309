"""The `file-gateway` command."""

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.auth import create_api_key

if TYPE_CHECKING:
    from gateway.client import GatewayClient

API_KEY_VARIABLE = "GATEWAY_API_KEY"
URL_VARIABLE = "GATEWAY_URL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="file-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("create-api-key", help="create an API key for a tenant")
    key.add_argument("--tenant", required=True, help="the tenant the key acts for")
    add_transfer_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "create-api-key":
        return print_new_api_key(args.tenant)
    if args.command in {"upload", "download"}:
        return transfer(args)
    return 2


def add_transfer_commands(commands: "argparse._SubParsersAction[Any]") -> None:
    upload = commands.add_parser("upload", help="upload a file of any size")
    upload.add_argument("file", type=Path)
    upload.add_argument("--name", help="file name to ask for (default: the file's)")
    upload.add_argument("--content-type", help="default: guessed from the name")
    upload.add_argument("--overwrite", action="store_true", help="replace (if allowed)")
    upload.add_argument("--part-size", type=int, help="bytes per part (>= 5 MiB)")
    upload.add_argument(
        "--workers", type=int, default=4, help="parts sent at once (default 4)"
    )
    download = commands.add_parser("download", help="download a file by object key")
    download.add_argument("key", help="the object key the upload printed")
    download.add_argument("-o", "--output", type=Path, help="default: the key's name")
    for command in (upload, download):
        command.add_argument(
            "--url", default=os.environ.get(URL_VARIABLE), help=f"or ${URL_VARIABLE}"
        )
        command.add_argument(
            "--api-key",
            default=os.environ.get(API_KEY_VARIABLE),
            help=f"prefer ${API_KEY_VARIABLE}: options show in process lists",
        )
        command.add_argument("--quiet", action="store_true", help="no progress bar")


def transfer(args: argparse.Namespace) -> int:
    from gateway.client import GatewayClient, TransferError

    if not args.url:
        print(f"file-gateway: give --url or set {URL_VARIABLE}", file=sys.stderr)
        return 2
    try:
        with GatewayClient(
            args.url,
            args.api_key,
            workers=getattr(args, "workers", 4),
            part_size=getattr(args, "part_size", None),
        ) as client:
            if args.command == "upload":
                return upload(client, args)
            return download(client, args)
    except (TransferError, OSError) as error:
        print(f"\nfile-gateway: {error}", file=sys.stderr)
        return 1


def upload(client: "GatewayClient", args: argparse.Namespace) -> int:
    from gateway.client import ProgressBar

    size = args.file.stat().st_size
    bar = None if args.quiet else ProgressBar(size, "upload")
    object_key = client.upload(
        args.file,
        file_name=args.name,
        content_type=args.content_type,
        overwrite=args.overwrite,
        progress=bar,
    )
    if bar:
        bar.close()
    print(object_key)

    return 0


def download(client: "GatewayClient", args: argparse.Namespace) -> int:
    from gateway.client import ProgressBar

    destination = args.output or Path(args.key.rpartition("/")[2])
    metadata = client.describe(args.key)
    bar = None if args.quiet else ProgressBar(metadata["size"], "download")
    client.download(args.key, destination, progress=bar)
    if bar:
        bar.close()
    print(destination)

    return 0


def print_new_api_key(tenant: str) -> int:
    try:
        api_key, entry = create_api_key(tenant)
    except ValueError as error:
        print(f"file-gateway: {error}", file=sys.stderr)
        return 2
    print(f"API key (give it to the client; it is shown once): {api_key}")
    print(f"Add to GATEWAY_API_KEYS (comma-separated):        {entry}")

    return 0


if __name__ == "__main__":
    sys.exit(main())
