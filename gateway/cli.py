"""The `file-gateway` command."""

import argparse
import sys

from gateway.auth import create_api_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="file-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("create-api-key", help="create an API key for a tenant")
    key.add_argument("--tenant", required=True, help="the tenant the key acts for")
    args = parser.parse_args(argv)

    if args.command == "create-api-key":
        return print_new_api_key(args.tenant)
    return 2


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
